package dev.bilevel.estimator.forward;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;
import java.util.Objects;

/** Selects the {@code forward} estimator with a configuration. Install with {@code BilevelModule}. */
public final class ForwardModule extends AbstractModule {
  private final ForwardConfig config;

  public ForwardModule() {
    this(ForwardConfig.defaults());
  }

  public ForwardModule(ForwardConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), ForwardConfig.class).setBinding().toInstance(config);
    Estimators.select(binder(), Forward.NAME);
  }
}
