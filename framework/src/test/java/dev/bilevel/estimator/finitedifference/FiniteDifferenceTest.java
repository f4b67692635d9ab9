package dev.bilevel.estimator.finitedifference;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.unroll.QuadraticWindow;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.api.Test;

class FiniteDifferenceTest {
  private final QuadraticWindow q = new QuadraticWindow(4, 10, 16, 0.3, 21);

  @Test
  void matchesTheClosedFormUnrolledHypergradientWithMomentum() {
    var s = q.setup(Sgd.of(0.05).momentum(0.9).weightDecay(0.01), 0.3, 2, 6);
    Hypergradient hg = new FiniteDifference(FiniteDifferenceConfig.defaults())
        .estimate(s.context(TrajectoryNeeds.ENDPOINTS));
    assertThat(relativeError(hg.gradient(), q.exact(s, 0.9, 0.01, 0).hypergradient()))
        .isLessThan(1e-6);
  }

  @Test
  void withAnEmptyWindowItIsTheDirectTerm() {
    var s = q.setup(Sgd.of(0.1), 0.3, 0, 1);
    EstimationContext full = s.context(TrajectoryNeeds.FULL);
    EstimationContext c = new EstimationContext(full.oracle(), full.products(), full.theta(),
        full.lambda(), full.innerBatch(), full.outerBatch(), full.innerOptimizer(), 0.1,
        Trajectory.empty(), 1, 0);
    Hypergradient hg = new FiniteDifference(FiniteDifferenceConfig.defaults()).estimate(c);
    // L_out's direct term is ½ρ‖λ‖², so dL_out/dλ at fixed θ is ρλ.
    assertThat(relativeError(hg.gradient(), s.lambda().mul(q.rho))).isLessThan(1e-8);
  }

  @Test
  void differentiatesThroughAdamToo() {
    var s = q.setup(Adam.of(0.01), 0.3, 2, 5);
    var c = s.context(TrajectoryNeeds.ENDPOINTS);
    Hypergradient a = new FiniteDifference(FiniteDifferenceConfig.defaults()).estimate(c);
    Hypergradient b = new FiniteDifference(FiniteDifferenceConfig.defaults().relativeStep(1e-4))
        .estimate(c);
    assertThat(a.gradient().norm2Number().doubleValue()).isGreaterThan(1e-6);
    assertThat(relativeError(a.gradient(), b.gradient())).isLessThan(1e-5);
    // Not the SGD answer: the replay really runs Adam.
    assertThat(relativeError(a.gradient(), q.exact(s, 0, 0, 0).hypergradient())).isGreaterThan(0.1);
  }

  @Test
  void refusesALambdaAboveTheConfiguredDimension() {
    var s = q.setup(Sgd.of(0.1), 0.3, 0, 1);
    var fd = new FiniteDifference(FiniteDifferenceConfig.defaults().maxLambdaDimension(2));
    assertThatThrownBy(() -> fd.estimate(s.context(TrajectoryNeeds.ENDPOINTS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("The finite-difference estimator replays the window twice per λ coordinate, and"
            + " this problem has 4 λ coordinates, more than the configured maximum of 2. Use reverse"
            + " or drmad, or raise the limit with FiniteDifferenceConfig.maxLambdaDimension(n).");
  }

  @Test
  void configurationIsValidated() {
    assertThat(FiniteDifferenceConfig.defaults().relativeStep(1e-4).maxLambdaDimension(3))
        .isEqualTo(new FiniteDifferenceConfig(1e-4, 3));
    assertThatThrownBy(() -> FiniteDifferenceConfig.defaults().relativeStep(1))
        .hasMessage("finite-difference relative step must be in (0, 1), got 1.0");
    assertThatThrownBy(() -> FiniteDifferenceConfig.defaults().maxLambdaDimension(0))
        .hasMessage("finite-difference maxLambdaDimension must be at least 1, got 0");
  }
}
