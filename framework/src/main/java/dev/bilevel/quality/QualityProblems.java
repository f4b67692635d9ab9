package dev.bilevel.quality;

import dev.bilevel.data.Batch;
import dev.bilevel.data.Batches;
import dev.bilevel.data.DatasetLocator;
import dev.bilevel.data.KnownDataset;
import dev.bilevel.data.LabelledImages;
import dev.bilevel.data.Split;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.engine.RunState;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Optimizer;
import dev.bilevel.optim.Sgd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The problems the quality tables in {@code docs/estimators.md} are measured on, each with a state
 * reached by warm-up training at fixed λ and a window of inner batches.
 */
public final class QualityProblems {
  private QualityProblems() {}

  /**
   * A problem, a state and a window to report on.
   *
   * @param title a one-line description
   */
  public record Case(String title, BilevelProblem problem, RunState state,
      QualityReport.Window window) {}

  /**
   * Ridge regression with a learned per-feature L2 strength, in FP64, on synthetic data (y = x·w +
   * 0.5·noise): L_in = ½ mean((xθ − y)²) + ½ Σ λ_i θ_i² on mini-batches, L_out = ½ mean((xθ − y)²)
   * on a validation set. Plain SGD (η = 0.05), {@code warmup} steps before the window of {@code
   * steps}.
   */
  public static Case ridge(int features, int batchSize, int warmup, int steps, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] w = new double[features];
    for (int i = 0; i < features; i++) {
      w[i] = gaussian(r);
    }
    List<Batch> batches = new ArrayList<>();
    for (int t = 0; t < warmup + steps; t++) {
      batches.add(regressionBatch(r, w, batchSize));
    }
    Batch val = regressionBatch(r, w, 4 * batchSize);
    BilevelProblem p = Bilevel.problem("ridge")
        .dtype(DataType.DOUBLE)
        .input("x", -1, features)
        .input("y", -1, 1)
        .innerParams("w", q -> q.param("w", Init.zeros(), features, 1))
        .metaParams("l2", q -> q.param("lambda", Init.constant(0.1), features, 1))
        .innerObjective(f -> {
          var th = f.inner("w").param("w");
          var fit = f.sd().math().square(f.input("x").mmul(th).sub(f.input("y"))).mean().mul(0.5);
          var penalty = f.meta("l2").param("lambda").mul(f.sd().math().square(th)).sum().mul(0.5);
          return fit.add(penalty);
        })
        .outerObjective(f -> {
          var th = f.inner("w").param("w");
          return f.sd().math().square(f.input("x").mmul(th).sub(f.input("y"))).mean().mul(0.5);
        })
        .innerOptimizer(Sgd.of(0.05))
        .outerOptimizer(Sgd.of(0.01))
        .build();
    RunState state = warmUp(p, batches.subList(0, warmup), seed);
    return new Case(String.format("ridge regression, %d features, per-feature λ, batch %d,"
        + " SGD η = 0.05, after %d steps", features, batchSize, warmup), p, state,
        new QualityReport.Window(batches.subList(warmup, warmup + steps), val));
  }

  private static Batch regressionBatch(SplittableRandom r, double[] w, int n) {
    double[][] x = new double[n][w.length];
    double[][] y = new double[n][1];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < w.length; j++) {
        x[i][j] = gaussian(r);
        y[i][0] += x[i][j] * w[j];
      }
      y[i][0] += 0.5 * gaussian(r);
    }
    return Batch.of(Map.of("x", Nd4j.createFromArray(x), "y", Nd4j.createFromArray(y)));
  }

  private static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  /**
   * An MLP 784 → hidden (tanh) → 10 on Fashion-MNIST, in FP64, with a learned weight decay per
   * layer: λ_l is the log of layer l's decay, L_in = CE(train batch) + ½ Σ_l exp(λ_l)·‖W_l‖²
   * (λ_l = log 1e-3 at the start; biases not decayed), L_out = CE on {@code outerSize} test-split
   * images. SGD with Nesterov momentum 0.9, η = 0.05, {@code warmup} steps before the window.
   *
   * @throws dev.bilevel.data.DatasetException if Fashion-MNIST is not installed ({@code bash
   *     scripts/setup-data.sh})
   */
  public static Case fashionMlp(DatasetLocator locator, int hidden, int batchSize, int outerSize,
      int warmup, int steps, long seed) {
    LabelledImages train = locator.load(KnownDataset.FASHION_MNIST, Split.TRAIN);
    LabelledImages test = locator.load(KnownDataset.FASHION_MNIST, Split.TEST);
    double[] mean = train.channelMeans();
    double[] std = train.channelStds();
    Batches trainBatches = Batches.of(train.normalised(mean, std), batchSize, seed)
        .dataType(DataType.DOUBLE);
    Batches outer = Batches.of(test.normalised(mean, std), outerSize, seed + 1)
        .dataType(DataType.DOUBLE);
    List<Batch> batches = new ArrayList<>();
    var cursor = trainBatches.cursor(0, 0);
    for (int t = 0; t < warmup + steps; t++) {
      batches.add(cursor.next());
    }
    int features = train.featureSize();
    BilevelProblem p = layerDecayMlp("fashion-mlp-layer-decay", features, hidden);
    RunState state = warmUp(p, batches.subList(0, warmup), seed);
    return new Case(String.format("MLP 784-%d-10 (tanh) on Fashion-MNIST, log weight decay per"
        + " layer, batch %d, SGD η = 0.05 with Nesterov momentum 0.9, after %d steps", hidden,
        batchSize, warmup), p, state,
        new QualityReport.Window(batches.subList(warmup, warmup + steps), outer.batch(0, 0)));
  }

  /**
   * The same per-layer weight-decay MLP as {@link #fashionMlp}, on synthetic data (Gaussian inputs,
   * labels from a random linear teacher), so that it runs without any data set installed: for the
   * memory benchmark and tests.
   */
  public static Case syntheticMlp(int inputs, int hidden, int batchSize, int warmup, int steps,
      long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] teacher = new double[inputs][10];
    for (double[] row : teacher) {
      for (int k = 0; k < 10; k++) {
        row[k] = gaussian(r);
      }
    }
    List<Batch> batches = new ArrayList<>();
    for (int t = 0; t < warmup + steps; t++) {
      batches.add(classificationBatch(r, teacher, batchSize));
    }
    Batch val = classificationBatch(r, teacher, 4 * batchSize);
    BilevelProblem p = layerDecayMlp("synthetic-mlp-layer-decay", inputs, hidden);
    RunState state = warmUp(p, batches.subList(0, warmup), seed);
    return new Case(String.format("MLP %d-%d-10 (tanh) on synthetic data, log weight decay per"
        + " layer, batch %d, SGD η = 0.05 with Nesterov momentum 0.9, after %d steps", inputs,
        hidden, batchSize, warmup), p, state,
        new QualityReport.Window(batches.subList(warmup, warmup + steps), val));
  }

  private static Batch classificationBatch(SplittableRandom r, double[][] teacher, int n) {
    int d = teacher.length;
    double[][] x = new double[n][d];
    double[][] y = new double[n][10];
    for (int i = 0; i < n; i++) {
      double[] score = new double[10];
      for (int j = 0; j < d; j++) {
        x[i][j] = gaussian(r);
        for (int k = 0; k < 10; k++) {
          score[k] += x[i][j] * teacher[j][k];
        }
      }
      int best = 0;
      for (int k = 1; k < 10; k++) {
        best = score[k] > score[best] ? k : best;
      }
      y[i][best] = 1;
    }
    return Batch.of(Map.of("x", Nd4j.createFromArray(x), "y", Nd4j.createFromArray(y)));
  }

  /** MLP inputs → hidden (tanh) → 10 with λ = the log weight decay of each of its two layers. */
  static BilevelProblem layerDecayMlp(String name, int features, int hidden) {
    double logDecay = Math.log(1e-3);
    return Bilevel.problem(name)
        .dtype(DataType.DOUBLE)
        .input("x", -1, features)
        .input("y", -1, 10)
        .inner("mlp", net -> net.dense(features, hidden).tanh().dense(hidden, 10))
        .metaParams("decay", q -> q.param("layer0", Init.constant(logDecay), 1)
            .param("layer1", Init.constant(logDecay), 1))
        .innerObjective(f -> {
          var mlp = f.inner("mlp");
          var ce = f.meanCrossEntropy(mlp.apply(f.input("x")), f.input("y"));
          var d = f.meta("decay");
          var sd = f.sd();
          var pen0 = sd.math().exp(d.param("layer0")).mul(sd.math().square(mlp.param("0.W")).sum());
          var pen1 = sd.math().exp(d.param("layer1")).mul(sd.math().square(mlp.param("2.W")).sum());
          return ce.add(pen0.add(pen1).mul(0.5).sum());
        })
        .outerObjective(f -> f.meanCrossEntropy(f.inner("mlp").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.05).momentum(0.9))
        .outerOptimizer(Sgd.of(0.01))
        .build();
  }

  /** Trains θ at the initial λ over the batches with the problem's inner optimizer. */
  static RunState warmUp(BilevelProblem p, List<Batch> batches, long seed) {
    CompiledProblem c = p.compile();
    INDArray theta = c.initialTheta(seed);
    INDArray lambda = c.initialLambda(seed);
    Optimizer opt = p.innerOptimizer().create(theta.length(), p.dtype());
    for (Batch b : batches) {
      opt.step(theta, c.gradTheta(Level.INNER, theta, lambda, b));
    }
    return new RunState(theta, lambda, opt.snapshot(), null, batches.size(), 0);
  }
}
