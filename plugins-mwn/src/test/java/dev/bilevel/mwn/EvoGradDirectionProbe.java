package dev.bilevel.mwn;

import static dev.bilevel.mwn.Estimates.context;
import static dev.bilevel.mwn.Estimates.dot;
import static dev.bilevel.mwn.Estimates.norm;
import static dev.bilevel.mwn.Estimates.vec;

import dev.bilevel.backend.Nd4jBackend;
import dev.bilevel.corruption.NoiseType;
import dev.bilevel.data.Batch;
import dev.bilevel.data.Batches;
import dev.bilevel.data.DatasetLocator;
import dev.bilevel.data.KnownDataset;
import dev.bilevel.data.LabelledImages;
import dev.bilevel.data.Split;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.graph.CompiledProblem;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A diagnostic for docs/mwn.md ("Imbalance 100 at the reference's scale"), not a test: at the first
 * meta-update of the lt100 runs (n_max 5000, imbalance 100, the runs' own initial θ and V, first
 * training and meta batch), which way do one-step's hypergradient and the mean of many EvoGrad
 * estimates (scaled by η/α_e) push V? Prints their cosine and, for a small descent step along each,
 * how V's change varies with the loss (positive: V becomes more increasing in ℓ).
 *
 * <pre>java -cp ... dev.bilevel.mwn.EvoGradDirectionProbe [draws] [seeds...]</pre>
 */
public final class EvoGradDirectionProbe {
  private EvoGradDirectionProbe() {}

  public static void main(String[] args) {
    int draws = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    long[] seeds = {1, 2, 3};
    if (args.length > 1) {
      seeds = new long[args.length - 1];
      for (int i = 1; i < args.length; i++) {
        seeds[i - 1] = Long.parseLong(args[i]);
      }
    }
    var backend = Nd4jBackend.start();
    DatasetLocator locator = DatasetLocator.fromEnvironment();
    LabelledImages train = locator.load(KnownDataset.FASHION_MNIST, Split.TRAIN);
    LabelledImages test = locator.load(KnownDataset.FASHION_MNIST, Split.TEST);
    double eta = 0.1;
    double[] grid = {0.05, 0.25, 0.5, 1, 2, 3, 4};
    for (long seed : seeds) {
      MwnData data = MwnData.prepare(train, test, 10, 0, 5000, 100, NoiseType.UNIF, 0, seed);
      CompiledProblem p = CompiledProblem.compile(MwnProblem.build(784, 10, 256, Weighting.NORMALISED,
          eta, 0.9, 5e-4, null, 1e-5, 5e-4), backend);
      INDArray theta = p.initialTheta(seed);
      INDArray lambda = p.initialLambda(seed);
      Batch inner = Batches.of(data.train(), 100, seed * 7919 + 1).epoch(0).iterator().next();
      Batch outer = Batches.of(data.meta(), 100, seed * 7919 + 2).epoch(0).iterator().next();
      double[] oneStep = vec(new OneStep(OneStepConfig.defaults())
          .estimate(context(p, theta, lambda, inner, outer, eta, 1)).gradient());
      System.out.printf(Locale.ROOT, "seed %d: V at start, v(ℓ) on %s = %s%n", seed,
          java.util.Arrays.toString(grid), fmt(MwnProblem.weightFunction(lambda, grid)));
      report("one-step (η = 0.1)", lambda, oneStep, oneStep, grid);
      // One-step with a virtual step too small to move ∇θ L_out: what EvoGrad estimates on average
      // (EvoGradEffectiveStepTest), scaled to η = 0.1 for comparison.
      double[] small = scaled(vec(new OneStep(OneStepConfig.defaults().learningRate(1e-4))
          .estimate(context(p, theta, lambda, inner, outer, eta, 1)).gradient()), eta / 1e-4);
      report("one-step (η = 1e-4) × 0.1/1e-4", lambda, small, oneStep, grid);
      for (double sigma : new double[] {5e-2, 1e-3}) {
        int k = 4;
        double tau = 0.05;
        EvoGrad evo = new EvoGrad(EvoGradConfig.defaults().candidates(k).sigma(sigma).temperature(tau));
        double scale = eta / EvoGradSettings.effectiveStep(k, sigma, tau);
        double[] mean = new double[oneStep.length];
        double[] proj = new double[draws];
        double[] u = unit(oneStep);
        for (int t = 0; t < draws; t++) {
          double[] g = vec(evo.estimate(context(p, theta, lambda, inner, outer, eta, 7919L * seed + t))
              .gradient());
          for (int i = 0; i < g.length; i++) {
            g[i] *= scale;
            mean[i] += g[i] / draws;
          }
          proj[t] = dot(g, u);
        }
        double m = 0;
        double sq = 0;
        for (double x : proj) {
          m += x / draws;
          sq += x * x / draws;
        }
        double se = Math.sqrt(Math.max(sq - m * m, 0) / draws);
        report(String.format(Locale.ROOT, "EvoGrad K=%d σ=%g mean of %d × η/α_e", k, sigma, draws), lambda,
            mean, oneStep, grid);
        System.out.printf(Locale.ROOT, "    cos with one-step at η = 1e-4: %.3f%n",
            dot(mean, small) / (norm(mean) * norm(small)));
        System.out.printf(Locale.ROOT, "    projection on one-step's direction %.4g ± %.2g (one-step's norm %.4g)%n",
            m, se, norm(oneStep));
      }
    }
  }

  private static void report(String what, INDArray lambda, double[] g, double[] ref, double[] grid) {
    // V's change for a small descent step along g, per loss value on the grid.
    double step = 1e-2 / Math.max(norm(g), 1e-30);
    INDArray moved = lambda.castTo(DataType.DOUBLE).dup();
    INDArray flat = moved.reshape(moved.length());
    for (int i = 0; i < g.length; i++) {
      flat.putScalar(i, flat.getDouble(i) - step * g[i]);
    }
    double[] before = MwnProblem.weightFunction(lambda.castTo(DataType.DOUBLE), grid);
    double[] after = MwnProblem.weightFunction(moved, grid);
    double[] change = new double[grid.length];
    for (int i = 0; i < grid.length; i++) {
      change[i] = after[i] - before[i];
    }
    System.out.printf(Locale.ROOT, "  %-44s |g| %.4g, cos with one-step %.3f, Δv(ℓ) per unit step %s%n", what,
        norm(g), dot(g, ref) / (norm(g) * norm(ref)), fmt(scaled(change, 1 / 1e-2)));
  }

  private static double[] unit(double[] a) {
    return scaled(a, 1 / norm(a));
  }

  private static double[] scaled(double[] a, double c) {
    double[] r = a.clone();
    for (int i = 0; i < r.length; i++) {
      r[i] *= c;
    }
    return r;
  }

  private static String fmt(double[] a) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < a.length; i++) {
      b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3g", a[i]));
    }
    return b.append(']').toString();
  }
}
