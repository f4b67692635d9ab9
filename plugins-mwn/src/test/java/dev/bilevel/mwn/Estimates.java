package dev.bilevel.mwn;

import dev.bilevel.data.Batch;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Sgd;
import dev.bilevel.secondorder.SecondOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Single estimates on a compiled MWN problem, and the FP64 vector arithmetic to compare them. */
final class Estimates {
  private Estimates() {}

  /** A context for one estimate at (θ, λ), with SGD at η as the inner optimizer and no window. */
  static EstimationContext context(CompiledProblem p, INDArray theta, INDArray lambda, Batch inner,
      Batch outer, double eta, long seed) {
    return new EstimationContext(p, new SecondOrder(p), theta, lambda, inner, outer, Sgd.of(eta), eta,
        Trajectory.empty(), seed, 0);
  }

  static double[] vec(INDArray a) {
    return a.castTo(DataType.DOUBLE).reshape(a.length()).toDoubleVector();
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double norm(double[] a) {
    return Math.sqrt(dot(a, a));
  }
}
