package dev.bilevel.estimator;

import dev.bilevel.dsl.BilevelProblem;
import java.util.List;
import java.util.Map;

/**
 * A strategy that estimates dL_out/dλ at the current state. It sees only an {@link
 * EstimationContext}: values, gradients and products at given parameters and batches, never
 * SameDiff. Lifecycle: constructed once per injector, {@link #estimate} called once per meta-update;
 * estimators keep no state between calls unless their documentation says so. State built over a
 * window lives in a per-run {@link WindowAccumulator}, not in the estimator.
 */
public interface HypergradientEstimator {

  /** The registry name, e.g. {@code "evograd"}. */
  String name();

  /**
   * What a recorded window must hold for {@link #estimate} to work from it. The engine records it
   * between meta-updates, unless the estimator follows the inner steps online ({@link
   * #newAccumulator()}): then it records nothing.
   */
  default TrajectoryNeeds needs() {
    return TrajectoryNeeds.NONE;
  }

  /**
   * A new, empty accumulator for one run, for an estimator that follows the inner steps as they
   * happen rather than from a recorded window; null (the default) for the others. Called once per
   * run: the state a run builds must not live in the estimator, which may serve several runs.
   */
  default WindowAccumulator newAccumulator() {
    return null;
  }

  /**
   * What keeps this estimator from training a problem, judged from its specification alone (sizes,
   * groups, inner optimizer): empty when nothing does. {@link dev.bilevel.engine.BilevelTrainer}
   * refuses to start a run on any of them, so a limit shows before training, not at the first
   * meta-update; {@link #estimate} still checks what it depends on.
   */
  default List<Refusal> refusals(BilevelProblem problem) {
    return List.of();
  }

  /** The hypergradient at the context's θ and λ. */
  Hypergradient estimate(EstimationContext context);

  /** The configuration as provenance. */
  Map<String, Object> describe();
}
