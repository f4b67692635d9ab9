package dev.bilevel.estimator.drmad;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;
import java.util.Objects;

/** Selects the {@code drmad} estimator with a configuration. Install with {@code BilevelModule}. */
public final class DrMadModule extends AbstractModule {
  private final DrMadConfig config;

  public DrMadModule() {
    this(DrMadConfig.defaults());
  }

  public DrMadModule(DrMadConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), DrMadConfig.class).setBinding().toInstance(config);
    Estimators.select(binder(), DrMad.NAME);
  }
}
