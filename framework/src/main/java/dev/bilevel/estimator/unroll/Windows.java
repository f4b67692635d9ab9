package dev.bilevel.estimator.unroll;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.InnerStep;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.WindowAccumulator;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Optimizer;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.secondorder.SecondOrder;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Recording and replaying windows of inner steps with the engine's own {@link Optimizer}, so that a
 * replayed θ_t is the θ_t the engine computed. Internal: public only so that estimator packages, the
 * quality report and the benchmarks can share it.
 */
public final class Windows {
  private Windows() {}

  /** Sees θ_{t−1} (do not modify or keep it) before the inner step t = index + 1 is applied. */
  @FunctionalInterface
  public interface StepVisitor {
    void visit(int index, Trajectory.Step step, INDArray thetaBefore);
  }

  /**
   * Replays a recorded window at a given λ (the recorded one, or a perturbed one) from its θ_0 and
   * optimizer state: each step evaluates ∇θ L_in on the step's batch and applies the optimizer.
   * Costs one gradient evaluation per step.
   *
   * @return θ_T of the replay
   */
  public static INDArray replay(BilevelOracle oracle, OptimizerSpec spec, Trajectory window,
      INDArray lambda, StepVisitor visitor) {
    return new Replayer(oracle, spec).replay(window, lambda, visitor); // θ is this replayer's own
  }

  /**
   * Replays one window many times (finite differences: two replays per λ coordinate) in the same
   * θ, gradient and optimizer, where {@link #replay} takes new ones each time: a replay's garbage
   * is freed only when the collector runs, and the JVM sees too little of it to run often.
   * The θ returned is overwritten by the next replay. Not thread-safe.
   */
  public static final class Replayer {
    private final BilevelOracle oracle;
    private final INDArray theta;
    private final INDArray grad;
    private final Optimizer opt;
    private final Optimizer.Snapshot fresh;

    public Replayer(BilevelOracle oracle, OptimizerSpec spec) {
      this.oracle = oracle;
      this.theta = oracle.thetaLayout().zeros();
      this.grad = oracle.thetaLayout().zeros();
      this.opt = spec.create(theta.length(), oracle.dtype());
      this.fresh = opt.snapshot();
    }

    /** As {@link Windows#replay} without a visitor: the same steps, the same θ_T. */
    public INDArray replay(Trajectory window, INDArray lambda) {
      return replay(window, lambda, null);
    }

    INDArray replay(Trajectory window, INDArray lambda, StepVisitor visitor) {
      if (window.isEmpty()) {
        return window.thetaT() == null ? null : theta.assign(window.thetaT());
      }
      if (window.theta0() == null) {
        throw new IllegalArgumentException("the window has steps but no θ_0; record it with"
            + " TrajectoryNeeds.ENDPOINTS or FULL");
      }
      theta.assign(window.theta0());
      opt.restore(window.optimizerState0() != null ? window.optimizerState0() : fresh);
      List<Trajectory.Step> steps = window.steps();
      for (int i = 0; i < steps.size(); i++) {
        Trajectory.Step s = steps.get(i);
        if (visitor != null) {
          visitor.visit(i, s, theta);
        }
        opt.stepConsuming(theta, oracle.evaluateInto(Level.INNER, theta, lambda, s.batch(),
            Wrt.THETA, grad).gradTheta());
      }
      return theta;
    }
  }

  /**
   * Feeds every step of a {@link TrajectoryNeeds#FULL} window to an online estimator's accumulator,
   * at the recorded θ_{t−1}, as the engine would have fed them while taking the steps.
   *
   * @return the accumulator
   * @throws IllegalArgumentException when the window was recorded without its θ_t
   */
  public static WindowAccumulator follow(WindowAccumulator accumulator, BilevelOracle oracle,
      SecondOrder products, OptimizerSpec spec, Trajectory window, INDArray lambda,
      String estimator) {
    for (int i = 0; i < window.length(); i++) {
      Trajectory.Step s = window.steps().get(i);
      accumulator.accept(new InnerStep(oracle, products, thetaBefore(window, i, estimator), lambda,
          s.batch(), s.learningRate(), spec));
    }
    return accumulator;
  }

  /**
   * A window recorded as the engine records it, and the learning rate of the step after it.
   *
   * @param trajectory the window
   * @param nextLearningRate the inner optimizer's learning rate after the window
   */
  public record Recorded(Trajectory trajectory, double nextLearningRate) {}

  /**
   * Takes one inner step per batch from θ_0 at a fixed λ and records the window the way {@link
   * dev.bilevel.engine.TrainingRun} does for an estimator with the given needs. θ_0 is not modified.
   *
   * @param state0 the optimizer state at the start (null: a fresh optimizer)
   */
  public static Recorded record(BilevelOracle oracle, OptimizerSpec spec, Optimizer.Snapshot state0,
      INDArray theta0, INDArray lambda, List<Batch> batches, TrajectoryNeeds needs) {
    INDArray theta = theta0.dup();
    Optimizer opt = spec.create(theta.length(), oracle.dtype());
    if (state0 != null) {
      opt.restore(state0);
    }
    Optimizer.Snapshot start = opt.snapshot();
    List<Trajectory.Step> steps = new ArrayList<>();
    for (Batch b : batches) {
      steps.add(new Trajectory.Step(b, opt.currentLearningRate(), opt.iteration(),
          needs == TrajectoryNeeds.FULL ? theta.dup() : null));
      opt.step(theta, oracle.gradTheta(Level.INNER, theta, lambda, b));
    }
    Trajectory t = needs == TrajectoryNeeds.NONE
        ? Trajectory.empty()
        : new Trajectory(theta0.dup(), start, steps, theta.dup());
    return new Recorded(t, opt.currentLearningRate());
  }

  /**
   * The same window as an estimator with lesser needs would receive it: without the intermediate θ
   * for {@link TrajectoryNeeds#ENDPOINTS}, empty for {@link TrajectoryNeeds#NONE}.
   */
  public static Trajectory restrict(Trajectory full, TrajectoryNeeds needs) {
    return switch (needs) {
      case FULL -> full;
      case NONE -> Trajectory.empty();
      case ENDPOINTS -> new Trajectory(full.theta0(), full.optimizerState0(),
          full.steps().stream()
              .map(s -> new Trajectory.Step(s.batch(), s.learningRate(), s.iteration(), null))
              .toList(),
          full.thetaT());
    };
  }

  /**
   * θ_{t−1} of the step with 0-based index {@code index} of a FULL window.
   *
   * @throws IllegalArgumentException when the window was recorded without it
   */
  public static INDArray thetaBefore(Trajectory window, int index, String estimator) {
    INDArray t = window.steps().get(index).thetaBefore();
    if (t == null) {
      throw new IllegalArgumentException("The " + estimator + " estimator needs every θ_t of the"
          + " window (TrajectoryNeeds.FULL), but step " + (index + 1) + " of " + window.length()
          + " was recorded without its θ.");
    }
    return t;
  }
}
