package dev.bilevel.secondorder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Second-order products by central differences on small networks, in FP32 at the default step
 * against FP64. A ReLU network's gradient jumps where a unit crosses its kink; {@link SecondOrder}
 * holds the activation pattern between the two sides of a difference so that a crossing costs a
 * bounded error instead of O(1/h).
 */
@DisplayName("Second-order products in FP32 on a ReLU network")
class SecondOrderFp32Test {
  private static final int D = 32;
  private static final int H = 64;
  private static final int C = 5;
  private static final int N = 50;

  /** Cross-entropy of an MLP plus λ times the mean squared logit, so ∂²L/∂λ∂θ is not zero. */
  private static CompiledProblem problem(DataType dtype, String activation) {
    BilevelProblem p = Bilevel.problem("relu-mlp")
        .dtype(dtype)
        .input("x", -1, D).input("y", -1, C)
        .inner("mlp", net -> {
          switch (activation) {
            case "relu" -> net.dense(D, H).relu().dense(H, H).relu().dense(H, C);
            case "leaky relu" -> net.dense(D, H).leakyRelu(0.1).dense(H, H).leakyRelu(0.1).dense(H, C);
            default -> net.dense(D, H).tanh().dense(H, H).tanh().dense(H, C);
          }
        })
        .metaParams("penalty", q -> q.param("lambda", Init.uniform(0.05, 0.1), 1))
        .innerObjective(f -> {
          var logits = f.inner("mlp").apply(f.input("x"));
          return f.meanCrossEntropy(logits, f.input("y"))
              .add(f.meta("penalty").param("lambda").mul(logits.mul(logits).mean()).sum());
        })
        .outerObjective(f -> f.meanCrossEntropy(f.inner("mlp").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1))
        .outerOptimizer(Adam.of(1e-3))
        .build();
    return p.compile();
  }

