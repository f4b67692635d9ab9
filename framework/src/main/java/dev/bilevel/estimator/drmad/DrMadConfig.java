package dev.bilevel.estimator.drmad;

/**
 * Settings of DrMAD.
 *
 * @param truncate sweep back through only the last k steps of the window (on the interpolated
 *     path); 0 (the default) sweeps through all of them
 */
public record DrMadConfig(int truncate) {

  public DrMadConfig {
    if (truncate < 0) {
      throw new IllegalArgumentException("drmad truncate must be at least 1 step (or 0 for the full"
          + " sweep), got " + truncate);
    }
  }

  /** The full sweep. */
  public static DrMadConfig defaults() {
    return new DrMadConfig(0);
  }

  /**
   * Only the last {@code steps} steps; a value at least the window's length is the full sweep.
   *
   * @throws IllegalArgumentException if {@code steps} is less than 1
   */
  public DrMadConfig truncate(int steps) {
    if (steps < 1) {
      throw new IllegalArgumentException("drmad truncate must be at least 1 step, got " + steps);
    }
    return new DrMadConfig(steps);
  }

  /** The full sweep again. */
  public DrMadConfig full() {
    return new DrMadConfig(0);
  }
}
