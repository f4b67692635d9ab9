package dev.bilevel.engine;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.dsl.UpdateOrder;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.InnerStep;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.WindowAccumulator;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Optimizer;
import dev.bilevel.secondorder.SecondOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One training run of a problem with one estimator: the live θ and λ, both optimizers and the step
 * counter. A step reads: (meta-update if due) → inner update → listeners, or the inner update first
 * for {@link UpdateOrder#BASE_FIRST}. The meta-update is: estimator → outer optimizer.
 *
 * <p>Between meta-updates the run either records the window of inner steps the estimator {@link
 * HypergradientEstimator#needs() needs}, or, for an estimator that follows the steps online, passes
 * each step to the estimator's {@link WindowAccumulator} and records nothing.
 */
public final class TrainingRun {
  private final CompiledProblem compiled;
  private final HypergradientEstimator estimator;
  private final SecondOrder products;
  private final long seed;
  private final INDArray theta;
  private final INDArray lambda;
  private final Optimizer innerOpt;
  private final Optimizer outerOpt;
  private final List<TrainingListener> listeners = new CopyOnWriteArrayList<>();
  private long step;
  private int epoch;
  // The window of inner steps since the last meta-update: recorded for trajectory estimators,
  // followed by the accumulator (and not recorded) for online ones.
  private final WindowAccumulator accumulator;
  private final boolean recording;
  private final List<Trajectory.Step> window = new ArrayList<>();
  private int windowLength;
  private INDArray innerGrad; // reused by every inner step, overwritten by the optimizer
  private INDArray windowTheta0;
  private Optimizer.Snapshot windowOpt0;

  TrainingRun(CompiledProblem compiled, HypergradientEstimator estimator, SecondOrder products,
      long seed) {
    this.compiled = compiled;
    this.estimator = estimator;
    this.products = products;
    this.seed = seed;
    this.theta = compiled.initialTheta(seed);
    this.lambda = compiled.initialLambda(seed);
    BilevelProblem p = compiled.problem();
    this.innerOpt = p.innerOptimizer().create(theta.length(), p.dtype());
    this.outerOpt = p.outerOptimizer().create(lambda.length(), p.dtype());
    this.accumulator = estimator.newAccumulator();
    this.recording = accumulator == null && estimator.needs() != TrajectoryNeeds.NONE;
    startWindow();
  }

  public CompiledProblem compiled() {
    return compiled;
  }

  public HypergradientEstimator estimator() {
    return estimator;
  }

  public long seed() {
    return seed;
  }

  public long step() {
    return step;
  }

  public int epoch() {
    return epoch;
  }

  /** Sets the epoch used by learning-rate schedules and reported in events. */
  public void setEpoch(int e) {
    epoch = e;
    innerOpt.setEpoch(e);
    outerOpt.setEpoch(e);
  }

  /** A copy of θ. */
  public INDArray theta() {
    return theta.dup();
  }

  /** A copy of λ. */
  public INDArray lambda() {
    return lambda.dup();
  }

  /** Replaces θ (say a warm start); the optimizer state is kept. */
  public void setTheta(INDArray values) {
    theta.assign(values);
    startWindow();
  }

  /** Replaces λ; the optimizer state is kept. */
  public void setLambda(INDArray values) {
    lambda.assign(values);
  }

  public Optimizer innerOptimizer() {
    return innerOpt;
  }

  public Optimizer outerOptimizer() {
    return outerOpt;
  }

  public void addListener(TrainingListener l) {
    listeners.add(l);
  }

  List<TrainingListener> listeners() {
    return listeners;
  }

  private boolean metaDue() {
    int every = compiled.problem().metaUpdateEvery();
    return compiled.problem().order() == UpdateOrder.META_FIRST
        ? step % every == 0 : (step + 1) % every == 0;
  }

  /**
   * One training step on an inner batch; {@code outerBatches} is asked for a batch only when a
   * meta-update runs.
   */
  public StepEvent step(Batch innerBatch, Supplier<Batch> outerBatches) {
    boolean due = metaDue();
    Hypergradient hg = null;
    long metaNanos = 0;
    if (due && compiled.problem().order() == UpdateOrder.META_FIRST && windowReady()) {
      long t0 = System.nanoTime();
      hg = metaUpdate(innerBatch, outerBatches.get());
      metaNanos = System.nanoTime() - t0;
    }
    long t1 = System.nanoTime();
    double innerLoss = innerUpdate(innerBatch);
    long innerNanos = System.nanoTime() - t1;
    if (due && compiled.problem().order() == UpdateOrder.BASE_FIRST) {
      long t0 = System.nanoTime();
      hg = metaUpdate(innerBatch, outerBatches.get());
      metaNanos = System.nanoTime() - t0;
    }
    StepEvent ev = new StepEvent(step, epoch, innerLoss, hg != null && !hg.skipped(),
        hg == null ? Double.NaN : hg.norm(), innerNanos, metaNanos, estimator.name(),
        hg == null ? Map.of() : hg.diagnostics());
    step++;
    for (TrainingListener l : listeners) {
      l.onStep(ev);
    }
    return ev;
  }

  // An estimator that works on a window gets none that is empty (META_FIRST's first step).
  private boolean windowReady() {
    return estimator.needs() == TrajectoryNeeds.NONE || windowLength > 0;
  }

  private double innerUpdate(Batch batch) {
    if (innerGrad == null) {
      innerGrad = compiled.thetaLayout().zeros();
    }
    if (accumulator != null) {
      // Before the inner gradient: the accumulator's evaluations cannot touch innerGrad.
      accumulator.accept(new InnerStep(compiled, products, theta, lambda, batch,
          innerOpt.currentLearningRate(), compiled.problem().innerOptimizer()));
    }
    Evaluation e = compiled.evaluateInto(Level.INNER, theta, lambda, batch, Wrt.THETA,
        innerGrad);
    if (recording) {
      window.add(new Trajectory.Step(batch, innerOpt.currentLearningRate(), innerOpt.iteration(),
          estimator.needs() == TrajectoryNeeds.FULL ? theta.dup() : null));
    }
    windowLength++;
    innerOpt.stepConsuming(theta, e.gradTheta());
    return e.value();
  }

  private Hypergradient metaUpdate(Batch innerBatch, Batch outerBatch) {
    Trajectory trajectory = recording
        ? new Trajectory(windowTheta0, windowOpt0, window, theta.dup())
        : Trajectory.empty();
    EstimationContext ctx = new EstimationContext(compiled, products, theta, lambda, innerBatch,
        outerBatch, compiled.problem().innerOptimizer(), innerOpt.currentLearningRate(), trajectory,
        metaSeed(), step, accumulator);
    Hypergradient hg = estimator.estimate(ctx);
    if (!hg.skipped()) {
      outerOpt.step(lambda, hg.gradient());
    }
    startWindow();
    return hg;
  }

  private void startWindow() {
    window.clear();
    windowLength = 0;
    if (accumulator != null) {
      accumulator.reset();
    }
    if (recording) {
      windowTheta0 = theta.dup();
      windowOpt0 = innerOpt.snapshot();
    }
  }

  /** The estimator's seed for this step: a pure function of the run seed and the step. */
  private long metaSeed() {
    return new java.util.SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (step + 1))).nextLong();
  }

  /** The run's state for checkpoints: parameters, optimizer states and counters. */
  public RunState snapshot() {
    return new RunState(theta.dup(), lambda.dup(), innerOpt.snapshot(), outerOpt.snapshot(), step,
        epoch);
  }

  /** Continues from a snapshot of a run of the same problem. */
  public void restore(RunState s) {
    theta.assign(s.theta());
    lambda.assign(s.lambda());
    innerOpt.restore(s.inner());
    outerOpt.restore(s.outer());
    step = s.step();
    setEpoch(s.epoch());
    startWindow();
  }
}
