package dev.bilevel.estimator.reverse;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.unroll.QuadraticWindow;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.api.Test;

class ReverseTest {
  private static final int T = 8;
  private final QuadraticWindow q = new QuadraticWindow(5, 12, 16, 0.2, 42);

  @Test
  void sgdMatchesTheClosedFormUnrolledHypergradient() {
    var s = q.setup(Sgd.of(0.1), 0.3, 0, T);
    var exact = q.exact(s, 0, 0, 0);
    assertThat(relativeError(s.trajectory().thetaT(), exact.thetaT())).isLessThan(1e-12);

    Hypergradient hg = new Reverse(ReverseConfig.defaults()).estimate(s.context(TrajectoryNeeds.FULL));

    assertThat(relativeError(hg.gradient(), exact.hypergradient())).isLessThan(1e-6);
    assertThat(hg.diagnostics()).containsEntry("sweptSteps", (double) T);
  }

  @Test
  void nesterovMomentumWithWeightDecayMatchesTheClosedForm() {
    // A window in the middle of training: the velocity at its start is not zero.
    var spec = Sgd.of(0.05).momentum(0.9).weightDecay(0.01);
    var s = q.setup(spec, 0.3, 3, T);
    assertThat(s.v0()).isNotNull();
    var exact = q.exact(s, 0.9, 0.01, 0);
    // The hand-written recurrence is the update ND4J really applies.
    assertThat(relativeError(s.trajectory().thetaT(), exact.thetaT())).isLessThan(1e-12);

    Hypergradient hg = new Reverse(ReverseConfig.defaults()).estimate(s.context(TrajectoryNeeds.FULL));

    assertThat(relativeError(hg.gradient(), exact.hypergradient())).isLessThan(1e-6);
    // Momentum matters: the SGD recurrence would give a different answer.
    assertThat(relativeError(q.exact(s, 0, 0.01, 0).hypergradient(), exact.hypergradient()))
        .isGreaterThan(0.1);
  }

  @Test
  void truncatingToTheWholeWindowIsTheFullSweep() {
    var s = q.setup(Sgd.of(0.05).momentum(0.5), 0.3, 0, T);
    var full = new Reverse(ReverseConfig.defaults()).estimate(s.context(TrajectoryNeeds.FULL));
    var t = new Reverse(ReverseConfig.defaults().truncate(T)).estimate(s.context(TrajectoryNeeds.FULL));
    var longer = new Reverse(ReverseConfig.defaults().truncate(T + 4))
        .estimate(s.context(TrajectoryNeeds.FULL));

    assertThat(t.gradient().toDoubleVector()).containsExactly(full.gradient().toDoubleVector());
    assertThat(longer.gradient().toDoubleVector()).containsExactly(full.gradient().toDoubleVector());
  }

  @Test
  void truncatedSweepMatchesTheTruncatedClosedForm() {
    var s = q.setup(Sgd.of(0.05).momentum(0.5), 0.3, 0, T);
    var exact3 = q.exact(s, 0.5, 0, 3);

    Hypergradient hg = new Reverse(ReverseConfig.defaults().truncate(3))
        .estimate(s.context(TrajectoryNeeds.FULL));

    assertThat(relativeError(hg.gradient(), exact3.hypergradient())).isLessThan(1e-6);
    assertThat(hg.diagnostics()).containsEntry("sweptSteps", 3.0);
    assertThat(relativeError(exact3.hypergradient(), q.exact(s, 0.5, 0, 0).hypergradient()))
        .isGreaterThan(1e-2);
  }

  @Test
  void withoutTheIntermediateThetaItSaysWhatIsMissing() {
    var s = q.setup(Sgd.of(0.1), 0.3, 0, T);
    var reverse = new Reverse(ReverseConfig.defaults());
    assertThatThrownBy(() -> reverse.estimate(s.context(TrajectoryNeeds.ENDPOINTS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("The reverse estimator needs every θ_t of the window (TrajectoryNeeds.FULL),"
            + " but step 8 of 8 was recorded without its θ.");
  }

  @Test
  void refusesAdamByName() {
    var s = q.setup(Adam.of(0.01), 0.3, 0, 2);
    var reverse = new Reverse(ReverseConfig.defaults());
    assertThatThrownBy(() -> reverse.estimate(s.context(TrajectoryNeeds.FULL)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("The reverse estimator cannot differentiate through the inner optimizer Adam:"
            + " it supports SGD and SGD with momentum (Sgd.of(lr).momentum(mu)). Train the inner"
            + " level with Sgd, or choose an estimator that does not unroll the optimizer:"
            + " finite-difference, neumann or conjugate-gradient.");
  }

  @Test
  void configurationIsValidated() {
    assertThat(ReverseConfig.defaults().truncated()).isFalse();
    assertThat(ReverseConfig.defaults().truncate(5).truncate()).isEqualTo(5);
    assertThat(ReverseConfig.defaults().truncate(5).full().truncated()).isFalse();
    assertThatThrownBy(() -> ReverseConfig.defaults().truncate(0))
        .hasMessage("reverse truncate must be at least 1 step, got 0");
    assertThatThrownBy(() -> new ReverseConfig(-2))
        .hasMessage("reverse truncate must be at least 1 step (or 0 for the full sweep), got -2");
  }
}
