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
import dev.bilevel.estimator.cg.ConjugateGradient;
import dev.bilevel.estimator.cg.ConjugateGradientConfig;
import dev.bilevel.estimator.drmad.DrMad;
import dev.bilevel.estimator.drmad.DrMadConfig;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.estimator.finitedifference.FiniteDifference;
import dev.bilevel.estimator.finitedifference.FiniteDifferenceConfig;
import dev.bilevel.estimator.firstorder.FirstOrder;
import dev.bilevel.estimator.forward.Forward;
import dev.bilevel.estimator.forward.ForwardConfig;
import dev.bilevel.estimator.neumann.Neumann;
import dev.bilevel.estimator.neumann.NeumannConfig;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.estimator.reverse.Reverse;
import dev.bilevel.estimator.reverse.ReverseConfig;

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
    registry.addBinding(Reverse.NAME).to(Reverse.class);
    registry.addBinding(Forward.NAME).to(Forward.class);
    registry.addBinding(DrMad.NAME).to(DrMad.class);
    registry.addBinding(Neumann.NAME).to(Neumann.class);
    registry.addBinding(ConjugateGradient.NAME).to(ConjugateGradient.class);
    registry.addBinding(FiniteDifference.NAME).to(FiniteDifference.class);
    OptionalBinder.newOptionalBinder(binder(), OneStepConfig.class).setDefault()
        .toInstance(OneStepConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), EvoGradConfig.class).setDefault()
        .toInstance(EvoGradConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), ReverseConfig.class).setDefault()
        .toInstance(ReverseConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), ForwardConfig.class).setDefault()
        .toInstance(ForwardConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), DrMadConfig.class).setDefault()
        .toInstance(DrMadConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), NeumannConfig.class).setDefault()
        .toInstance(NeumannConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), ConjugateGradientConfig.class).setDefault()
        .toInstance(ConjugateGradientConfig.defaults());
    OptionalBinder.newOptionalBinder(binder(), FiniteDifferenceConfig.class).setDefault()
        .toInstance(FiniteDifferenceConfig.defaults());
    Estimators.selection(binder());
  }

  @Provides
  @Singleton
  Backend backend() {
    return Nd4jBackend.start();
  }
}
