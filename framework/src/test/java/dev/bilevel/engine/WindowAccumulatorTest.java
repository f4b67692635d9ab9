package dev.bilevel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import dev.bilevel.data.Batch;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.InnerStep;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.WindowAccumulator;
import dev.bilevel.estimator.unroll.QuadraticWindow;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.optim.Sgd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The engine's side of an online estimator: what its accumulator is given, and when. */
class WindowAccumulatorTest {
  private static final int EVERY = 3;
  private final QuadraticWindow q = new QuadraticWindow(2, 4 * EVERY, 8, 0.0, 3);
  private final BilevelTrainer trainer = Guice.createInjector(new BilevelModule())
      .getInstance(BilevelTrainer.class);

  /** Copies of what each accepted step carried; the steps since the last reset. */
  static final class Log implements WindowAccumulator {
    final List<INDArray> thetas = new ArrayList<>();
    final List<INDArray> lambdas = new ArrayList<>();
    final List<Batch> batches = new ArrayList<>();
    final List<Double> learningRates = new ArrayList<>();
    int window;

    @Override
    public void accept(InnerStep s) {
      thetas.add(s.thetaBefore().dup());
      lambdas.add(s.lambda().dup());
      batches.add(s.batch());
      learningRates.add(s.learningRate());
      window++;
    }

    @Override
    public void reset() {
      window = 0;
    }
  }

  /** Declares a window it needs but follows it online; notes what each meta-update received. */
  static final class Online implements HypergradientEstimator {
    final List<Log> created = new ArrayList<>();
    final List<Integer> windowAtMeta = new ArrayList<>();
    final List<Integer> recordedAtMeta = new ArrayList<>();

    @Override
    public String name() {
      return "online";
    }

    @Override
    public TrajectoryNeeds needs() {
      return TrajectoryNeeds.FULL;
    }

    @Override
    public WindowAccumulator newAccumulator() {
      Log l = new Log();
      created.add(l);
      return l;
    }

    @Override
    public Hypergradient estimate(EstimationContext c) {
      windowAtMeta.add(((Log) c.accumulator()).window);
      recordedAtMeta.add(c.trajectory().length());
      return Hypergradient.skip(Map.of());
    }

    @Override
    public Map<String, Object> describe() {
      return Map.of("estimator", name());
    }
  }

  private TrainingRun start(Online e) {
    return trainer.start(q.problem(Sgd.of(0.1).momentum(0.5), 0.2, EVERY), 1, e);
  }

  @Test
  void eachStepArrivesBeforeItIsAppliedAndTheMetaUpdateGetsTheWholeWindowUnrecorded() {
    Online e = new Online();
    TrainingRun run = start(e);
    List<INDArray> before = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    for (int i = 0; i < 2 * EVERY; i++) {
      before.add(run.theta());
      rates.add(run.innerOptimizer().currentLearningRate());
      run.step(q.batches.get(i), () -> q.val);
    }

    Log log = e.created.get(0);
    assertThat(log.thetas).containsExactlyElementsOf(before);
    assertThat(log.batches).containsExactlyElementsOf(q.batches.subList(0, 2 * EVERY));
    assertThat(log.learningRates).containsExactlyElementsOf(rates);
    assertThat(log.lambdas).allSatisfy(l -> assertThat(l).isEqualTo(run.lambda()));
    assertThat(e.windowAtMeta).containsExactly(EVERY, EVERY);
    // FULL, yet nothing recorded: the accumulator stands in for the window.
    assertThat(e.recordedAtMeta).containsExactly(0, 0);
  }

  @Test
  void theWindowRestartsWhenThetaIsReplacedOrTheRunRestored() {
    Online e = new Online();
    TrainingRun run = start(e);
    RunState start = run.snapshot();
    Log log = e.created.get(0);
    run.step(q.batches.get(0), () -> q.val);
    run.step(q.batches.get(1), () -> q.val);
    assertThat(log.window).isEqualTo(2);

    run.setTheta(run.theta());
    assertThat(log.window).isZero();
    run.step(q.batches.get(2), () -> q.val); // meta-update after one step since setTheta
    run.step(q.batches.get(3), () -> q.val);
    run.restore(start);
    assertThat(log.window).isZero();
    for (int i = 0; i < EVERY; i++) {
      run.step(q.batches.get(i), () -> q.val);
    }

    assertThat(e.windowAtMeta).containsExactly(1, EVERY);
  }

  @Test
  void everyRunHasItsOwnAccumulator() {
    Online e = new Online();
    TrainingRun a = start(e);
    TrainingRun b = start(e);
    a.step(q.batches.get(0), () -> q.val);

    assertThat(e.created).hasSize(2);
    assertThat(e.created.get(0).window).isEqualTo(1);
    assertThat(e.created.get(1).window).isZero();
    assertThat(b.step()).isZero();
  }

  @Test
  void metaFirstSkipsTheMetaUpdateOnAnEmptyWindowAsWhenRecording() {
    Online e = new Online();
    Ridge r = new Ridge(3, 20, 20, true, 1);
    TrainingRun run = trainer.start(r.problem(0.3, 0.05), 1, e);

    run.step(r.train(), r::val);
    run.step(r.train(), r::val);

    // Asked once, at the second step, about the one step before it.
    assertThat(e.windowAtMeta).containsExactly(1);
  }
}
