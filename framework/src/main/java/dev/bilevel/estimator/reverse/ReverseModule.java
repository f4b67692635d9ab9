package dev.bilevel.estimator.reverse;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;
import java.util.Objects;

/** Selects the {@code reverse} estimator with a configuration. Install with {@code BilevelModule}. */
public final class ReverseModule extends AbstractModule {
  private final ReverseConfig config;

  public ReverseModule() {
    this(ReverseConfig.defaults());
  }

  public ReverseModule(ReverseConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), ReverseConfig.class).setBinding().toInstance(config);
    Estimators.select(binder(), Reverse.NAME);
  }
}
