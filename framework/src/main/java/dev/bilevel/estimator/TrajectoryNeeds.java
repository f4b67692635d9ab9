package dev.bilevel.estimator;

/**
 * How much of the inner trajectory an estimator needs in a recorded window: what the engine keeps
 * for it, unless it follows the steps online ({@link HypergradientEstimator#newAccumulator()}).
 */
public enum TrajectoryNeeds {
  /** Only the current state (online estimators). */
  NONE,
  /** The batches and learning rates of the window, its first and last θ (DrMAD, replay). */
  ENDPOINTS,
  /** Also every intermediate θ_t (reverse mode): memory grows with the window. */
  FULL
}
