package dev.bilevel.estimator.forward;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.reverse.Reverse;
import dev.bilevel.estimator.reverse.ReverseConfig;
import dev.bilevel.estimator.unroll.QuadraticWindow;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.api.Test;

class ForwardTest {
  private static final int T = 6;
  private final QuadraticWindow q = new QuadraticWindow(4, 10, 16, 0.2, 9);

  @Test
  void sgdForwardEqualsReverse() {
    var s = q.setup(Sgd.of(0.1), 0.3, 0, T);
    Hypergradient rev = new Reverse(ReverseConfig.defaults()).estimate(s.context(TrajectoryNeeds.FULL));
    Hypergradient fwd = new Forward(ForwardConfig.defaults()).estimate(s.context(TrajectoryNeeds.ENDPOINTS));

    assertThat(relativeError(fwd.gradient(), rev.gradient())).isLessThan(1e-7);
    assertThat(relativeError(fwd.gradient(), q.exact(s, 0, 0, 0).hypergradient())).isLessThan(1e-6);
  }

  @Test
  void momentumForwardEqualsReverseWhetherReplayedOrRecorded() {
    var s = q.setup(Sgd.of(0.05).momentum(0.9).weightDecay(0.02), 0.3, 3, T);
    Hypergradient rev = new Reverse(ReverseConfig.defaults()).estimate(s.context(TrajectoryNeeds.FULL));
    Hypergradient replayed = new Forward(ForwardConfig.defaults())
        .estimate(s.context(TrajectoryNeeds.ENDPOINTS));
    Hypergradient recorded = new Forward(ForwardConfig.defaults())
        .estimate(s.context(TrajectoryNeeds.FULL));

    assertThat(relativeError(replayed.gradient(), rev.gradient())).isLessThan(1e-7);
    assertThat(relativeError(recorded.gradient(), rev.gradient())).isLessThan(1e-7);
    // The replay from θ_0 and the optimizer state reproduces the engine's θ_T exactly.
    assertThat(replayed.diagnostics()).containsEntry("replayDrift", 0.0);
  }

  @Test
  void refusesALambdaAboveTheConfiguredDimension() {
    var s = q.setup(Sgd.of(0.1), 0.3, 0, 2);
    var forward = new Forward(ForwardConfig.defaults().maxLambdaDimension(3));
    assertThatThrownBy(() -> forward.estimate(s.context(TrajectoryNeeds.ENDPOINTS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("The forward estimator carries one θ-sized tangent per λ coordinate, and this"
            + " problem has 4 λ coordinates, more than the configured maximum of 3. Use reverse or"
            + " drmad, or raise the limit with ForwardConfig.maxLambdaDimension(n).");
  }

  @Test
  void refusesAdamByName() {
    var s = q.setup(Adam.of(0.01), 0.3, 0, 2);
    assertThatThrownBy(() -> new Forward(ForwardConfig.defaults())
        .estimate(s.context(TrajectoryNeeds.ENDPOINTS)))
        .hasMessageStartingWith("The forward estimator cannot differentiate through the inner"
            + " optimizer Adam: it supports SGD and SGD with momentum");
  }

  @Test
  void configurationIsValidated() {
    assertThat(ForwardConfig.defaults().maxLambdaDimension()).isEqualTo(32);
    assertThatThrownBy(() -> ForwardConfig.defaults().maxLambdaDimension(0))
        .hasMessage("forward maxLambdaDimension must be at least 1, got 0");
  }
}
