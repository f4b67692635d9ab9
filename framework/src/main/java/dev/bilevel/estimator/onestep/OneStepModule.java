package dev.bilevel.estimator.onestep;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;

/** Selects the {@code one-step} (T1-T2) estimator. Install with {@code BilevelModule}. */
public final class OneStepModule extends AbstractModule {
  private final OneStepConfig config;

  public OneStepModule() {
    this(OneStepConfig.defaults());
  }

  public OneStepModule(OneStepConfig config) {
    this.config = java.util.Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), OneStepConfig.class).setBinding().toInstance(config);
    Estimators.select(binder(), OneStep.NAME);
  }
}
