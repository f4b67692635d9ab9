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
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.neumann.Neumann;
import dev.bilevel.estimator.neumann.NeumannConfig;
import dev.bilevel.experiment.Plugins;
import dev.bilevel.optim.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * A diagnostic for docs/mwn.md ("The other estimators over the full 40 epochs"), not a test: trains
 * the default Meta-Weight-Net setting (unif 40%, 300 images per class, 40 epochs) with `neumann`
 * and prints, per epoch, how its series behaved: ‖(I − αH)^N b‖ / ‖b‖ at each meta-update (above 1,
 * the series diverges on that batch), with α the classifier's learning rate.
 *
 * <pre>java -cp ... dev.bilevel.mwn.NeumannSeriesProbe [seed] [epochs]</pre>
 */
public final class NeumannSeriesProbe {
  private NeumannSeriesProbe() {}

  public static void main(String[] args) {
    long seed = args.length > 0 ? Long.parseLong(args[0]) : 1;
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    BilevelTrainer trainer = Plugins.injector(Plugins.discover()).getInstance(BilevelTrainer.class);
    DatasetLocator locator = DatasetLocator.fromEnvironment();
    LabelledImages train = locator.load(KnownDataset.FASHION_MNIST, Split.TRAIN);
    LabelledImages test = locator.load(KnownDataset.FASHION_MNIST, Split.TEST);
    MwnData data = MwnData.prepare(train, test, 10, 0, 300, 1, NoiseType.UNIF, 0.4, seed);
    var schedule = new MapSchedule.Builder(ScheduleType.EPOCH).add(0, 0.1)
        .add((int) Math.round(0.67 * epochs), 0.01).add((int) Math.round(0.83 * epochs), 0.001).build();
    var problem = MwnProblem.build(784, 10, 256, Weighting.NORMALISED, 0.1, 0.9, 5e-4, schedule,
        Adam.of(1e-3).weightDecay(1e-4));
    List<Double> growth = new ArrayList<>();
    Neumann neumann = new Neumann(NeumannConfig.defaults());
    HypergradientEstimator recording = new HypergradientEstimator() {
      @Override
      public String name() {
        return neumann.name();
      }

      @Override
      public Hypergradient estimate(EstimationContext c) {
        Hypergradient h = neumann.estimate(c);
        growth.add(h.diagnostics().getOrDefault("seriesGrowth", Double.NaN));
        return h;
      }

      @Override
      public Map<String, Object> describe() {
        return neumann.describe();
      }
    };
    MethodRun run = MethodRun.bilevel(trainer, problem, seed, recording);
    Batches inner = Batches.of(data.train(), 100, seed * 7919 + 1);
    Batches meta = Batches.of(data.meta(), 100, seed * 7919 + 2);
    BatchCursor cursor = meta.cursor(0, 0);
    System.out.println("epoch  lr      median   max      share>1  (‖(I−αH)^5 b‖/‖b‖ over the epoch's meta-updates)");
    for (int e = 0; e < epochs; e++) {
      run.setEpoch(e);
      growth.clear();
      for (Batch b : inner.epoch(e)) {
        run.step(b, cursor::next);
      }
      double[] g = growth.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      long above = java.util.Arrays.stream(g).filter(x -> x > 1).count();
      System.out.printf(Locale.ROOT, "%5d  %.0e  %7.3g  %7.3g  %.2f%n", e + 1, schedule.valueAt(0, e),
          g[g.length / 2], g[g.length - 1], (double) above / g.length);
    }
  }
}
