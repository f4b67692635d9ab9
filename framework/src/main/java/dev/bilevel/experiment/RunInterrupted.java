package dev.bilevel.experiment;

/**
 * Thrown when a run stops on purpose after a given number of epochs ({@code --stop-after}), which
 * simulates a kill at an epoch boundary for testing {@code --resume}.
 */
public final class RunInterrupted extends RuntimeException {
  public RunInterrupted(String message) {
    super(message);
  }
}
