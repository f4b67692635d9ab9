package dev.bilevel.estimator.cg;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;
import java.util.Objects;

/**
 * Selects the {@code conjugate-gradient} estimator with a configuration. Install with {@code
 * BilevelModule}.
 */
public final class ConjugateGradientModule extends AbstractModule {
  private final ConjugateGradientConfig config;

  public ConjugateGradientModule() {
    this(ConjugateGradientConfig.defaults());
  }

  public ConjugateGradientModule(ConjugateGradientConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), ConjugateGradientConfig.class).setBinding()
        .toInstance(config);
    Estimators.select(binder(), ConjugateGradient.NAME);
  }
}
