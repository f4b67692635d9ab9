package dev.bilevel.mwn;

import dev.bilevel.corruption.NoiseType;
import dev.bilevel.data.Batch;
import dev.bilevel.data.BatchCursor;
import dev.bilevel.data.Batches;
import dev.bilevel.data.DatasetLocator;
import dev.bilevel.data.KnownDataset;
import dev.bilevel.data.LabelledImages;
import dev.bilevel.data.Split;
import dev.bilevel.engine.BilevelTrainer;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.experiment.Plugins;
import dev.bilevel.graph.Vectors;
import dev.bilevel.optim.Adam;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * A diagnostic for docs/mwn.md ("The other estimators over the full 40 epochs"), not a test: trains
 * the default Meta-Weight-Net setting (unif 40%, 300 images per class, 40 epochs) with one registered
 * estimator and, at each of its meta-updates, also asks "shadow" estimators for their estimate at the
 * same θ, λ and batches (not applied). Per epoch it prints the median and largest value of each
 * diagnostic the estimators report (for 0/1 flags such as {@code negativeCurvature}: the share of
 * meta-updates at 1)
 * and, per shadow, the median cosine with the estimate that trained and the median ratio of norms.
 * Neumann's {@code seriesGrowth} = ‖(I − αH)^N b‖ / ‖b‖ is above 1 where its series diverges.
 *
 * <pre>java -cp ... dev.bilevel.mwn.EstimatorDiagnosticsProbe [trained] [shadow,shadow] [seed] [epochs]</pre>
 *
 * e.g. {@code neumann conjugate-gradient,one-step 1 40}; "-" for no shadows.
 */
public final class EstimatorDiagnosticsProbe {
  private EstimatorDiagnosticsProbe() {}

  public static void main(String[] args) {
    String trained = args.length > 0 ? args[0] : "neumann";
    List<String> shadows = args.length > 1 && !args[1].equals("-") ? List.of(args[1].split(",")) : List.of();
    long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
    int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 40;
    BilevelTrainer trainer = Plugins.injector(Plugins.discover()).getInstance(BilevelTrainer.class);
    EstimatorRegistry registry = trainer.registry();
    DatasetLocator locator = DatasetLocator.fromEnvironment();
    LabelledImages train = locator.load(KnownDataset.FASHION_MNIST, Split.TRAIN);
    LabelledImages test = locator.load(KnownDataset.FASHION_MNIST, Split.TEST);
    MwnData data = MwnData.prepare(train, test, 10, 0, 300, 1, NoiseType.UNIF, 0.4, seed);
    var schedule = new MapSchedule.Builder(ScheduleType.EPOCH).add(0, 0.1)
        .add((int) Math.round(0.67 * epochs), 0.01).add((int) Math.round(0.83 * epochs), 0.001).build();
    var problem = MwnProblem.build(784, 10, 256, Weighting.NORMALISED, 0.1, 0.9, 5e-4, schedule,
        Adam.of(1e-3).weightDecay(1e-4));
    HypergradientEstimator estimator = registry.get(trained);
    Map<String, List<Double>> seen = new LinkedHashMap<>();
    HypergradientEstimator recording = new HypergradientEstimator() {
      @Override
      public String name() {
        return estimator.name();
      }

      @Override
      public Hypergradient estimate(EstimationContext c) {
        Hypergradient h = estimator.estimate(c);
        record(seen, trained, h.diagnostics());
        for (String s : shadows) {
          Hypergradient o = registry.get(s).estimate(c);
          record(seen, s, o.diagnostics());
          if (!h.skipped() && !o.skipped()) {
            INDArray a = h.gradient();
            INDArray b = o.gradient();
            double na = Vectors.norm2(a);
            double nb = Vectors.norm2(b);
            seen.computeIfAbsent(s + ".cosine", k -> new ArrayList<>()).add(Vectors.dot(a, b) / (na * nb));
            seen.computeIfAbsent(s + ".normRatio", k -> new ArrayList<>()).add(nb / na);
          }
        }
        return h;
      }

      @Override
      public Map<String, Object> describe() {
        return estimator.describe();
      }
    };
    MethodRun run = MethodRun.bilevel(trainer, problem, seed, recording);
    Batches inner = Batches.of(data.train(), 100, seed * 7919 + 1);
    Batches meta = Batches.of(data.meta(), 100, seed * 7919 + 2);
    BatchCursor cursor = meta.cursor(0, 0);
    System.out.printf(Locale.ROOT, "trained with %s; shadows %s; seed %d; per epoch: median over its"
        + " meta-updates (flags: share at 1)%n", trained, shadows, seed);
    for (int e = 0; e < epochs; e++) {
      run.setEpoch(e);
      seen.clear();
      for (Batch b : inner.epoch(e)) {
        run.step(b, cursor::next);
      }
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %2d  lr %.0e", e + 1,
          schedule.valueAt(0, e)));
      for (var entry : seen.entrySet()) {
        sb.append("  ").append(entry.getKey()).append(' ').append(summary(entry.getValue()));
      }
      System.out.println(sb);
    }
  }

  private static void record(Map<String, List<Double>> seen, String who, Map<String, Double> d) {
    d.forEach((k, v) -> seen.computeIfAbsent(who + "." + k, x -> new ArrayList<>()).add(v));
  }

  /** The share of ones for a 0/1 flag; otherwise the median and, after a slash, the largest value. */
  private static String summary(List<Double> values) {
    if (values.stream().allMatch(v -> v == 0 || v == 1)) {
      return String.format(Locale.ROOT, "%.2f", values.stream().mapToDouble(Double::doubleValue).average()
          .orElse(Double.NaN));
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return String.format(Locale.ROOT, "%.3g/%.3g", v[v.length / 2], v[v.length - 1]);
  }
}
