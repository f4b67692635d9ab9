package dev.bilevel.secondorder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.fixtures.ReluSum;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Wrt;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * L = s · Σᵢ relu(xᵢ·w) on 40 random rows: ∇s L = Σᵢ relu(xᵢ·w), so on w's own piece (its masks
 * fixed) (∂²L/∂s∂w)·v = Σᵢ [xᵢ·w > 0] (xᵢ·v), and ∇s L is linear in w there: a central difference
 * on that piece is exact at any step. A step large enough to flip masks tells the two holds apart.
 */
@DisplayName("The mixed product on θ's own piece")
class MixedProductOnPieceTest {
  private static final int N = 40;
  /** h·‖v‖ = 0.5 (1 + ‖w‖): far enough from w for some rows to change side. */
  private static final FiniteDifferences LARGE_STEP = new FiniteDifferences(0.5);

  private final ReluSum r = new ReluSum(N, 11);
  private final CompiledProblem problem = r.compiled();
  private final INDArray w = problem.initialTheta(2);
  private final INDArray s = problem.initialLambda(2);
  private final INDArray v = Nd4j.randn(DataType.DOUBLE, ReluSum.D);
  private final Batch batch = r.batch;

  private INDArray plusSide() {
    double h = LARGE_STEP.pieceRelativeStep() * (1 + w.norm2Number().doubleValue())
        / v.norm2Number().doubleValue();
    return w.add(v.mul(h));
  }

  @Test
  @DisplayName("is the derivative at θ with θ's masks, exactly, however far the step reaches")
  void isExactOnThetasPieceAtALargeStep() {
    INDArray plus = plusSide();
    long flipped = java.util.stream.IntStream.range(0, N)
        .filter(i -> r.on(i, w) != r.on(i, plus)).count();
    assertThat(flipped).as("rows whose mask differs between θ and θ + hv").isPositive();

    problem.evaluate(Level.INNER, w, s, batch, Wrt.THETA); // the caller's evaluation at θ
    INDArray onPiece = new SecondOrder(problem, LARGE_STEP)
        .mixedVectorOnPiece(Level.INNER, w, s, batch, v);
    INDArray plusHeld = new SecondOrder(problem, LARGE_STEP).mixedVector(Level.INNER, w, s, batch, v);

    assertThat(onPiece.getDouble(0)).isCloseTo(r.mixedOnPieceOf(w, v), within(1e-12));
    // Holding only the plus side's masks differences θ + hv's piece instead.
    assertThat(plusHeld.getDouble(0)).isCloseTo(r.mixedOnPieceOf(plus, v), within(1e-12));
    assertThat(Math.abs(r.mixedOnPieceOf(plus, v) - r.mixedOnPieceOf(w, v))).isGreaterThan(1e-3);
  }

  @Test
  @DisplayName("holds the pattern on both sides, and nothing else is evaluated")
  void holdsBothSides() {
    problem.evaluate(Level.INNER, w, s, batch, Wrt.THETA);
    var before = problem.counts();

    new SecondOrder(problem).mixedVectorOnPiece(Level.INNER, w, s, batch, v);

    assertThat(problem.heldPatterns(Level.INNER)).isEqualTo(2);
    assertThat(problem.counts().minus(before).forward()).isEqualTo(2);
  }
}
