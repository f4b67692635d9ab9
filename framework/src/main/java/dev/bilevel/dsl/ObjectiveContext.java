package dev.bilevel.dsl;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What an objective is written against: the problem's inputs, its parameter groups, and a few
 * loss helpers. Raw SameDiff ops are available through {@link #sd()}. Unknown names are recorded and
 * reported by {@code build()} together with every other problem of the specification.
 */
public interface ObjectiveContext {

  /** The graph being built. */
  SameDiff sd();

  /** The level this objective belongs to. */
  Level level();

  /** The problem's floating-point dtype. */
  DataType dtype();

  /** A declared input (placeholder). */
  SDVariable input(String name);

  /** An inner (θ) parameter group. */
  GroupRef inner(String group);

  /** A meta (λ) parameter group. */
  GroupRef meta(String group);

  /** Makes an intermediate value (say per-sample losses) available by name after compilation. */
  void expose(String name, SDVariable value);

  /** Stops gradients: the value is used but not differentiated through. */
  default SDVariable stopGradient(SDVariable x) {
    return new StopGradient(sd(), x).outputVariable();
  }

  /** A scalar constant of the problem's dtype. */
  default SDVariable scalar(double value) {
    return sd().constant(Nd4j.scalar(dtype(), value));
  }

  /**
   * Cross-entropy of each sample, −Σ_c y_c log softmax(logits)_c, shape [batch], computed as
   * log Σ_c exp(z_c) − Σ_c y_c z_c with z = logits − max(logits): finite for any finite logits.
   * ND4J 1.0.0-M2.1's log_softmax is log(softmax), which is −∞ once a logit is about 104 below the
   * largest in FP32 (745 in FP64), and 0·(−∞) in −Σ y log p then makes the loss NaN. The max is a
   * constant shift, so no gradient flows through it.
   */
  default SDVariable perSampleCrossEntropy(SDVariable logits, SDVariable oneHot) {
    SDVariable z = logits.sub(stopGradient(logits.max(true, 1)));
    SDVariable logSumExp = sd().math().log(sd().math().exp(z).sum(true, 1)).reshape(-1);
    return logSumExp.sub(z.mul(oneHot).sum(1));
  }

  /** Mean cross-entropy over the batch. */
  default SDVariable meanCrossEntropy(SDVariable logits, SDVariable oneHot) {
    return perSampleCrossEntropy(logits, oneHot).mean();
  }

  /** (1/n) Σ_i w_i ℓ_i: weights of shape [batch] or [batch, 1]. */
  default SDVariable weightedMean(SDVariable values, SDVariable weights) {
    return values.mul(weights.reshape(-1)).mean();
  }

  /** Σ_i w_i ℓ_i / Σ_i w_i, guarded against an all-zero weight vector. */
  default SDVariable normalizedWeightedSum(SDVariable values, SDVariable weights) {
    SDVariable w = weights.reshape(-1);
    return values.mul(w).sum().div(w.sum().add(1e-12));
  }

  /** Mean of the squared error over every element. */
  default SDVariable meanSquaredError(SDVariable prediction, SDVariable target) {
    // Not sum(1).mean(): in M2.1 the gradient of a reduction over a size-1 axis followed by mean
    // fails with a NullPointerException.
    return sd().math().square(prediction.sub(target)).mean();
  }

  /** Σ of squares of every parameter of a group. */
  default SDVariable squaredNorm(GroupRef group) {
    List<SDVariable> ps = group.params();
    SDVariable total = null;
    for (SDVariable p : ps) {
      SDVariable s = sd().math().square(p).sum();
      total = total == null ? s : total.add(s);
    }
    return total == null ? scalar(0) : total;
  }
}