  private static Batch batch(long seed, DataType dtype) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[N][D];
    double[][] y = new double[N][C];
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < D; j++) {
        x[i][j] = r.nextGaussian();
      }
      y[i][r.nextInt(C)] = 1;
    }
    return Batch.of(Map.of("x", Nd4j.createFromArray(x).castTo(dtype),
        "y", Nd4j.createFromArray(y).castTo(dtype)));
  }

  private static double relativeError(INDArray actual, INDArray reference) {
    INDArray a = actual.castTo(DataType.DOUBLE);
    return a.sub(reference).norm2Number().doubleValue() / reference.norm2Number().doubleValue();
  }

  @ParameterizedTest(name = "{0}, state {1}")
  @CsvSource({"relu, 1", "relu, 2", "relu, 3", "relu, 4", "leaky relu, 1", "leaky relu, 2",
      "leaky relu, 3", "leaky relu, 4", "tanh, 1", "tanh, 2", "tanh, 3", "tanh, 4"})
  void fp32ProductsAreCloseToFp64(String activation, long seed) {
    CompiledProblem p64 = problem(DataType.DOUBLE, activation);
    CompiledProblem p32 = problem(DataType.FLOAT, activation);
    INDArray theta = p64.initialTheta(seed);
    INDArray lambda = p64.initialLambda(seed);
    INDArray v = direction(theta.length(), seed);

    SecondOrder.Products reference = new SecondOrder(p64).both(Level.INNER, theta, lambda,
        batch(seed, DataType.DOUBLE), v);
    SecondOrder.Products fp32 = new SecondOrder(p32).both(Level.INNER, theta.castTo(DataType.FLOAT),
        lambda.castTo(DataType.FLOAT), batch(seed, DataType.FLOAT), v.castTo(DataType.FLOAT));

    double hv = relativeError(fp32.hessianVector(), reference.hessianVector());
    double mixed = relativeError(fp32.mixedVector(), reference.mixedVector());
    System.out.printf("%s, state %d: FP32 against FP64, H·v %.2e, mixed %.2e%n", activation, seed,
        hv, mixed);
    // (Leaky) ReLU: a unit crossing its kink between θ and θ + hv is differenced on θ + hv's piece.
    assertThat(hv).isLessThan(activation.equals("tanh") ? 1e-3 : 0.1);
    assertThat(mixed).isLessThan(0.02);
  }

  /**
   * In FP64 at FP32's step, so that rounding plays no part: without the held pattern, a kink
   * crossed between the two sides puts H·v off by orders of magnitude; with it, within 10%.
   */
  @Test
  void holdingTheActivationPatternBoundsTheErrorOfACrossing() {
    double worstUsual = 0;
    double worstHeld = 0;
    for (long seed = 1; seed <= 4; seed++) {
      ReluState st = ReluState.of(seed);
      CompiledProblem p = st.p();
      INDArray theta = st.theta();
      INDArray lambda = st.lambda();
      INDArray v = st.v();
      Batch b = st.b();
      INDArray reference = new SecondOrder(p).hessianVector(Level.INNER, theta, lambda, b, v);

      FiniteDifferences fp32Step = FiniteDifferences.defaultsFor(DataType.FLOAT);
      INDArray held = new SecondOrder(p, fp32Step).hessianVector(Level.INNER, theta, lambda, b, v);
      double h = fp32Step.relativeStep() * (1 + theta.norm2Number().doubleValue())
          / v.norm2Number().doubleValue();
      INDArray usual = p.gradTheta(Level.INNER, theta.add(v.mul(h)), lambda, b)
          .sub(p.gradTheta(Level.INNER, theta.sub(v.mul(h)), lambda, b)).div(2 * h);

      worstUsual = Math.max(worstUsual, relativeError(usual, reference));
      worstHeld = Math.max(worstHeld, relativeError(held, reference));
    }
    System.out.printf("worst relative error of H·v at FP32's step in FP64: usual %.2e, held %.2e%n",
        worstUsual, worstHeld);
    assertThat(worstUsual).isGreaterThan(1);
    assertThat(worstHeld).isLessThan(0.1);
  }

  @Test
  void everyCentralDifferenceHoldsThePatternOnItsMinusSide() {
    ReluState s = ReluState.of(1);
    SecondOrder so = new SecondOrder(s.p());

    so.hessianVector(Level.INNER, s.theta(), s.lambda(), s.b(), s.v());
    so.mixedVector(Level.INNER, s.theta(), s.lambda(), s.b(), s.v());
    so.both(Level.OUTER, s.theta(), s.lambda(), s.b(), s.v());
    so.crossVector(Level.INNER, s.theta(), s.lambda(), s.b(), s.lambda().dup().assign(1));

    assertThat(s.p().heldPatterns(Level.INNER)).isEqualTo(3);
    assertThat(s.p().heldPatterns(Level.OUTER)).isEqualTo(1);
  }

  @Test
  void theForwardDifferenceHoldsThePatternOfTheEvaluationAtTheta() {
    ReluState s = ReluState.of(2);
    INDArray atTheta = s.p().evaluate(Level.INNER, s.theta(), s.lambda(), s.b(), Wrt.BOTH)
        .gradLambda().dup();

    INDArray forward = new SecondOrder(s.p()).mixedVectorForward(Level.INNER, s.theta(),
        s.lambda(), s.b(), s.v(), atTheta);

    assertThat(s.p().heldPatterns(Level.INNER)).isEqualTo(1);
    INDArray central = new SecondOrder(s.p()).mixedVector(Level.INNER, s.theta(), s.lambda(),
        s.b(), s.v());
    assertThat(relativeError(forward, central)).isLessThan(1e-4);
  }

  /** An FP64 ReLU problem at its initial state for a seed, with a direction v and a batch. */
  private record ReluState(CompiledProblem p, INDArray theta, INDArray lambda, INDArray v, Batch b) {
    static ReluState of(long seed) {
      CompiledProblem p = problem(DataType.DOUBLE, "relu");
      INDArray theta = p.initialTheta(seed);
      return new ReluState(p, theta, p.initialLambda(seed), direction(theta.length(), seed),
          batch(seed, DataType.DOUBLE));
    }
  }

  private static INDArray direction(long n, long seed) {
    Nd4j.getRandom().setSeed(seed + 100);
    return Nd4j.randn(DataType.DOUBLE, n);
  }
}
