package dev.bilevel.optim;

import java.util.Map;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * An immutable description of an optimizer, backed by ND4J's updaters and regularisers. {@link
 * #create(long, org.nd4j.linalg.api.buffer.DataType)} makes the stateful {@link Optimizer} of one run.
 */
public sealed interface OptimizerSpec permits Sgd, Adam {

  /** The ND4J updater (learning rate and schedule included). */
  IUpdater updater();

  /** Coupled L2 weight decay added to the gradient before the updater (PyTorch's SGD/Adam style). */
  double weightDecay();

  /** The learning rate at an iteration (0-based) and epoch, schedule applied. */
  default double learningRate(int iteration, int epoch) {
    return updater().getLearningRate(iteration, epoch);
  }

  /** A fresh optimizer for a flat parameter vector of the given length. */
  default Optimizer create(long length, org.nd4j.linalg.api.buffer.DataType dtype) {
    return new Optimizer(this, length, dtype);
  }

  /** The settings as provenance. */
  Map<String, Object> describe();

  static String scheduleName(ISchedule schedule) {
    return schedule == null ? "constant" : schedule.getClass().getSimpleName() + ":" + schedule;
  }
}
