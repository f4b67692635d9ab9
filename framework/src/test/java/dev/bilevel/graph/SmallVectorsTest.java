package dev.bilevel.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@DisplayName("λ-sized arithmetic in Java, rounded as ND4J's")
class SmallVectorsTest {
  // Finite-difference products and one-step moved from ND4J's ops to these; their trajectories
  // (and every result quoted in docs/) stay the same only if every bit does.

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("differenceOver is a.sub(b).divi(d) bit for bit, and leaves a and b alone")
  void differenceOverRoundsAsNd4j(DataType dtype) {
    Nd4j.getRandom().setSeed(11);
    INDArray a = Nd4j.randn(dtype, 5_000);
    INDArray b = Nd4j.randn(dtype, 5_000);
    double[] aBefore = a.toDoubleVector();
    // A divisor whose reciprocal is inexact: multiplying by 1/d would differ in about half the
    // elements.
    double d = 2 * 3.7e-4;

    INDArray actual = SmallVectors.differenceOver(a, b, d);

    assertThat(actual.dataType()).isEqualTo(dtype);
    assertThat(actual.toDoubleVector()).containsExactly(a.sub(b).divi(d).toDoubleVector());
    assertThat(a.toDoubleVector()).containsExactly(aBefore);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("minusScaled is base.dup().subi(x.mul(s)) bit for bit, and leaves base alone")
  void minusScaledRoundsAsNd4j(DataType dtype) {
    Nd4j.getRandom().setSeed(12);
    INDArray base = Nd4j.randn(dtype, 5_000);
    INDArray x = Nd4j.randn(dtype, 5_000);
    double[] baseBefore = base.toDoubleVector();

    INDArray actual = SmallVectors.minusScaled(base, x, 0.1);

    assertThat(actual.dataType()).isEqualTo(dtype);
    assertThat(actual.toDoubleVector())
        .containsExactly(base.dup().subi(x.mul(0.1)).toDoubleVector());
    assertThat(base.toDoubleVector()).containsExactly(baseBefore);
  }

  @Test
  void rejectsVectorsOfDifferentTypesOrLengths() {
    INDArray f = Nd4j.zeros(DataType.FLOAT, 3);

    assertThatThrownBy(() -> SmallVectors.differenceOver(f, Nd4j.zeros(DataType.DOUBLE, 3), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected two vectors of one type and length, got FLOAT[3] and DOUBLE[3]");
    assertThatThrownBy(() -> SmallVectors.minusScaled(f, Nd4j.zeros(DataType.FLOAT, 4), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected two vectors of one type and length, got FLOAT[3] and FLOAT[4]");
  }
}
