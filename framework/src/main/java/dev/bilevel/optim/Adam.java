package dev.bilevel.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/** Adam (ND4J's updater) with coupled weight decay and an optional learning-rate schedule. */
public record Adam(double learningRate, double beta1, double beta2, double epsilon,
    double weightDecay, ISchedule schedule) implements OptimizerSpec {

  public Adam {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("Adam learning rate must be positive and finite, got " + learningRate);
    }
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
      throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (weightDecay < 0) {
      throw new IllegalArgumentException("Adam weight decay must be non-negative, got " + weightDecay);
    }
  }

  public static Adam of(double learningRate) {
    return new Adam(learningRate, 0.9, 0.999, 1e-8, 0, null);
  }

  public Adam betas(double b1, double b2) {
    return new Adam(learningRate, b1, b2, epsilon, weightDecay, schedule);
  }

  public Adam epsilon(double eps) {
    return new Adam(learningRate, beta1, beta2, eps, weightDecay, schedule);
  }

  public Adam weightDecay(double decay) {
    return new Adam(learningRate, beta1, beta2, epsilon, decay, schedule);
  }

  public Adam schedule(ISchedule s) {
    return new Adam(learningRate, beta1, beta2, epsilon, weightDecay, s);
  }

  @Override
  public IUpdater updater() {
    org.nd4j.linalg.learning.config.Adam a =
        new org.nd4j.linalg.learning.config.Adam(learningRate, beta1, beta2, epsilon);
    if (schedule != null) {
      a.setLearningRateSchedule(schedule);
    }
    return a;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "adam");
    m.put("learningRate", learningRate);
    m.put("beta1", beta1);
    m.put("beta2", beta2);
    m.put("epsilon", epsilon);
    m.put("weightDecay", weightDecay);
    m.put("schedule", OptimizerSpec.scheduleName(schedule));
    return m;
  }
}
