package dev.bilevel.mwn;

import static dev.bilevel.mwn.Estimates.context;
import static dev.bilevel.mwn.Estimates.norm;
import static dev.bilevel.mwn.Estimates.vec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.backend.Nd4jBackend;
import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Adam;
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
 * estimate in FP64 (central difference on θ's piece, step cbrt(ε₆₄) = 6e-6) as the reference.
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
    // In FP32 the default central difference on θ's piece is left with rounding and O(h²): 0.2%.
    assertThat(relativeError(central32, reference)).isLessThan(0.002);
    // The forward difference's error is O(h) at the same step: within a few percent.
    assertThat(relativeError(forward32, reference)).isLessThan(0.05);
  }

  /**
   * Why one-step's central difference holds θ's pattern on both sides. In FP64 at FP32's step
   * cbrt(ε₃₂) = 4.9e-3, so that rounding plays no part: holding only the plus side's pattern
   * differences θ + hv's piece, and the units (V's, here) that cross their kink between θ and
   * θ + hv put the product percents off; on θ's own piece only the O(h²) truncation is left
   * (docs/estimators.md, "Differences on ReLU networks").
   */
  @Test
  void atFp32sStepOnlyThetasOwnPieceIsFreeOfCrossings() {
    double worstPlusHeld = 0;
    double worstOnPiece = 0;
    for (long seed = 1; seed <= 3; seed++) {
      SplittableRandom r = new SplittableRandom(seed + 200);
      Batch inner = RandomBatches.batch(r, B, D, C);
      CompiledProblem p = problem(DataType.DOUBLE);
      INDArray theta = p.initialTheta(seed);
      INDArray lambda = p.initialLambda(seed + 100);
      INDArray v = p.initialTheta(seed + 300);
      double[] reference = mixedOnPiece(new SecondOrder(p), theta, lambda, inner, v);

      SecondOrder fp32Step = new SecondOrder(p, new FiniteDifferences(Math.cbrt(Math.ulp(1f))));
      double[] onPiece = mixedOnPiece(fp32Step, theta, lambda, inner, v);
      double[] plusHeld = vec(fp32Step.mixedVector(Level.INNER, theta, lambda, inner, v));
      System.out.printf("state %d: mixed product at FP32's step cbrt(ε) in FP64, relative error with"
          + " the plus side's pattern %.2e, on θ's piece %.2e%n", seed,
          relativeError(plusHeld, reference), relativeError(onPiece, reference));
      worstPlusHeld = Math.max(worstPlusHeld, relativeError(plusHeld, reference));
      worstOnPiece = Math.max(worstOnPiece, relativeError(onPiece, reference));
    }
    assertThat(worstOnPiece).isLessThan(1e-4);
    assertThat(worstPlusHeld).isGreaterThan(0.01);
  }

  /** The mixed product on θ's piece, after the evaluation at θ whose pattern it holds. */
  private static double[] mixedOnPiece(SecondOrder so, INDArray theta, INDArray lambda, Batch batch,
      INDArray v) {
    so.oracle().evaluate(Level.INNER, theta, lambda, batch, Wrt.THETA);
    return vec(so.mixedVectorOnPiece(Level.INNER, theta, lambda, batch, v));
  }
}
