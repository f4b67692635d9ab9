package dev.bilevel.estimator.finitedifference;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.estimator.Estimators;
import java.util.Objects;

/**
 * Selects the {@code finite-difference} estimator with a configuration. Install with {@code
 * BilevelModule}.
 */
public final class FiniteDifferenceModule extends AbstractModule {
  private final FiniteDifferenceConfig config;

  public FiniteDifferenceModule() {
    this(FiniteDifferenceConfig.defaults());
  }

  public FiniteDifferenceModule(FiniteDifferenceConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), FiniteDifferenceConfig.class).setBinding()
        .toInstance(config);
    Estimators.select(binder(), FiniteDifference.NAME);
  }
}
