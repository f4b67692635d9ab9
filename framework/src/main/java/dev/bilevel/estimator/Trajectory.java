package dev.bilevel.estimator;

import dev.bilevel.data.Batch;
import dev.bilevel.optim.Optimizer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The inner steps taken since the last meta-update, as recorded by the engine for estimators that
 * differentiate through them. Step t maps θ_{t-1} to θ_t with batch D_t.
 *
 * @param theta0 θ at the start of the window
 * @param optimizerState0 the inner optimizer's state at the start (momentum, Adam moments)
 * @param steps the recorded steps, oldest first
 * @param thetaT θ at the end of the window (the context's θ)
 */
public record Trajectory(INDArray theta0, Optimizer.Snapshot optimizerState0, List<Step> steps,
    INDArray thetaT) {

  public Trajectory {
    steps = List.copyOf(steps);
  }

  /**
   * One inner step.
   *
   * @param batch the batch D_t
   * @param learningRate the inner learning rate used
   * @param iteration the inner optimizer's iteration counter at the step
   * @param thetaBefore θ_{t-1}; null unless the estimator asked for {@link TrajectoryNeeds#FULL}
   */
  public record Step(Batch batch, double learningRate, int iteration, INDArray thetaBefore) {}

  public static Trajectory empty() {
    return new Trajectory(null, null, List.of(), null);
  }

  public boolean isEmpty() {
    return steps.isEmpty();
  }

  public int length() {
    return steps.size();
  }
}
