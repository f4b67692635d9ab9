package dev.bilevel.estimator.forward;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import dev.bilevel.data.Batch;
import dev.bilevel.engine.BilevelTrainer;
import dev.bilevel.engine.RunState;
import dev.bilevel.engine.TrainingRun;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.reverse.Reverse;
import dev.bilevel.estimator.reverse.ReverseConfig;
import dev.bilevel.estimator.unroll.QuadraticWindow;
import dev.bilevel.fixtures.Capturing;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.optim.Sgd;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward mode as the engine runs it: online, the tangents advanced at every inner step by the
 * run's accumulator, with no window recorded.
 */
class ForwardInTrainingRunTest {
  private static final int EVERY = 4;
  private static final int WINDOWS = 3;
  private static final double MU = 0.9;
  private static final double WD = 0.02;
  private static final OptimizerSpec NESTEROV = Sgd.of(0.05).momentum(MU).weightDecay(WD);

  private final QuadraticWindow q = new QuadraticWindow(4, EVERY * WINDOWS, 16, 0.2, 13);
  private final BilevelTrainer trainer = Guice.createInjector(new BilevelModule())
      .getInstance(BilevelTrainer.class);

  /** Where a window started: θ_0, the velocity v_0, λ, and the learning rate of each step. */
  private record WindowStart(double[] theta0, double[] v0, double[] lambda, double[] lrs) {}

  private static Forward forward() {
    return new Forward(ForwardConfig.defaults());
  }

  private static double[] velocity(TrainingRun run) {
    INDArray v = run.innerOptimizer().snapshot().state();
    return v == null ? null : v.dup().reshape(v.length()).toDoubleVector();
  }

  /**
   * Takes the steps {@code from … to−1} on the fixture's batches, noting where windows start (and
   * where these steps start, if inside a window).
   */
  private List<WindowStart> steps(TrainingRun run, int from, int to) {
    List<WindowStart> starts = new ArrayList<>();
    for (int i = from; i < to; i++) {
      if (i % EVERY == 0 || starts.isEmpty()) {
        starts.add(new WindowStart(run.theta().toDoubleVector(), velocity(run),
            run.lambda().toDoubleVector(), new double[EVERY]));
      }
      starts.get(starts.size() - 1).lrs()[i % EVERY] = run.innerOptimizer().currentLearningRate();
      run.step(q.batches.get(i), () -> q.val);
    }
    return starts;
  }

  private QuadraticWindow.Exact exact(WindowStart w, int window) {
    return q.exact(w.theta0(), w.v0(), w.lambda(), w.lrs(), MU, WD, window * EVERY,
        (window + 1) * EVERY, 0);
  }

  @Test
  void everyWindowOfNesterovStepsGivesTheClosedForm() {
    Capturing fwd = new Capturing(forward(), true);
    TrainingRun run = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, fwd);
    List<WindowStart> starts = steps(run, 0, EVERY * WINDOWS);

