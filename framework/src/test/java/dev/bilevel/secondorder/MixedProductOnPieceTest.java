package dev.bilevel.secondorder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.Map;
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
  private static final int D = 3;
  private static final int N = 40;
  /** h·‖v‖ = 0.5 (1 + ‖w‖): far enough from w for some rows to change side. */
  private static final FiniteDifferences LARGE_STEP = new FiniteDifferences(0.5);

  private final INDArray x;
  private final Batch batch;
  private final CompiledProblem problem;
  private final INDArray w;
  private final INDArray s;
  private final INDArray v;

  MixedProductOnPieceTest() {
    Nd4j.getRandom().setSeed(11);
    x = Nd4j.randn(DataType.DOUBLE, N, D);
    batch = Batch.of(Map.of("x", x));
    problem = CompiledProblem.compile(Bilevel.problem("relu-sum").dtype(DataType.DOUBLE)
        .input("x", -1, D)
        .inner("w", net -> net.denseNoBias(D, 1, Init.normal(1.0)).relu())
        .metaParams("s", q -> q.param("s", Init.uniform(0.5, 2.0), 1))
        .innerObjective(f -> f.inner("w").apply(f.input("x")).sum().mul(f.meta("s").param("s")).sum())
        .outerObjective(f -> f.inner("w").apply(f.input("x")).sum())
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.01))
        .build());
    w = problem.initialTheta(2);
    s = problem.initialLambda(2);
    v = Nd4j.randn(DataType.DOUBLE, D);
  }

  private double rowDotW(int i, INDArray point) {
    return x.getRow(i).mul(point).sumNumber().doubleValue();
  }

  /** Σᵢ [xᵢ·pattern > 0] (xᵢ·v): the mixed product on {@code pattern}'s piece. */
  private double mixedOnPieceOf(INDArray pattern) {
    double m = 0;
    for (int i = 0; i < N; i++) {
      m += rowDotW(i, pattern) > 0 ? x.getRow(i).mul(v).sumNumber().doubleValue() : 0;
    }
    return m;
  }

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
        .filter(i -> (rowDotW(i, w) > 0) != (rowDotW(i, plus) > 0)).count();
    assertThat(flipped).as("rows whose mask differs between θ and θ + hv").isPositive();

    problem.evaluate(Level.INNER, w, s, batch, Wrt.THETA); // the caller's evaluation at θ
    INDArray onPiece = new SecondOrder(problem, LARGE_STEP)
        .mixedVectorOnPiece(Level.INNER, w, s, batch, v);
    INDArray plusHeld = new SecondOrder(problem, LARGE_STEP).mixedVector(Level.INNER, w, s, batch, v);

    assertThat(onPiece.getDouble(0)).isCloseTo(mixedOnPieceOf(w), within(1e-12));
    // Holding only the plus side's masks differences θ + hv's piece instead.
    assertThat(plusHeld.getDouble(0)).isCloseTo(mixedOnPieceOf(plus), within(1e-12));
    assertThat(Math.abs(mixedOnPieceOf(plus) - mixedOnPieceOf(w))).isGreaterThan(1e-3);
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
