package dev.bilevel.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.Estimators;
import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.estimator.evograd.EvoGradModule;
import dev.bilevel.estimator.firstorder.FirstOrderModule;
import dev.bilevel.estimator.onestep.OneStepModule;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.inject.BilevelModule;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Estimators are swapped by the installed module, not by the experiment")
class EstimatorSwapTest {

  /** The experiment: knows nothing about estimators. */
  static List<StepEvent> experiment(Injector injector) {
    Ridge r = new Ridge(4, 30, 30, true, 2);
    BilevelTrainer trainer = injector.getInstance(BilevelTrainer.class);
    TrainingRun run = trainer.start(r.problem(0.3, 0.05), 7);
    List<StepEvent> events = new ArrayList<>();
    run.addListener(new TrainingListener() {
      @Override
      public void onStep(StepEvent e) {
        events.add(e);
      }
    });
    for (int i = 0; i < 3; i++) {
      run.step(r.train(), r::val);
    }
    return events;
  }

  static Stream<Arguments> modules() {
    return Stream.of(
        Arguments.of(new FirstOrderModule(), "first-order"),
        Arguments.of(new OneStepModule(), "one-step"),
        Arguments.of(new EvoGradModule(EvoGradConfig.defaults().candidates(3)), "evograd"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("modules")
  void theSameExperimentRunsTheEstimatorOfTheInstalledModule(Module module, String expected) {
    Injector injector = Guice.createInjector(new BilevelModule(), module);

    List<StepEvent> events = experiment(injector);

    assertThat(events).hasSize(3).allSatisfy(e -> {
      assertThat(e.estimator()).isEqualTo(expected);
      assertThat(e.metaUpdated()).isTrue();
    });
  }

  @Test
  void evoGradModuleConfigurationReachesTheEstimator() {
    Injector injector = Guice.createInjector(new BilevelModule(),
        new EvoGradModule(EvoGradConfig.defaults().candidates(5).temperature(0.2)));

    var described = injector.getInstance(BilevelTrainer.class).estimator().describe();

    assertThat(described).containsEntry("candidates", 5).containsEntry("temperature", 0.2);
  }

  @Test
  void anUnknownEstimatorNameFailsWithTheListOfThoseAvailable() {
    Injector injector = Guice.createInjector(new BilevelModule(), new AbstractModule() {
      @Override
      protected void configure() {
        Estimators.select(binder(), "evo-grad");
      }
    });
    EstimatorRegistry registry = injector.getInstance(EstimatorRegistry.class);

    assertThatThrownBy(registry::selected)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Unknown estimator 'evo-grad'. Available: " + String.join(", ", registry.names())
            + ".");
    assertThat(registry.names()).contains("evograd", "first-order", "one-step");
  }

  @Test
  void noSelectedEstimatorFailsSayingWhichModuleToInstall() {
    Injector injector = Guice.createInjector(new BilevelModule());

    assertThatThrownBy(() -> injector.getInstance(BilevelTrainer.class).estimator())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("No estimator selected. Install one estimator module (e.g. new"
            + " EvoGradModule(), new OneStepModule(), new FirstOrderModule()) or"
            + " Estimators.select(binder, name) with one of: ");
  }
}
