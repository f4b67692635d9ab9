package dev.bilevel.estimator.evograd;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;

/** Selects the {@code evograd} estimator with a configuration. Install with {@code BilevelModule}. */
public final class EvoGradModule extends AbstractModule {
  private final EvoGradConfig config;

  public EvoGradModule() {
    this(EvoGradConfig.defaults());
  }

  public EvoGradModule(EvoGradConfig config) {
    this.config = java.util.Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), EvoGradConfig.class).setBinding().toInstance(config);
    Estimators.select(binder(), EvoGrad.NAME);
  }
}
