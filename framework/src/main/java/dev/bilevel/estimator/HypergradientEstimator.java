package dev.bilevel.estimator;

import java.util.Map;

/**
 * A strategy that estimates dL_out/dλ at the current state. It sees only an {@link
 * EstimationContext}: values, gradients and products at given parameters and batches, never
 * SameDiff. Lifecycle: constructed once per injector, {@link #estimate} called once per meta-update;
 * estimators keep no state between calls unless their documentation says so.
 */
public interface HypergradientEstimator {

  /** The registry name, e.g. {@code "evograd"}. */
  String name();

  /** What the engine must record between meta-updates for this estimator. */
  default TrajectoryNeeds needs() {
    return TrajectoryNeeds.NONE;
  }

  /** The hypergradient at the context's θ and λ. */
  Hypergradient estimate(EstimationContext context);

  /** The configuration as provenance. */
  Map<String, Object> describe();
}
