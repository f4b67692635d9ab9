package dev.bilevel.estimator.neumann;

import java.util.Objects;

/**
 * Settings of the Neumann-series implicit hypergradient.
 *
 * @param iterations N, the number of Hessian-vector products: the series keeps the terms n = 0 … N
 * @param seriesStep α of H⁻¹ ≈ α Σ_{n=0..N} (I − αH)^n; it converges for 0 &lt; α &lt; 2/L (L the
 *     largest eigenvalue of H). NaN (the default) uses the inner optimizer's current learning rate,
 *     which makes I − αH the update Jacobian of SGD
 * @param schedule at which meta-updates the estimator runs
 */
public record NeumannConfig(int iterations, double seriesStep, Schedule schedule) {

  /** When the estimator runs; at other meta-updates it returns a zero hypergradient. */
  public sealed interface Schedule permits EveryMetaUpdate, LastSteps {}

  /** At every meta-update. */
  public record EveryMetaUpdate() implements Schedule {}

  /**
   * Only in the last {@code steps} engine steps of every inner optimisation of {@code horizon}
   * steps: at engine step s, when s mod horizon ≥ horizon − steps (HyperDistill's N.IFT(N, K)
   * baseline, with K = steps and T = horizon).
   */
  public record LastSteps(int steps, int horizon) implements Schedule {
    public LastSteps {
      if (steps < 1 || horizon < steps) {
        throw new IllegalArgumentException("neumann: the last-steps schedule needs 1 ≤ steps ≤"
            + " horizon, got steps " + steps + " and horizon " + horizon);
      }
    }

    /** Whether engine step {@code step} falls in the last {@code steps} of its inner optimisation. */
    public boolean active(long step) {
      return Math.floorMod(step, (long) horizon) >= horizon - steps;
    }
  }

  public NeumannConfig {
    if (iterations < 0) {
      throw new IllegalArgumentException("neumann iterations must be non-negative, got "
          + iterations);
    }
    if (!Double.isNaN(seriesStep) && !(seriesStep > 0 && Double.isFinite(seriesStep))) {
      throw new IllegalArgumentException("neumann series step must be positive and finite, got "
          + seriesStep);
    }
    Objects.requireNonNull(schedule, "schedule");
  }

  /** N = 5, α = the inner learning rate, at every meta-update. */
  public static NeumannConfig defaults() {
    return new NeumannConfig(5, Double.NaN, new EveryMetaUpdate());
  }

  public NeumannConfig iterations(int n) {
    return new NeumannConfig(n, seriesStep, schedule);
  }

  /** A fixed series step α instead of the inner learning rate. */
  public NeumannConfig seriesStep(double alpha) {
    return new NeumannConfig(iterations, alpha, schedule);
  }

  public NeumannConfig everyMetaUpdate() {
    return new NeumannConfig(iterations, seriesStep, new EveryMetaUpdate());
  }

  /** Only in the last {@code steps} engine steps of each inner optimisation of {@code horizon} steps. */
  public NeumannConfig onlyInLastSteps(int steps, int horizon) {
    return new NeumannConfig(iterations, seriesStep, new LastSteps(steps, horizon));
  }
}