    assertThat(fwd.results).hasSize(WINDOWS);
    for (int w = 0; w < WINDOWS; w++) {
      assertThat(relativeError(fwd.results.get(w).gradient(), exact(starts.get(w), w)
          .hypergradient())).as("window %d", w).isLessThan(1e-6);
    }
    // From the second window on, θ_0 and the velocity are where the engine left them.
    assertThat(starts.get(1).v0()).isNotNull();
    assertThat(fwd.results.get(1).diagnostics()).containsEntry("replayDrift", 0.0);
  }

  @Test
  void onlineEqualsTheReplayOfTheRecordedWindowAndReverseMode() {
    Capturing online = new Capturing(forward(), true);
    Capturing replayed = new Capturing(forward(), false);
    Capturing reverse = new Capturing(new Reverse(ReverseConfig.defaults()), false);
    for (Capturing c : List.of(online, replayed, reverse)) {
      steps(trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, c), 0, EVERY * WINDOWS);
    }

    assertThat(replayed.windowLengths).containsOnly(EVERY);
    for (int w = 0; w < WINDOWS; w++) {
      INDArray g = online.results.get(w).gradient();
      assertThat(relativeError(g, replayed.results.get(w).gradient())).as("window %d", w)
          .isLessThan(1e-12);
      assertThat(relativeError(g, reverse.results.get(w).gradient())).as("window %d", w)
          .isLessThan(1e-6);
    }
  }

  @Test
  void theEngineRecordsNoWindowForForwardMode() {
    Capturing fwd = new Capturing(forward(), true);
    steps(trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, fwd), 0, EVERY * WINDOWS);

    // It still declares what a recorded window would need, for callers that pass one.
    assertThat(fwd.needs()).isEqualTo(TrajectoryNeeds.ENDPOINTS);
    assertThat(fwd.windowLengths).hasSize(WINDOWS).containsOnly(0);
    assertThat(fwd.withAccumulator).containsOnly(true);
  }

  /** Steps with batches that only the run can keep alive; weak references to them. */
  private List<WeakReference<Batch>> midWindow(TrainingRun run) {
    List<WeakReference<Batch>> refs = new ArrayList<>();
    for (int i = 0; i < EVERY - 1; i++) {
      Batch copy = new Batch(Map.of("x", q.batches.get(i).get("x").dup(),
          "y", q.batches.get(i).get("y").dup()), i);
      refs.add(new WeakReference<>(copy));
      run.step(copy, () -> q.val);
    }
    return refs;
  }

  private static long collected(List<WeakReference<Batch>> refs) {
    for (int i = 0; i < 20 && refs.stream().anyMatch(r -> r.get() != null); i++) {
      System.gc();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return refs.stream().filter(r -> r.get() == null).count();
  }

  @Test
  void noBatchOfTheWindowOutlivesItsStep() {
    TrainingRun online = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, forward());
    TrainingRun recording = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5,
        new Capturing(forward(), false));
    List<WeakReference<Batch>> fed = midWindow(online);
    List<WeakReference<Batch>> recorded = midWindow(recording);

    assertThat(collected(fed)).isEqualTo(EVERY - 1);
    // The control: a window recorded for the replay holds every batch until its meta-update.
    assertThat(collected(recorded)).isZero();
    Reference.reachabilityFence(online);
    Reference.reachabilityFence(recording);
  }

  @Test
  void aRunResumedOnAWindowBoundaryEqualsTheUninterruptedRun() {
    TrainingRun whole = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, forward());
    steps(whole, 0, EVERY * WINDOWS);
    TrainingRun first = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, forward());
    steps(first, 0, EVERY);
    RunState checkpoint = first.snapshot();

    // Restored into a run halfway through a window of its own: its tangents are not zero.
    TrainingRun resumed = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, forward());
    steps(resumed, 0, EVERY / 2);
    resumed.restore(checkpoint);
    steps(resumed, EVERY, EVERY * WINDOWS);

    assertThat(resumed.step()).isEqualTo(whole.step());
    assertThat(resumed.lambda()).isEqualTo(whole.lambda());
    assertThat(resumed.theta()).isEqualTo(whole.theta());
  }

  @Test
  void replacingThetaStartsANewWindowFromIt() {
    Capturing fwd = new Capturing(forward(), true);
    TrainingRun run = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, fwd);
    steps(run, 0, EVERY - 1);
    INDArray replaced = run.theta().addi(0.5);
    run.setTheta(replaced);
    double[] v0 = velocity(run);
    double lr = run.innerOptimizer().currentLearningRate();
    double[] lambda = run.lambda().toDoubleVector();
    run.step(q.batches.get(EVERY - 1), () -> q.val); // the last step of the window: meta-update

    assertThat(fwd.results).hasSize(1);
    var exact = q.exact(replaced.toDoubleVector(), v0, lambda, new double[] {lr}, MU, WD,
        EVERY - 1, EVERY, 0);
    assertThat(relativeError(fwd.results.get(0).gradient(), exact.hypergradient()))
        .isLessThan(1e-6);
  }

  @Test
  void oneInstanceServesInterleavedRunsAsIfEachRanAlone() {
    Forward shared = forward();
    Capturing a = new Capturing(shared, true);
    Capturing b = new Capturing(shared, true);
    TrainingRun runA = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, a);
    TrainingRun runB = trainer.start(q.problem(NESTEROV, 0.6, EVERY), 6, b);
    for (int i = 0; i < EVERY * WINDOWS; i++) {
      steps(runA, i, i + 1);
      steps(runB, i, i + 1);
    }
    TrainingRun aloneA = trainer.start(q.problem(NESTEROV, 0.3, EVERY), 5, forward());
    TrainingRun aloneB = trainer.start(q.problem(NESTEROV, 0.6, EVERY), 6, forward());
    steps(aloneA, 0, EVERY * WINDOWS);
    steps(aloneB, 0, EVERY * WINDOWS);

    assertThat(runA.lambda()).isEqualTo(aloneA.lambda());
    assertThat(runB.lambda()).isEqualTo(aloneB.lambda());
    assertThat(runA.lambda()).isNotEqualTo(runB.lambda());
  }
}
