package dev.bilevel.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.multibindings.OptionalBinder;
import dev.bilevel.backend.Backend;
import dev.bilevel.backend.Nd4jBackend;
import dev.bilevel.estimator.Estimators;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.estimator.firstorder.FirstOrder;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;

/**
 * The framework's bindings: the backend, and every built-in estimator registered by name with its
 * default configuration. Install it together with one estimator module, which selects an estimator
 * and may replace its configuration.
 */
public final class BilevelModule extends AbstractModule {

  @Override
  protected void configure() {
    MapBinder<String, HypergradientEstimator> registry = Estimators.registry(binder());
    registry.addBinding(FirstOrder.NAME).to(FirstOrder.class);
    registry.addBinding(OneStep.NAME).to(OneStep.class);
    registry.addBinding(EvoGrad.NAME).to(EvoGrad.class);
    OptionalBinder.newOptionalBinder(binder(), OneStepConfig.class).setDefault()
        .toInstance(OneStepConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), EvoGradConfig.class).setDefault()
        .toInstance(EvoGradConfig.defaults());
    Estimators.selection(binder());
  }

  @Provides
  @Singleton
  Backend backend() {
    return Nd4jBackend.start();
  }
}
