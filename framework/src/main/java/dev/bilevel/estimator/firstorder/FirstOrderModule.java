package dev.bilevel.estimator.firstorder;

import com.google.inject.AbstractModule;
import dev.bilevel.estimator.Estimators;

/** Selects the {@code first-order} estimator. Install with {@code BilevelModule}. */
public final class FirstOrderModule extends AbstractModule {
  @Override
  protected void configure() {
    Estimators.select(binder(), FirstOrder.NAME);
  }
}
