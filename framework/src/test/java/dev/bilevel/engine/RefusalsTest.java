package dev.bilevel.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Role;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.estimator.finitedifference.FiniteDifference;
import dev.bilevel.estimator.finitedifference.FiniteDifferenceConfig;
import dev.bilevel.estimator.forward.Forward;
import dev.bilevel.estimator.forward.ForwardConfig;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("An estimator refuses what it cannot train when the run starts, not at a meta-update")
class RefusalsTest {
  private static final String ADAM = "cannot differentiate through the inner optimizer Adam: it"
      + " supports SGD and SGD with momentum (Sgd.of(lr).momentum(mu))";

  private static Injector injector;
  // dim θ = dim λ = 4: a weight decay per feature.
  private final Ridge ridge = new Ridge(4, 30, 30, true, 2);

  @BeforeAll
  static void injector() {
    injector = Guice.createInjector(new BilevelModule());
  }

  @Test
  void everyRefusalIsListedBeforeAnythingIsCompiled() {
    BilevelTrainer trainer = injector.getInstance(BilevelTrainer.class);
    BilevelProblem adam = ridge.problem(0.3, Adam.of(1e-2));
    var forward = new Forward(ForwardConfig.defaults().maxLambdaDimension(2));

    assertThatThrownBy(() -> trainer.start(adam, 1, forward))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("The forward estimator cannot train this problem, for 2 reasons:\n"
            + "  1) The forward estimator carries one θ-sized tangent per λ coordinate, and this"
            + " problem has 4 λ coordinates, more than the configured maximum of 2. Use reverse or"
            + " drmad, or raise the limit with ForwardConfig.maxLambdaDimension(n).\n"
            + "  2) The forward estimator " + ADAM + ". Train the inner level with Sgd, or choose an"
            + " estimator that does not unroll the optimizer: finite-difference, neumann or"
            + " conjugate-gradient.");
  }

  @Test
  void aSingleRefusalIsItsOwnMessage() {
    BilevelTrainer trainer = injector.getInstance(BilevelTrainer.class);
    var evo = new EvoGrad(EvoGradConfig.defaults().perturb("w", "head", "body"));

    assertThatThrownBy(() -> trainer.start(ridge.problem(0.3, 0.1), 1, evo))
        .hasMessage("The evograd estimator is configured to perturb [body, head], which are not"
            + " inner groups of this problem; inner groups are [w]. Name inner groups in"
            + " EvoGradConfig.perturb(...), or leave it out to perturb all of them.");
  }

  @Test
  void whatEachRegisteredEstimatorRefusesUnderAdam() {
    EstimatorRegistry registry = injector.getInstance(EstimatorRegistry.class);
    BilevelProblem adam = ridge.problem(0.3, Adam.of(1e-2));
    BilevelProblem sgd = ridge.problem(0.3, Sgd.of(0.1).momentum(0.9));

    Map<String, String> underAdam = new TreeMap<>();
    for (String name : registry.names()) {
      assertThat(registry.get(name).refusals(sgd)).as(name + " under SGD").isEmpty();
      underAdam.put(name, registry.get(name).refusals(adam).stream().map(Refusal::reason)
          .toList().toString());
    }

    // The three that unroll the optimizer's Jacobian; the others need only gradients and products.
    assertThat(underAdam).containsExactlyInAnyOrderEntriesOf(Map.of(
        "conjugate-gradient", "[]", "drmad", "[" + ADAM + "]", "evograd", "[]",
        "finite-difference", "[]", "first-order", "[]", "forward", "[" + ADAM + "]",
        "neumann", "[]", "one-step", "[]", "reverse", "[" + ADAM + "]"));
  }

  @Test
  void aLambdaLimitNamesTheSettingAndTheValueThatLiftIt() {
    var fd = new FiniteDifference(FiniteDifferenceConfig.defaults().maxLambdaDimension(3));

    var refusals = fd.refusals(ridge.problem(0.3, 0.1));

    assertThat(refusals).singleElement().satisfies(r -> {
      assertThat(r.estimator()).isEqualTo("finite-difference");
      assertThat(r.settings()).isEqualTo(Map.of("maxLambdaDimension", 4L));
    });
    assertThat(new FiniteDifference(FiniteDifferenceConfig.defaults().maxLambdaDimension(4))
        .refusals(ridge.problem(0.3, 0.1))).isEmpty();
  }

  @Test
  void parameterCountsAreTheCompiledLayoutsSizes() {
    Ridge scalar = new Ridge(5, 10, 10, false, 3);
    var problem = scalar.problem(0.3, 0.1);
    var compiled = problem.compile();

    assertThat(problem.parameterCount(Role.INNER)).isEqualTo(compiled.thetaLayout().size())
        .isEqualTo(5);
    assertThat(problem.parameterCount(Role.META)).isEqualTo(compiled.lambdaLayout().size())
        .isEqualTo(1);
  }
}
