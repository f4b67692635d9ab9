package dev.bilevel.estimator;

import dev.bilevel.data.Batch;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.secondorder.SecondOrder;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything an estimator may use for one meta-update. θ and λ are the live values: estimators read
 * them and must not modify them.
 *
 * @param oracle values and first-order gradients
 * @param products finite-difference second-order products on the same oracle
 * @param theta current θ
 * @param lambda current λ
 * @param innerBatch the current inner (training) batch
 * @param outerBatch the current outer (meta/validation) batch
 * @param innerOptimizer the inner optimizer's specification
 * @param innerLearningRate the inner optimizer's current learning rate η
 * @param trajectory the recorded window, empty unless {@link HypergradientEstimator#needs()} asks
 *     and the window was not followed online
 * @param seed seed for the estimator's own random draws at this meta-update
 * @param step the engine's step counter
 * @param accumulator the run's {@link WindowAccumulator}, which has accepted every step of the
 *     window; null unless the estimator provides one ({@link
 *     HypergradientEstimator#newAccumulator()}) and the engine followed the window with it
 */
public record EstimationContext(BilevelOracle oracle, SecondOrder products, INDArray theta,
    INDArray lambda, Batch innerBatch, Batch outerBatch, OptimizerSpec innerOptimizer,
    double innerLearningRate, Trajectory trajectory, long seed, long step,
    WindowAccumulator accumulator) {

  /** A context without an accumulator: the window, if any, is the recorded {@code trajectory}. */
  public EstimationContext(BilevelOracle oracle, SecondOrder products, INDArray theta,
      INDArray lambda, Batch innerBatch, Batch outerBatch, OptimizerSpec innerOptimizer,
      double innerLearningRate, Trajectory trajectory, long seed, long step) {
    this(oracle, products, theta, lambda, innerBatch, outerBatch, innerOptimizer,
        innerLearningRate, trajectory, seed, step, null);
  }
}
