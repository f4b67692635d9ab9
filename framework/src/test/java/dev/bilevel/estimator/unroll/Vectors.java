package dev.bilevel.estimator.unroll;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Error measures for comparing hypergradients in tests. */
public final class Vectors {
  private Vectors() {}

  /** ‖a − b‖ / ‖b‖. */
  public static double relativeError(INDArray a, double[] b) {
    return relativeError(a.toDoubleVector(), b);
  }

  public static double relativeError(INDArray a, INDArray b) {
    return relativeError(a.toDoubleVector(), b.toDoubleVector());
  }

  public static double relativeError(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
    }
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      num += (a[i] - b[i]) * (a[i] - b[i]);
      den += b[i] * b[i];
    }
    return Math.sqrt(num / den);
  }
}
