package dev.bilevel.estimator.unroll;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Module;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.cg.ConjugateGradient;
import dev.bilevel.estimator.cg.ConjugateGradientConfig;
import dev.bilevel.estimator.cg.ConjugateGradientModule;
import dev.bilevel.estimator.drmad.DrMad;
import dev.bilevel.estimator.drmad.DrMadConfig;
import dev.bilevel.estimator.drmad.DrMadModule;
import dev.bilevel.estimator.finitedifference.FiniteDifference;
import dev.bilevel.estimator.finitedifference.FiniteDifferenceConfig;
import dev.bilevel.estimator.finitedifference.FiniteDifferenceModule;
import dev.bilevel.estimator.forward.Forward;
import dev.bilevel.estimator.forward.ForwardConfig;
import dev.bilevel.estimator.forward.ForwardModule;
import dev.bilevel.estimator.neumann.Neumann;
import dev.bilevel.estimator.neumann.NeumannConfig;
import dev.bilevel.estimator.neumann.NeumannModule;
import dev.bilevel.estimator.reverse.Reverse;
import dev.bilevel.estimator.reverse.ReverseConfig;
import dev.bilevel.estimator.reverse.ReverseModule;
import dev.bilevel.inject.BilevelModule;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EstimatorModulesTest {

  private static EstimatorRegistry registry(Module... modules) {
    Module all = new AbstractModule() {
      @Override
      protected void configure() {
        install(new BilevelModule());
        for (Module m : modules) {
          install(m);
        }
      }
    };
    return Guice.createInjector(all).getInstance(EstimatorRegistry.class);
  }

  @Test
  void everyEstimatorIsRegisteredByNameWithItsDefaults() {
    EstimatorRegistry r = registry();
    assertThat(r.names()).contains("reverse", "forward", "drmad", "neumann", "conjugate-gradient",
        "finite-difference");
    assertThat(((Reverse) r.get("reverse")).config()).isEqualTo(ReverseConfig.defaults());
    assertThat(((Forward) r.get("forward")).config()).isEqualTo(ForwardConfig.defaults());
    assertThat(((DrMad) r.get("drmad")).config()).isEqualTo(DrMadConfig.defaults());
    assertThat(((Neumann) r.get("neumann")).config()).isEqualTo(NeumannConfig.defaults());
    assertThat(((ConjugateGradient) r.get("conjugate-gradient")).config())
        .isEqualTo(ConjugateGradientConfig.defaults());
    assertThat(((FiniteDifference) r.get("finite-difference")).config())
        .isEqualTo(FiniteDifferenceConfig.defaults());
  }

  static Stream<Arguments> modules() {
    return Stream.of(
        Arguments.of(new ReverseModule(ReverseConfig.defaults().truncate(3)), "reverse",
            ReverseConfig.defaults().truncate(3)),
        Arguments.of(new ForwardModule(ForwardConfig.defaults().maxLambdaDimension(4)), "forward",
            ForwardConfig.defaults().maxLambdaDimension(4)),
        Arguments.of(new DrMadModule(DrMadConfig.defaults().truncate(2)), "drmad",
            DrMadConfig.defaults().truncate(2)),
        Arguments.of(new NeumannModule(NeumannConfig.defaults().iterations(9)), "neumann",
            NeumannConfig.defaults().iterations(9)),
        Arguments.of(new ConjugateGradientModule(ConjugateGradientConfig.defaults().damping(0.1)),
            "conjugate-gradient", ConjugateGradientConfig.defaults().damping(0.1)),
        Arguments.of(new FiniteDifferenceModule(FiniteDifferenceConfig.defaults().relativeStep(1e-5)),
            "finite-difference", FiniteDifferenceConfig.defaults().relativeStep(1e-5)));
  }

  @ParameterizedTest
  @MethodSource("modules")
  void eachModuleSelectsItsEstimatorWithItsConfiguration(Module module, String name, Object config)
      throws Exception {
    EstimatorRegistry r = registry(module);
    HypergradientEstimator selected = r.selected();
    assertThat(r.selectedName()).contains(name);
    assertThat(selected.name()).isEqualTo(name);
    assertThat(selected.getClass().getMethod("config").invoke(selected)).isEqualTo(config);
    assertThat(selected.describe()).containsEntry("estimator", name);
  }
}
