package dev.bilevel.mwn;

import static dev.bilevel.mwn.Estimates.context;
import static dev.bilevel.mwn.Estimates.norm;
import static dev.bilevel.mwn.Estimates.vec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.backend.Nd4jBackend;
import dev.bilevel.data.Batch;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import dev.bilevel.secondorder.FiniteDifferences;
import dev.bilevel.secondorder.SecondOrder;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One-step's two mixed products on a small Meta-Weight-Net problem (32 inputs, 64 hidden, 5 classes,
 * batch 50) in FP32, where rounding and the ReLUs' kinks make both approximate, against the same
 * estimate in FP64 (central difference, step cbrt(ε₆₄) = 6e-6) as the reference.
 */
class OneStepDifferencesTest {
  private static final int D = 32;
  private static final int C = 5;
  private static final int B = 50;

  private static CompiledProblem problem(DataType dtype) {
    return CompiledProblem.compile(MwnProblem.build(D, C, 64, Weighting.NORMALISED, 0.1, 0.9, 0, null,
        Adam.of(1e-3), dtype), Nd4jBackend.start());
  }

  private static Batch cast(Batch b, DataType dtype) {
    return Batch.of(b.values().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().castTo(dtype))));
  }

  private static double[] oneStep(CompiledProblem p, OneStepConfig config, long seed, Batch inner,
      Batch outer) {
    INDArray theta = p.initialTheta(seed);
    INDArray lambda = p.initialLambda(seed + 100);
    return vec(new OneStep(config).estimate(context(p, theta, lambda, cast(inner, p.dtype()),
        cast(outer, p.dtype()), 0.1, 1)).gradient());
  }

  private static double relativeError(double[] a, double[] reference) {
    double[] d = new double[a.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = a[i] - reference[i];
    }
    return norm(d) / norm(reference);
  }

  @ParameterizedTest(name = "state {0}")
  @ValueSource(longs = {1, 2, 3})
  void bothDifferencesInFp32ApproachTheFp64Reference(long seed) {
    SplittableRandom r = new SplittableRandom(seed + 200);
    Batch inner = RandomBatches.batch(r, B, D, C);
    Batch outer = RandomBatches.batch(r, B, D, C);
    OneStepConfig forward = OneStepConfig.defaults().mixedProduct(OneStepConfig.MixedProduct.FORWARD);

    double[] reference = oneStep(problem(DataType.DOUBLE), OneStepConfig.defaults(), seed, inner, outer);
    double[] central32 = oneStep(problem(DataType.FLOAT), OneStepConfig.defaults(), seed, inner, outer);
    double[] forward32 = oneStep(problem(DataType.FLOAT), forward, seed, inner, outer);
    double[] forward64 = oneStep(problem(DataType.DOUBLE), forward, seed, inner, outer);

    System.out.printf("state %d: relative error against FP64 central: FP32 central %.2e, FP32 forward"
        + " %.2e, FP64 forward %.2e%n", seed, relativeError(central32, reference),
        relativeError(forward32, reference), relativeError(forward64, reference));
    assertThat(norm(reference)).isGreaterThan(0);
    // In FP64 both differences resolve the same derivative: the forward one is right.
    assertThat(relativeError(forward64, reference)).isLessThan(1e-4);
    // In FP32 the default central step (√ε) stays clear of most ReLU kinks: within 1%.
    assertThat(relativeError(central32, reference)).isLessThan(0.01);
    // The forward difference's error is O(h) at the same step: within a few percent.
    assertThat(relativeError(forward32, reference)).isLessThan(0.05);
  }

  /**
   * Why FP32's central step is not the smooth-case optimum cbrt(ε₃₂) = 4.9e-3: that step moves θ far
   * enough for many ReLU units (V's, here) to cross their kinks between θ and θ + hv. With the
   * pattern held the difference is then taken on θ + hv's piece, and the more units differ from
   * θ's, the further it is from the derivative at θ (docs/estimators.md, "Finite-difference steps in
   * FP32 on ReLU networks").
   */
  @Test
  void theSmoothCaseCentralStepIsWorseInFp32() {
    double worstCubeRoot = 0;
    double worstDefault = 0;
    for (long seed = 1; seed <= 3; seed++) {
      SplittableRandom r = new SplittableRandom(seed + 200);
      Batch inner = RandomBatches.batch(r, B, D, C);
      Batch outer = RandomBatches.batch(r, B, D, C);
      double[] reference = oneStep(problem(DataType.DOUBLE), OneStepConfig.defaults(), seed, inner,
          outer);
      CompiledProblem p = problem(DataType.FLOAT);
      var context = new EstimationContext(p, new SecondOrder(p, new FiniteDifferences(Math.cbrt(Math.ulp(1f)))),
          p.initialTheta(seed), p.initialLambda(seed + 100), cast(inner, DataType.FLOAT),
          cast(outer, DataType.FLOAT), Sgd.of(0.1), 0.1, Trajectory.empty(), 1, 0);
      double[] cubeRoot = vec(new OneStep(OneStepConfig.defaults()).estimate(context).gradient());
      double[] byDefault = oneStep(p, OneStepConfig.defaults(), seed, inner, outer);
      System.out.printf("state %d: FP32 central, relative error at cbrt(ε) %.2e, at the default %.2e%n",
          seed, relativeError(cubeRoot, reference), relativeError(byDefault, reference));
      worstCubeRoot = Math.max(worstCubeRoot, relativeError(cubeRoot, reference));
      worstDefault = Math.max(worstDefault, relativeError(byDefault, reference));
    }
    assertThat(worstCubeRoot).isGreaterThan(0.02).isGreaterThan(10 * worstDefault);
  }
}
