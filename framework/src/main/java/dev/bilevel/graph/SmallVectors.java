package dev.bilevel.graph;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Element-wise arithmetic on λ-sized vectors, computed in Java and rounded exactly as the ND4J ops
 * it replaces (each operation in the vectors' type, a scalar cast to that type first, division as
 * division). On a few hundred numbers an ND4J op costs about 50 µs of dispatch for no work; the
 * results stay the same to the bit, so recorded runs reproduce.
 */
public final class SmallVectors {
  private SmallVectors() {}

  /** (a − b) / d, a new vector: ND4J's {@code a.sub(b).divi(d)}. */
  public static INDArray differenceOver(INDArray a, INDArray b, double d) {
    if (isFloat(a, b)) {
      float[] x = a.toFloatVector();
      float[] y = b.toFloatVector();
      float df = (float) d;
      for (int i = 0; i < x.length; i++) {
        x[i] = (x[i] - y[i]) / df;
      }
      return Nd4j.createFromArray(x);
    }
    double[] x = a.toDoubleVector();
    double[] y = b.toDoubleVector();
    for (int i = 0; i < x.length; i++) {
      x[i] = (x[i] - y[i]) / d;
    }
    return Nd4j.createFromArray(x);
  }

  /** base − s·x, a new vector: ND4J's {@code base.dup().subi(x.mul(s))}. */
  public static INDArray minusScaled(INDArray base, INDArray x, double s) {
    if (isFloat(base, x)) {
      float[] r = base.toFloatVector();
      float[] v = x.toFloatVector();
      float sf = (float) s;
      for (int i = 0; i < r.length; i++) {
        r[i] = r[i] - v[i] * sf;
      }
      return Nd4j.createFromArray(r);
    }
    double[] r = base.toDoubleVector();
    double[] v = x.toDoubleVector();
    for (int i = 0; i < r.length; i++) {
      r[i] = r[i] - v[i] * s;
    }
    return Nd4j.createFromArray(r);
  }

  private static boolean isFloat(INDArray a, INDArray b) {
    if (a.dataType() != b.dataType() || a.length() != b.length()) {
      throw new IllegalArgumentException("expected two vectors of one type and length, got "
          + a.dataType() + "[" + a.length() + "] and " + b.dataType() + "[" + b.length() + "]");
    }
    if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
      throw new IllegalArgumentException("expected FLOAT or DOUBLE vectors, got " + a.dataType());
    }
    return a.dataType() == DataType.FLOAT;
  }
}
