package dev.bilevel.estimator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.data.Percentage.withPercentage;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.fixtures.Contexts;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.fixtures.ToyOracle;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

@DisplayName("EvoGrad")
class EvoGradTest {
  private static final Batch NONE = Batch.of(Map.of());

  /** Mean and standard deviation of EvoGrad's estimate over trials with x ~ N(0, 1). */
  private static double[] trials(double lambda, int k, int trials, long seed) {
    ToyOracle toy = new ToyOracle();
    EvoGrad evo = new EvoGrad(EvoGradConfig.defaults().candidates(k).sigma(1.0).temperature(0.5)
        .noise(EvoGradConfig.Noise.GAUSSIAN));
    SplittableRandom r = new SplittableRandom(seed);
    double sum = 0;
    double sumSq = 0;
    for (int t = 0; t < trials; t++) {
      double x = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
      double g = evo.estimate(Contexts.of(toy, Nd4j.createFromArray(x), Nd4j.createFromArray(lambda),
          NONE, NONE, 0.1, r.nextLong())).gradient().getDouble(0);
      sum += g;
      sumSq += g * g;
    }
    double mean = sum / trials;
    return new double[] {mean, Math.sqrt(sumSq / trials - mean * mean)};
  }

  @Test
  @DisplayName("1-D illustration: the mean estimate has the true sign wherever |true| > 0.05")
  void hasTheTrueSignOnTheIllustrativeProblem() {
    int checked = 0;
    for (int i = 0; i < 20; i++) {
      double lambda = 0.1 + i * 0.1;
      double truth = ToyOracle.trueHypergradient(lambda);
      if (Math.abs(truth) <= 0.05) {
        continue;
      }
      double[] ms = trials(lambda, 10, 1000, 100 + i);
      assertThat(Math.signum(ms[0])).as("sign at λ=%.1f (true %.3f, mean %.3f)", lambda, truth, ms[0])
          .isEqualTo(Math.signum(truth));
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(5);
  }

  @Test
  @DisplayName("1-D illustration: the spread falls as K goes 2 → 10 → 100")
  void spreadFallsWithMoreCandidates() {
    double s2 = trials(0.5, 2, 400, 7)[1];
    double s10 = trials(0.5, 10, 400, 7)[1];
    double s100 = trials(0.5, 100, 400, 7)[1];

    assertThat(s10).isLessThan(s2);
    assertThat(s100).isLessThan(s10);
  }

  @ParameterizedTest(name = "K = {0}")
  @ValueSource(ints = {3, 9})
  @DisplayName("the closed form equals a finite-difference derivative of L_V(θ*(λ)) with the noise fixed")
  void closedFormMatchesFiniteDifferencesWithFixedNoise(int candidates) {
    Ridge r = new Ridge(5, 40, 30, true, 9);
    CompiledProblem c = r.problem(0.3, 0.1).compile();
    INDArray theta = c.initialTheta(4).addi(0.5);
    INDArray lambda = c.initialLambda(4);
    EvoGrad evo = new EvoGrad(EvoGradConfig.defaults().candidates(candidates).sigma(0.05)
        .temperature(0.05));
    EstimationContext ctx = Contexts.of(c, theta, lambda, r.train(), r.val(), 0.1, 42);

    INDArray hg = evo.estimate(ctx).gradient();

    double h = 1e-5;
    for (int i = 0; i < 5; i++) {
      INDArray up = lambda.dup();
      up.putScalar(i, up.getDouble(i) + h);
      INDArray down = lambda.dup();
      down.putScalar(i, down.getDouble(i) - h);
      double fd = (c.value(Level.OUTER, evo.evolvedTheta(ctx, up), up, r.val())
          - c.value(Level.OUTER, evo.evolvedTheta(ctx, down), down, r.val())) / (2 * h);
      assertThat(hg.getDouble(i)).as("coordinate %d", i)
          .isCloseTo(fd, offset(1e-6 * hg.norm2Number().doubleValue()));
    }
    assertThat(hg.norm2Number().doubleValue()).isGreaterThan(1e-6);
  }

  @Test
  @DisplayName("perturbs only the configured groups")
  void perturbsOnlyTheConfiguredGroups() {
    // θ* differs from θ only in the perturbed group.
    BilevelProblem p = Bilevel.problem("two-groups").dtype(DataType.DOUBLE)
        .input("x", -1, 3).input("y", -1, 1)
        .inner("body", net -> net.dense(3, 4).relu())
        .inner("head", net -> net.dense(4, 1))
        .metaParams("l", ps -> ps.param("lambda", Init.constant(0.1), 1))
        .innerObjective(f -> f.meanSquaredError(f.inner("head").apply(f.inner("body").apply(f.input("x"))), f.input("y"))
            .add(f.meta("l").param("lambda").mul(f.squaredNorm(f.inner("head"))).sum()))
        .outerObjective(f -> f.meanSquaredError(f.inner("head").apply(f.inner("body").apply(f.input("x"))), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.1)).build();
    CompiledProblem c = p.compile();
    Batch b = Batch.of(Map.of("x", Nd4j.rand(DataType.DOUBLE, 8, 3), "y", Nd4j.rand(DataType.DOUBLE, 8, 1)));
    INDArray theta = c.initialTheta(1);
    EvoGrad evo = new EvoGrad(EvoGradConfig.defaults().perturb("head"));

    INDArray star = evo.evolvedTheta(Contexts.of(c, theta, c.initialLambda(1), b, b, 0.1, 3),
        c.initialLambda(1));

    INDArray diff = star.sub(theta);
    long bodySize = p.group("body").orElseThrow().length();
    assertThat(diff.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, bodySize))
        .norm2Number().doubleValue()).isZero();
    assertThat(diff.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(bodySize, theta.length()))
        .norm2Number().doubleValue()).isGreaterThan(0);
  }

  /**
   * A problem with 20,401 inner parameters, enough to check the noise's distribution coordinate by
   * coordinate, with one batch and its initial θ and λ.
   */
  private record Wide(CompiledProblem c, Batch batch, INDArray theta, INDArray lambda) {
    static Wide of(DataType dtype) {
      CompiledProblem c = Bilevel.problem("wide").dtype(dtype)
          .input("x", -1, 100).input("y", -1, 1)
          .inner("net", net -> net.dense(100, 200).dense(200, 1))
          .metaParams("l", ps -> ps.param("lambda", Init.constant(0.1), 1))
          .innerObjective(f -> f.meanSquaredError(f.inner("net").apply(f.input("x")), f.input("y"))
              .add(f.meta("l").param("lambda").mul(f.squaredNorm(f.inner("net"))).sum()))
          .outerObjective(f -> f.meanSquaredError(f.inner("net").apply(f.input("x")), f.input("y")))
          .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.1)).build().compile();
      Batch b = Batch.of(Map.of("x", Nd4j.rand(dtype, 4, 100), "y", Nd4j.rand(dtype, 4, 1)));
      return new Wide(c, b, c.initialTheta(1), c.initialLambda(1));
    }

    /** θ* − θ of the meta-iteration seeded by {@code seed}, in FP64. */
    double[] displacement(EvoGrad evo, long seed) {
      return evo.evolvedTheta(Contexts.of(c, theta, lambda, batch, batch, 0.1, seed), lambda)
          .sub(theta).castTo(DataType.DOUBLE).toDoubleVector();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("sign candidates: θ ± σ in every coordinate, half each, the same for the same seed")
  void signCandidatesArePlusOrMinusSigma(DataType dtype) {
    Wide w = Wide.of(dtype);
    double sigma = 0.02;
    // At a vanishing temperature θ* is the best candidate itself: θ + ε_k.
    EvoGrad greedy = new EvoGrad(EvoGradConfig.defaults().candidates(2).sigma(sigma)
        .temperature(1e-12));

    double[] eps = w.displacement(greedy, 11);

    int plus = 0;
    for (double e : eps) {
      assertThat(Math.abs(e)).isCloseTo(sigma, offset(1e-6));
      plus += e > 0 ? 1 : 0;
    }
    // Binomial(n, ½): four standard errors are 2·√n.
    assertThat(Math.abs(plus - eps.length / 2.0)).isLessThan(2 * Math.sqrt(eps.length));
    assertThat(w.displacement(greedy, 11)).isEqualTo(eps);
    assertThat(w.displacement(greedy, 12)).isNotEqualTo(eps);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("sign candidates: no correlation between coordinates 1 to 130 apart")
  void signsOfNearbyCoordinatesAreUncorrelated(DataType dtype) {
    Wide w = Wide.of(dtype);
    // Signs are drawn 64 to a random long and expanded a byte at a time; a slip in that expansion
    // would repeat signs at some distance within two draws.
    EvoGrad greedy = new EvoGrad(EvoGradConfig.defaults().candidates(2).sigma(0.02)
        .temperature(1e-12));

    double[] eps = w.displacement(greedy, 3);

    for (int lag = 1; lag <= 130; lag++) {
      double c = 0;
      for (int i = 0; i + lag < eps.length; i++) {
        c += Math.signum(eps[i]) * Math.signum(eps[i + lag]);
      }
      c /= eps.length - lag;
      // For independent signs the mean product has standard error 1/√n ≈ 0.007; 0.03 is 4.3 of
      // them, passed by chance with probability 2e-5 per distance.
      assertThat(Math.abs(c)).as("sign correlation at lag %d", lag).isLessThan(0.03);
    }
  }

  @Test
  @DisplayName("sign candidates: independent signs for each of K = 9 candidates")
  void signCandidatesAreIndependent() {
    Wide w = Wide.of(DataType.DOUBLE);
    // At a huge temperature θ* − θ = σ·S/9, S the sum of the 9 candidates' signs: E[S²] = 9 when
    // they are independent (the standard error of its mean here is 12/√n ≈ 0.08), 81 if equal.
    EvoGrad uniform = new EvoGrad(EvoGradConfig.defaults().candidates(9).sigma(0.01)
        .temperature(1e12));

    double[] d = w.displacement(uniform, 5);

    double meanSq = 0;
    for (double v : d) {
      double s = 9 * v / 0.01;
      assertThat(Math.abs(s - Math.rint(s))).isLessThan(1e-6);
      assertThat(Math.abs(Math.rint(s)) % 2).isEqualTo(1.0);
      meanSq += s * s / d.length;
    }
    assertThat(meanSq).isCloseTo(9.0, offset(0.4));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("Gaussian candidates: θ + N(0, σ²) in every coordinate, the same for the same seed")
  void gaussianNoiseHasTheConfiguredScale(DataType dtype) {
    Wide w = Wide.of(dtype);
    double sigma = 0.02;
    // At a huge temperature both candidates weigh ½, so θ* − θ = (ε₁ + ε₂)/2 ~ N(0, σ²/2).
    EvoGrad evo = new EvoGrad(EvoGradConfig.defaults().candidates(2).sigma(sigma)
        .temperature(1e9).noise(EvoGradConfig.Noise.GAUSSIAN));

    double[] values = w.displacement(evo, 7);

    INDArray eps = Nd4j.createFromArray(values);
    long n = eps.length();
    double mean = eps.meanNumber().doubleValue();
    double sd = eps.stdNumber().doubleValue();
    assertThat(n).isEqualTo(20_401);
    double expected = sigma / Math.sqrt(2);
    assertThat(Math.abs(mean)).isLessThan(4 * expected / Math.sqrt(n));
    // The sample standard deviation's standard error is 1/√(2n) ≈ 0.5% of it.
    assertThat(sd).isCloseTo(expected, withPercentage(3));
    // Kurtosis 3 for a Gaussian (standard error √(24/n) ≈ 0.03); 2 for a mean of two signs.
    double kurtosis = Transforms.pow(eps.sub(mean), 4).meanNumber().doubleValue()
        / Math.pow(sd, 4);
    assertThat(kurtosis).isCloseTo(3.0, offset(0.3));
    assertThat(w.displacement(evo, 7)).isEqualTo(values);
  }

  @Test
  void rejectsAGroupThatIsNotAnInnerGroup() {
    Ridge r = new Ridge(3, 10, 10, true, 1);
    CompiledProblem c = r.problem(0.3, 0.1).compile();
    EvoGrad evo = new EvoGrad(EvoGradConfig.defaults().perturb("classifier"));

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> evo.estimate(
            Contexts.of(c, c.initialTheta(1), c.initialLambda(1), r.train(), r.val(), 0.1, 1)))
        .hasMessage("The evograd estimator is configured to perturb [classifier], which are not inner"
            + " groups of this problem; inner groups are [w]. Name inner groups in"
            + " EvoGradConfig.perturb(...), or leave it out to perturb all of them.");
  }
}
