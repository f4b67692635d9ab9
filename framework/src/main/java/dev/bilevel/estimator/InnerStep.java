package dev.bilevel.estimator;

import dev.bilevel.data.Batch;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.secondorder.SecondOrder;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One inner step t as the engine is about to apply it, for a {@link WindowAccumulator}. θ and λ are
 * the live values: read them during the call, do not modify or keep them (θ changes right after).
 *
 * @param oracle values and first-order gradients
 * @param products second-order products on the same oracle (the run's; not thread-safe)
 * @param thetaBefore θ_{t−1}, the θ the step starts from
 * @param lambda current λ
 * @param batch the step's batch D_t
 * @param learningRate the inner learning rate η_t the step uses
 * @param innerOptimizer the inner optimizer's specification
 */
public record InnerStep(BilevelOracle oracle, SecondOrder products, INDArray thetaBefore,
    INDArray lambda, Batch batch, double learningRate, OptimizerSpec innerOptimizer) {}
