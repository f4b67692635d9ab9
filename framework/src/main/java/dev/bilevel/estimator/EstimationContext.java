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
 * @param seed seed for the estimator's own random draws at this meta-update
 * @param step the engine's step counter
 */
public record EstimationContext(BilevelOracle oracle, SecondOrder products, INDArray theta,
    INDArray lambda, Batch innerBatch, Batch outerBatch, OptimizerSpec innerOptimizer,
    double innerLearningRate, Trajectory trajectory, long seed, long step) {}
