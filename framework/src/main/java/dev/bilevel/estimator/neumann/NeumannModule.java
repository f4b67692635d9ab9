package dev.bilevel.estimator.neumann;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;
import java.util.Objects;

/** Selects the {@code neumann} estimator with a configuration. Install with {@code BilevelModule}. */
public final class NeumannModule extends AbstractModule {
  private final NeumannConfig config;

  public NeumannModule() {
    this(NeumannConfig.defaults());
  }

  public NeumannModule(NeumannConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), NeumannConfig.class).setBinding().toInstance(config);
    Estimators.select(binder(), Neumann.NAME);
  }
}
