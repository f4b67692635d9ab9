package dev.bilevel.estimator;

/**
 * What an online estimator builds from the inner steps of the current window as they happen, in
 * place of a recorded {@link Trajectory}: forward mode's tangents, for instance. Keeping nothing of a
 * step once it has been accepted is what makes such an estimator's memory independent of the window
 * length T.
 *
 * <p>Per-run state, so that one estimator instance can serve several runs: the engine asks {@link
 * HypergradientEstimator#newAccumulator()} for one per run, owns it, passes it every inner step,
 * hands it to the estimator in {@link EstimationContext#accumulator()} at the meta-update, and resets
 * it whenever the window restarts (after a meta-update, when θ is replaced, on restore).
 */
public interface WindowAccumulator {

  /**
   * Takes step t into account, before the engine applies it.
   *
   * @throws IllegalArgumentException if the estimator cannot follow this problem (say an inner
   *     optimizer it does not model): the step is then not applied
   */
  void accept(InnerStep step);

  /** Forgets every step accepted: the next one starts a new window. May keep its buffers. */
  void reset();
}
