package dev.bilevel.engine;

/** Receives training events. Listeners must not modify the run's parameters. */
public interface TrainingListener {

  default void onStep(StepEvent event) {}

  default void onEpochEnd(TrainingRun run, int epoch) {}
}
