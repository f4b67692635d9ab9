package dev.bilevel.engine;

import dev.bilevel.backend.Backend;
import dev.bilevel.data.Batch;
import dev.bilevel.data.Batches;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.secondorder.SecondOrder;
import jakarta.inject.Inject;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Trains bilevel problems with the estimator the injector selected. Start a {@link TrainingRun} for
 * step-by-step control, or call {@link #train} for the epoch loop.
 */
public final class BilevelTrainer {
  private final EstimatorRegistry registry;
  private final Backend backend;

  @Inject
  public BilevelTrainer(EstimatorRegistry registry, Backend backend) {
    this.registry = registry;
    this.backend = backend;
  }

  /** The estimator this trainer uses. */
  public HypergradientEstimator estimator() {
    return registry.selected();
  }

  public EstimatorRegistry registry() {
    return registry;
  }

  /** A new run with the selected estimator, parameters initialised from the seed. */
  public TrainingRun start(BilevelProblem problem, long seed) {
    return start(problem, seed, registry.selected());
  }

  /**
   * A new run with a given estimator.
   *
   * @throws IllegalArgumentException before anything is compiled, listing every {@link Refusal} the
   *     estimator has for the problem
   */
  public TrainingRun start(BilevelProblem problem, long seed, HypergradientEstimator estimator) {
    Refusal.throwIfAny(estimator.refusals(problem));
    backend.seedRandom(seed);
    CompiledProblem compiled = CompiledProblem.compile(problem, backend);
    return new TrainingRun(compiled, estimator, new SecondOrder(compiled), seed);
  }

  /**
   * Runs {@code epochs} epochs over the inner batches, drawing outer batches from {@code outer} in
   * an endless cycle.
   */
  public TrainingRun train(BilevelProblem problem, long seed, int epochs, Batches inner,
      Batches outer, TrainingListener... listeners) {
    Iterator<Batch> metaBatches = outer.cursor(0, 0);
    return train(problem, seed, epochs, e -> inner.epoch(e).iterator(), metaBatches::next,
        List.of(listeners));
  }

  /**
   * Runs {@code epochs} epochs: each epoch iterates the inner batches, drawing outer batches when a
   * meta-update is due; listeners hear every step and every epoch end.
   */
  public TrainingRun train(BilevelProblem problem, long seed, int epochs,
      IntFunction<Iterator<Batch>> innerEpoch, Supplier<Batch> outerBatches,
      List<TrainingListener> listeners) {
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs must be non-negative, got " + epochs);
    }
    TrainingRun run = start(problem, seed);
    listeners.forEach(run::addListener);
    for (int e = 0; e < epochs; e++) {
      run.setEpoch(e);
      Iterator<Batch> it = innerEpoch.apply(e);
      while (it.hasNext()) {
        run.step(it.next(), outerBatches);
      }
      for (TrainingListener l : run.listeners()) {
        l.onEpochEnd(run, e);
      }
    }
    return run;
  }
}
