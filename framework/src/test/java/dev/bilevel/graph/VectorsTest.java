package dev.bilevel.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.data.Percentage.withPercentage;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@DisplayName("BLAS level-1 helpers on θ-sized vectors")
class VectorsTest {
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class,
      names = {"FLOAT", "DOUBLE"})
  @DisplayName("norm2 is the Euclidean norm, of views and of values whose squares overflow FP32")
  void norm2IsTheEuclideanNorm(DataType dtype) {
    INDArray m = Nd4j.createFromArray(new double[][] {{1, 2}, {3, 4}, {12, 0}}).castTo(dtype);
    INDArray big = Nd4j.createFromArray(3e20, 4e20).castTo(dtype);

    assertThat(Vectors.norm2(m)).isCloseTo(Math.sqrt(174), offset(1e-5));
    assertThat(Vectors.norm2(m.getColumn(0))).isCloseTo(Math.sqrt(154),
        offset(1e-5));
    assertThat(Vectors.norm2(m.getRow(2))).isCloseTo(12, offset(1e-5));
    assertThat(Vectors.norm2(big)).isCloseTo(5e20, withPercentage(1e-4));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class,
      names = {"FLOAT", "DOUBLE"})
  @DisplayName("axpy adds a·x to y in place and leaves x alone")
  void axpyAddsInPlace(DataType dtype) {
    INDArray x = Nd4j.createFromArray(1.0, -2.0, 0.5).castTo(dtype);
    INDArray y = Nd4j.createFromArray(10.0, 20.0, 30.0).castTo(dtype);

    Vectors.axpy(2.0, x, y);

    assertThat(y.toDoubleVector()).containsExactly(12.0, 16.0, 31.0);
    assertThat(x.toDoubleVector()).containsExactly(1.0, -2.0, 0.5);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("dot is the inner product, also of a view with a vector")
  void dotIsTheInnerProduct(DataType dtype) {
    INDArray m = Nd4j.createFromArray(new double[][] {{1, 2}, {3, 4}, {12, 0}}).castTo(dtype);
    INDArray y = Nd4j.createFromArray(0.5, -1.0, 2.0).castTo(dtype);

    assertThat(Vectors.dot(m.getColumn(0), y)).isCloseTo(0.5 - 3 + 24, offset(1e-6));
    assertThat(Vectors.dot(m.getColumn(1), y)).isCloseTo(1 - 4 + 0, offset(1e-6));
    assertThat(Vectors.dot(y, y)).isCloseTo(0.25 + 1 + 4, offset(1e-6));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("scal then axpy(1) rounds exactly as ND4J's muli then addi: θ − ηg bit for bit")
  void scalThenAxpyRoundsAsNd4jArithmetic(DataType dtype) {
    // One-step's virtual step moved from muli/addi to these two; its trajectories (and the
    // Meta-Weight-Net results quoted in the docs) stay the same only if every bit does.
    Nd4j.getRandom().setSeed(7);
    INDArray theta = Nd4j.randn(dtype, 10_000).muli(0.3);
    INDArray g = Nd4j.randn(dtype, 10_000).muli(0.01);
    double eta = 0.1;
    INDArray expected = g.dup().muli(-eta).addi(theta);

    INDArray actual = g.dup();
    Vectors.scal(-eta, actual);
    Vectors.axpy(1, theta, actual);

    assertThat(actual.toDoubleVector()).containsExactly(expected.toDoubleVector());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("axpyInto writes a·x + y exactly as a copy of y followed by BLAS axpy, and leaves x"
      + " and y alone")
  void axpyIntoRoundsAsCopyThenAxpy(DataType dtype) {
    // The finite-difference shifts θ ± hv and EvoGrad's θ + ε moved from copy + axpy to this;
    // their trajectories stay the same only if every bit does. An odd length covers the tails
    // of the vectorised loops; the MWN MLP has 269,322 weights.
    Nd4j.getRandom().setSeed(9);
    INDArray x = Nd4j.randn(dtype, 269_322);
    INDArray y = Nd4j.randn(dtype, 269_322).muli(0.3);
    INDArray xBefore = x.dup();
    INDArray yBefore = y.dup();
    for (double a : new double[] {1.0, -1.0, 3.7e-3, -3.7e-3, 0.5}) {
      INDArray expected = y.dup();
      Vectors.axpy(a, x, expected);
      INDArray actual = Nd4j.createUninitialized(dtype, x.length());

      Vectors.axpyInto(a, x, y, actual);

      assertThat(differingElements(actual, expected)).as("elements not bit for bit, a = %s", a)
          .isZero();
    }
    assertThat(x).isEqualTo(xBefore);
    assertThat(y).isEqualTo(yBefore);
  }

  /** How many elements differ in their bits (AssertJ's containsExactly is slow on 10⁵ values). */
  private static long differingElements(INDArray a, INDArray b) {
    double[] x = a.toDoubleVector();
    double[] y = b.toDoubleVector();
    long n = 0;
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      if (Double.doubleToRawLongBits(x[i]) != Double.doubleToRawLongBits(y[i])) {
        n++;
      }
    }
    return n + Math.abs(x.length - y.length);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("axpy(−1) subtracts as ND4J's subi, bit for bit (Neumann's v − αHv)")
  void axpyMinusOneRoundsAsSubi(DataType dtype) {
    Nd4j.getRandom().setSeed(8);
    INDArray v = Nd4j.randn(dtype, 10_000);
    INDArray hv = Nd4j.randn(dtype, 10_000).muli(0.01);
    INDArray expected = v.dup().subi(hv);

    Vectors.axpy(-1, hv, v);

    assertThat(v.toDoubleVector()).containsExactly(expected.toDoubleVector());
  }
}
