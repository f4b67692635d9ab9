package dev.bilevel.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Stochastic gradient descent, optionally with Nesterov momentum (ND4J's {@code Nesterovs}; ND4J has
 * no heavy-ball momentum updater), coupled weight decay and a learning-rate schedule.
 *
 * <pre>{@code Sgd.of(0.1).momentum(0.9).weightDecay(5e-4).schedule(new StepSchedule(...))}</pre>
 */
public record Sgd(double learningRate, double momentum, double weightDecay, ISchedule schedule)
    implements OptimizerSpec {

  public Sgd {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("Sgd learning rate must be positive and finite, got " + learningRate);
    }
    if (momentum < 0 || momentum >= 1) {
      throw new IllegalArgumentException("Sgd momentum must be in [0, 1), got " + momentum);
    }
    if (weightDecay < 0) {
      throw new IllegalArgumentException("Sgd weight decay must be non-negative, got " + weightDecay);
    }
  }

  public static Sgd of(double learningRate) {
    return new Sgd(learningRate, 0, 0, null);
  }

  /** Nesterov momentum μ, as ND4J's {@code Nesterovs} implements it. */
  public Sgd momentum(double mu) {
    return new Sgd(learningRate, mu, weightDecay, schedule);
  }

  public Sgd weightDecay(double decay) {
    return new Sgd(learningRate, momentum, decay, schedule);
  }

  /** Learning-rate schedule (ND4J {@link ISchedule}); it replaces the constant learning rate. */
  public Sgd schedule(ISchedule s) {
    return new Sgd(learningRate, momentum, weightDecay, s);
  }

  @Override
  public IUpdater updater() {
    if (momentum == 0) {
      return schedule == null
          ? new org.nd4j.linalg.learning.config.Sgd(learningRate)
          : new org.nd4j.linalg.learning.config.Sgd(schedule);
    }
    return schedule == null ? new Nesterovs(learningRate, momentum) : new Nesterovs(schedule, momentum);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", momentum == 0 ? "sgd" : "sgd-nesterov");
    m.put("learningRate", learningRate);
    m.put("momentum", momentum);
    m.put("weightDecay", weightDecay);
    m.put("schedule", OptimizerSpec.scheduleName(schedule));
    return m;
  }
}
