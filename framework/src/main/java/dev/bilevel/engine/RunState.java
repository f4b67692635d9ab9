package dev.bilevel.engine;

import dev.bilevel.optim.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything needed to continue a run: θ, λ, both optimizer states and the counters. Batches are a
 * function of (seed, epoch, step), so they need not be stored.
 */
public record RunState(INDArray theta, INDArray lambda, Optimizer.Snapshot inner,
    Optimizer.Snapshot outer, long step, int epoch) {}
