package dev.bilevel.estimator.onestep;

/**
 * Settings of the one-step (T1-T2) estimator.
 *
 * @param learningRateOverride the virtual step's η; NaN (the default) uses the inner optimizer's
 *     current learning rate
 */
public record OneStepConfig(double learningRateOverride) {

  public OneStepConfig {
    if (!Double.isNaN(learningRateOverride) && !(learningRateOverride > 0)) {
      throw new IllegalArgumentException("one-step learning rate must be positive, got "
          + learningRateOverride);
    }
  }

  public static OneStepConfig defaults() {
    return new OneStepConfig(Double.NaN);
  }

  /** A fixed virtual-step learning rate instead of the inner optimizer's. */
  public OneStepConfig learningRate(double eta) {
    return new OneStepConfig(eta);
  }
}
