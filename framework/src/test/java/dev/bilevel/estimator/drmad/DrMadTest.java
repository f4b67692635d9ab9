package dev.bilevel.estimator.drmad;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.reverse.Reverse;
import dev.bilevel.estimator.reverse.ReverseConfig;
import dev.bilevel.estimator.unroll.QuadraticWindow;
import dev.bilevel.estimator.unroll.Windows;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import dev.bilevel.secondorder.SecondOrder;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DrMadTest {
  private static final int T = 7;
  private static final double ETA = 0.1;
  private static final double OMEGA = Math.PI / ETA; // half a period of cos(ω s) per step at λ_0 = 1

  /**
   * L_in = λ_0·s + λ_1·(1 − cos(ω s)) with s = a·θ, ‖a‖ = 1; L_out = ½‖θ − c‖². From s = 0 with
   * λ_0 = 1 and η = π/ω, every iterate has sin(ω s) = 0, so the gradient is the same λ_0·a at each
   * of them: SGD walks a straight line at constant speed. The Hessian λ_1 ω² cos(ω s)·a aᵀ flips
   * sign from one iterate to the next, so where the Jacobians are evaluated matters.
   */
  private static BilevelProblem straightLine() {
    INDArray a = Nd4j.createFromArray(new double[][] {{0.6}, {0.0}, {0.8}});
    INDArray c = Nd4j.createFromArray(new double[][] {{1.0}, {-2.0}, {0.5}});
    return Bilevel.problem("straight-line")
        .dtype(DataType.DOUBLE)
        .input("bias", -1, 1)
        .innerParams("w", p -> p.param("w", Init.zeros(), 3, 1))
        .metaParams("h", p -> p.param("drift", Init.zeros(), 1, 1).param("wave", Init.zeros(), 1, 1))
        .innerObjective(f -> {
          var sd = f.sd();
          var w = f.inner("w").param("w");
          var s = sd.constant(a).mul(w).sum();
          var l0 = f.meta("h").param("drift").sum();
          var l1 = f.meta("h").param("wave").sum();
          var wave = f.scalar(1).sub(sd.math().cos(s.mul(OMEGA)));
          // The batch input only contributes zero, so that the objective reads a batch.
          return l0.mul(s).add(l1.mul(wave)).add(f.input("bias").sum().mul(0));
        })
        .outerObjective(f -> {
          var w = f.inner("w").param("w");
          return f.sd().math().square(w.sub(f.sd().constant(c))).sum().mul(0.5);
        })
        .innerOptimizer(Sgd.of(ETA))
        .outerOptimizer(Sgd.of(1e-3))
        .build();
  }

  private static EstimationContext context(CompiledProblem oracle, Windows.Recorded rec,
      INDArray lambda, Batch batch, TrajectoryNeeds needs) {
    Trajectory t = Windows.restrict(rec.trajectory(), needs);
    return new EstimationContext(oracle, new SecondOrder(oracle), rec.trajectory().thetaT(), lambda,
        batch, batch, Sgd.of(ETA), ETA, t, 1, T - 1);
  }

  @Test
  void equalsReverseWhereTheTrajectoryIsAStraightLine() {
    CompiledProblem oracle = straightLine().compile();
    INDArray lambda = Nd4j.createFromArray(1.0, 1e-3);
    Batch batch = Batch.of(Map.of("bias", Nd4j.zeros(DataType.DOUBLE, 2, 1)));
    var rec = Windows.record(oracle, Sgd.of(ETA), null, oracle.initialTheta(1), lambda,
        Collections.nCopies(T, batch), TrajectoryNeeds.FULL);
    // The iterates are the straight-line points θ_0 + (t/T)(θ_T − θ_0).
    Trajectory full = rec.trajectory();
    INDArray delta = full.thetaT().sub(full.theta0());
    for (int i = 0; i < T; i++) {
      INDArray onLine = full.theta0().add(delta.mul((double) i / T));
      assertThat(full.steps().get(i).thetaBefore().sub(onLine).norm2Number().doubleValue())
          .isLessThan(1e-12);
    }

    Hypergradient rev = new Reverse(ReverseConfig.defaults())
        .estimate(context(oracle, rec, lambda, batch, TrajectoryNeeds.FULL));
    Hypergradient drmad = new DrMad(DrMadConfig.defaults())
        .estimate(context(oracle, rec, lambda, batch, TrajectoryNeeds.ENDPOINTS));

    assertThat(relativeError(drmad.gradient(), rev.gradient())).isLessThan(1e-8);
    // Not a trivial agreement: Jacobians taken one point further along the line give another answer.
    INDArray shifted = shiftedSweep(oracle, rec, lambda, batch);
    assertThat(relativeError(shifted, rev.gradient())).isGreaterThan(0.05);
  }

  /** The reverse sweep with every A_t, B_t evaluated at θ_t instead of θ_{t−1}. */
  private static INDArray shiftedSweep(CompiledProblem oracle, Windows.Recorded rec, INDArray lambda,
      Batch batch) {
    EstimationContext c = context(oracle, rec, lambda, batch, TrajectoryNeeds.FULL);
    List<Trajectory.Step> steps = rec.trajectory().steps();
    return dev.bilevel.estimator.unroll.ReverseSweep.run(c,
        dev.bilevel.estimator.unroll.InnerDynamics.of(Sgd.of(ETA), "test"), rec.trajectory(), 0,
        i -> i + 1 < steps.size() ? steps.get(i + 1).thetaBefore() : rec.trajectory().thetaT())
        .hypergradient();
  }

  @Test
  void isAnApproximationOnACurvedTrajectory() {
    // On the stochastic quadratic, B_t = −η diag(θ_{t−1}) varies along a curved path.
    QuadraticWindow q = new QuadraticWindow(4, 10, 16, 0.0, 5);
    var s = q.setup(Sgd.of(0.1), 0.3, 0, 10);
    Hypergradient rev = new Reverse(ReverseConfig.defaults()).estimate(s.context(TrajectoryNeeds.FULL));
    Hypergradient drmad = new DrMad(DrMadConfig.defaults()).estimate(s.context(TrajectoryNeeds.ENDPOINTS));

    assertThat(relativeError(drmad.gradient(), rev.gradient())).isGreaterThan(1e-4);
  }

  @Test
  void refusesAdamByName() {
    QuadraticWindow q = new QuadraticWindow(3, 2, 8, 0.0, 5);
    var s = q.setup(Adam.of(0.01), 0.3, 0, 2);
    assertThatThrownBy(() -> new DrMad(DrMadConfig.defaults())
        .estimate(s.context(TrajectoryNeeds.ENDPOINTS)))
        .hasMessage("The drmad estimator cannot differentiate through the inner optimizer Adam:"
            + " it supports SGD and SGD with momentum (Sgd.of(lr).momentum(mu)). Train the inner"
            + " level with Sgd, or choose an estimator that does not unroll the optimizer:"
            + " finite-difference, neumann or conjugate-gradient.");
  }

  @Test
  void configurationIsValidated() {
    assertThat(DrMadConfig.defaults().truncate(4).truncate()).isEqualTo(4);
    assertThat(DrMadConfig.defaults().truncate(4).full().truncate()).isZero();
    assertThatThrownBy(() -> DrMadConfig.defaults().truncate(0))
        .hasMessage("drmad truncate must be at least 1 step, got 0");
    assertThatThrownBy(() -> new DrMadConfig(-1))
        .hasMessage("drmad truncate must be at least 1 step (or 0 for the full sweep), got -1");
  }
}
