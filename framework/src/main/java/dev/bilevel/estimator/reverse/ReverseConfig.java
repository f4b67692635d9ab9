package dev.bilevel.estimator.reverse;

/**
 * Settings of reverse-mode differentiation through the inner trajectory.
 *
 * @param truncate sweep back through only the last k inner steps of the window (truncated
 *     back-propagation, Shaban et al. 2019); 0 (the default) sweeps through all of them
 */
public record ReverseConfig(int truncate) {

  public ReverseConfig {
    if (truncate < 0) {
      throw new IllegalArgumentException("reverse truncate must be at least 1 step (or 0 for the"
          + " full sweep), got " + truncate);
    }
  }

  /** The full sweep. */
  public static ReverseConfig defaults() {
    return new ReverseConfig(0);
  }

  /**
   * Only the last {@code steps} inner steps; a value at least the window's length is the full sweep.
   *
   * @throws IllegalArgumentException if {@code steps} is less than 1
   */
  public ReverseConfig truncate(int steps) {
    if (steps < 1) {
      throw new IllegalArgumentException("reverse truncate must be at least 1 step, got " + steps);
    }
    return new ReverseConfig(steps);
  }

  /** The full sweep again. */
  public ReverseConfig full() {
    return new ReverseConfig(0);
  }

  public boolean truncated() {
    return truncate > 0;
  }
}
