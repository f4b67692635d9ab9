package dev.bilevel.mwn;

import dev.bilevel.backend.Backend;
import dev.bilevel.data.Batch;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.engine.BilevelTrainer;
import dev.bilevel.engine.RunState;
import dev.bilevel.engine.TrainingRun;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Optimizer;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/** One method being trained: a bilevel run with an estimator, or plain training. */
interface MethodRun {
  double step(Batch inner, Supplier<Batch> meta);

  void setEpoch(int epoch);

  BilevelOracle oracle();

  INDArray theta();

  INDArray lambda();

  /** Number of meta-updates made so far (positions the meta-batch stream). */
  long metaSteps();

  RunState snapshot();

  void restore(RunState s);

  /** Meta-Weight-Net with an estimator from the registry. */
  static MethodRun bilevel(BilevelTrainer trainer, BilevelProblem problem, long seed,
      HypergradientEstimator estimator) {
    TrainingRun run = trainer.start(problem, seed, estimator);
    return new MethodRun() {
      @Override
      public double step(Batch inner, Supplier<Batch> meta) {
        return run.step(inner, meta).innerLoss();
      }

      @Override
      public void setEpoch(int epoch) {
        run.setEpoch(epoch);
      }

      @Override
      public BilevelOracle oracle() {
        return run.compiled();
      }

      @Override
      public INDArray theta() {
        return run.theta();
      }

      @Override
      public INDArray lambda() {
        return run.lambda();
      }

      @Override
      public long metaSteps() {
        return run.step(); // one meta-update per step (metaUpdateEvery 1, meta first)
      }

      @Override
      public RunState snapshot() {
        return run.snapshot();
      }

      @Override
      public void restore(RunState s) {
        run.restore(s);
      }
    };
  }

  /** Plain training: the inner loss with uniform weights, no meta-updates; λ stays at its start. */
  static MethodRun plain(Backend backend, BilevelProblem problem, long seed) {
    backend.seedRandom(seed);
    CompiledProblem compiled = CompiledProblem.compile(problem, backend);
    INDArray theta = compiled.initialTheta(seed);
    INDArray lambda = compiled.initialLambda(seed);
    Optimizer opt = problem.innerOptimizer().create(theta.length(), problem.dtype());
    long[] step = {0};
    int[] epoch = {0};
    return new MethodRun() {
      @Override
      public double step(Batch inner, Supplier<Batch> meta) {
        var e = compiled.evaluate(Level.INNER, theta, lambda, inner, Wrt.THETA);
        opt.step(theta, e.gradTheta());
        step[0]++;
        return e.value();
      }

      @Override
      public void setEpoch(int e) {
        epoch[0] = e;
        opt.setEpoch(e);
      }

      @Override
      public BilevelOracle oracle() {
        return compiled;
      }

      @Override
      public INDArray theta() {
        return theta.dup();
      }

      @Override
      public INDArray lambda() {
        return lambda.dup();
      }

      @Override
      public long metaSteps() {
        return 0;
      }

      @Override
      public RunState snapshot() {
        return new RunState(theta.dup(), lambda.dup(), opt.snapshot(), null, step[0], epoch[0]);
      }

      @Override
      public void restore(RunState s) {
        theta.assign(s.theta());
        lambda.assign(s.lambda());
        opt.restore(s.inner());
        step[0] = s.step();
        setEpoch(s.epoch());
      }
    };
  }
}
