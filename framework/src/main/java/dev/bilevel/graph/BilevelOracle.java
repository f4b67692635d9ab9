package dev.bilevel.graph;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The narrow interface an estimator sees: objective values, gradients and named outputs at given
 * parameter values and batches. θ and λ are flat vectors laid out by {@link #thetaLayout()} and
 * {@link #lambdaLayout()}; nothing here changes them, so evaluating at a perturbed θ never touches
 * the live parameters.
 */
public interface BilevelOracle {

  ParameterLayout thetaLayout();

  ParameterLayout lambdaLayout();

  DataType dtype();

  /** Value, and the gradients asked for, of one objective. */
  Evaluation evaluate(Level level, INDArray theta, INDArray lambda, Batch batch, Wrt wrt,
      String... outputs);

  /**
   * As {@link #evaluate}, with ∇θ written into {@code gradThetaInto} (a contiguous vector of θ's
   * size) instead of a new array, so that an estimator or a training loop can keep one buffer: a
   * fresh θ-sized native array costs about as much as a pass over it. {@code wrt} must include θ.
   */
  default Evaluation evaluateInto(Level level, INDArray theta, INDArray lambda, Batch batch,
      Wrt wrt, INDArray gradThetaInto) {
    if (!wrt.theta()) {
      throw new IllegalArgumentException("evaluateInto writes ∇θ, but wrt is " + wrt
          + "; use evaluate for requests without θ");
    }
    Evaluation e = evaluate(level, theta, lambda, batch, wrt);
    gradThetaInto.assign(e.gradTheta());
    return new Evaluation(e.value(), gradThetaInto, e.gradLambda(), e.outputs());
  }

  /**
   * As {@link #evaluateInto} (or {@link #evaluate} when {@code gradThetaInto} is null), but with
   * the objective's piecewise-constant ops, such as the masks of its ReLUs, held at the values of
   * this oracle's previous evaluation of the same objective (whatever that asked for), on a batch
   * of the same shapes. Two gradients differenced this way are taken on one smooth piece of a ReLU
   * network:
   * a unit that crosses its kink between the two points would otherwise add a jump of O(1) to the
   * difference, O(1/h) to the quotient. Oracles that cannot hold a pattern evaluate as usual; an
   * oracle that wraps another must delegate this method too, or differences through it lose the
   * held pattern without a sign.
   */
  default Evaluation evaluateHoldingPattern(Level level, INDArray theta, INDArray lambda,
      Batch batch, Wrt wrt, INDArray gradThetaInto) {
    return gradThetaInto == null ? evaluate(level, theta, lambda, batch, wrt)
        : evaluateInto(level, theta, lambda, batch, wrt, gradThetaInto);
  }

  default double value(Level level, INDArray theta, INDArray lambda, Batch batch) {
    return evaluate(level, theta, lambda, batch, Wrt.NONE).value();
  }

  default INDArray gradTheta(Level level, INDArray theta, INDArray lambda, Batch batch) {
    return evaluate(level, theta, lambda, batch, Wrt.THETA).gradTheta();
  }

  default INDArray gradLambda(Level level, INDArray theta, INDArray lambda, Batch batch) {
    return evaluate(level, theta, lambda, batch, Wrt.LAMBDA).gradLambda();
  }

  /** Named outputs exposed by an objective (say per-sample losses), copied out of the graph. */
  Map<String, INDArray> outputs(Level level, INDArray theta, INDArray lambda, Batch batch,
      String... names);

  /** Whether gradients can flow from an objective to λ (to θ: {@link #thetaReaches}). */
  boolean lambdaReaches(Level level);

  boolean thetaReaches(Level level);

  /** How many forward and backward passes have run, for cost reports. */
  Counts counts();

  /** Evaluation counters. */
  record Counts(long forward, long backward) {
    public Counts minus(Counts earlier) {
      return new Counts(forward - earlier.forward, backward - earlier.backward);
    }
  }
}
