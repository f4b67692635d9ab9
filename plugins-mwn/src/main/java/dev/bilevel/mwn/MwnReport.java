package dev.bilevel.mwn;

import dev.bilevel.experiment.ExperimentContext;
import dev.bilevel.report.MarkdownReport;
import dev.bilevel.report.Plots;
import dev.bilevel.report.RunFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The run's plots and Markdown report, made from the metrics log and the units' final states. */
final class MwnReport {
  private MwnReport() {}

  /** Mean and sample standard deviation. */
  static double[] meanSd(List<Double> v) {
    double m = v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    double ss = v.stream().mapToDouble(x -> (x - m) * (x - m)).sum();
    return new double[] {m, v.size() > 1 ? Math.sqrt(ss / (v.size() - 1)) : 0};
  }

  static void write(RunFolder folder, List<Map<String, Object>> rows, MwnConfig cfg,
      ExperimentContext ctx, List<String> unitLabels) throws IOException {
    Plots plots = new Plots();
    List<String> methods = ctx.methods();
    // Rows by method and epoch, for means over seeds.
    Map<String, Map<Integer, List<Map<String, Object>>>> byMethod = new LinkedHashMap<>();
    for (Map<String, Object> r : rows) {
      byMethod.computeIfAbsent((String) r.get("method"), k -> new LinkedHashMap<>())
          .computeIfAbsent(((Number) r.get("epoch")).intValue(), k -> new ArrayList<>()).add(r);
    }
    Path testPlot = plots.lineChart(folder.plot("test-accuracy"),
        new Plots.Labels("Test accuracy per epoch (mean over seeds)", "epoch", "test accuracy"),
        meanSeries(byMethod, "test_acc", ""));
    List<Plots.Series> curves = new ArrayList<>();
    curves.addAll(meanSeries(byMethod, "test_acc", " test"));
    curves.addAll(meanSeries(byMethod, "train_acc_observed", " train (noisy labels)"));
    curves.addAll(meanSeries(byMethod, "train_acc_true", " train (true labels)"));
    Path curvePlot = plots.lineChart(folder.plot("learning-curves"),
        new Plots.Labels("Learning curves (mean over seeds)", "epoch", "accuracy"), curves);
    // V(ℓ) and weight histograms from each MWN method's first seed.
    double[] grid = new double[200];
    for (int i = 0; i < grid.length; i++) {
      grid[i] = i * 8.0 / (grid.length - 1);
    }
    List<Plots.Series> vCurves = new ArrayList<>();
    List<String> histPlots = new ArrayList<>();
    long firstSeed = ctx.seeds().get(0);
    for (String m : methods) {
      if (m.equals("plain")) {
        continue;
      }
      Path f = folder.checkpointsDir().resolve("final-s" + firstSeed + "-" + m + ".bin");
      if (!Files.exists(f)) {
        continue;
      }
      MwnExperiment.FinalState fs = MwnExperiment.FinalState.read(f);
      if (!java.util.Arrays.stream(fs.weights()).allMatch(Double::isFinite)
          || !java.util.Arrays.stream(fs.lambda().castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
              .toDoubleVector()).allMatch(Double::isFinite)) {
        continue; // a diverged run (NaN weights) has no weight plots; its metrics show the NaN
      }
      vCurves.add(new Plots.Series(m, grid, MwnProblem.weightFunction(fs.lambda(), grid)));
      List<Double> wc = new ArrayList<>();
      List<Double> wn = new ArrayList<>();
      for (int i = 0; i < fs.weights().length; i++) {
        (fs.clean()[i] ? wc : wn).add(fs.weights()[i]);
      }
      List<Plots.Sample> samples = new ArrayList<>();
      samples.add(new Plots.Sample("clean (" + wc.size() + ")", wc.stream().mapToDouble(Double::doubleValue).toArray()));
      if (!wn.isEmpty()) {
        samples.add(new Plots.Sample("noisy (" + wn.size() + ")", wn.stream().mapToDouble(Double::doubleValue).toArray()));
      }
      Path h = plots.histograms(folder.plot("weights-" + m),
          new Plots.Labels("Final weights V(loss) on training samples, " + m + ", seed " + firstSeed,
              "weight", "samples"), 40, samples);
      histPlots.add(folder.relativize(h));
    }
    Path vPlot = vCurves.isEmpty() ? null : plots.functionPlot(folder.plot("weight-function"),
        new Plots.Labels("Learned weighting function V(loss), seed " + firstSeed, "per-sample loss", "weight"),
        vCurves);

    MarkdownReport.Builder md = MarkdownReport.builder();
    md.heading(1, "Meta-Weight-Net on " + cfg.dataset().displayName());
    md.paragraph(String.format(Locale.ROOT,
        "Noise %s, rate %s; imbalance factor %s; %d train images per class%s; %d clean meta images per class;"
            + " %d epochs; MLP %d-%d-%d-10; weighting %s; seeds %s.",
        cfg.noise().id(), cfg.rate(), cfg.imbalance(), cfg.perClass(),
        cfg.imbalance() > 1 ? " (n_max)" : "", cfg.metaPerClass(), cfg.epochs(), 784, cfg.hidden(),
        cfg.hidden(), cfg.weighting().id(), ctx.seeds()));
    md.heading(2, "Summary (mean ± sd over seeds, last epoch)");
    List<List<?>> table = new ArrayList<>();
    for (String m : methods) {
      Map<Integer, List<Map<String, Object>>> ep = byMethod.get(m);
      if (ep == null) {
        continue;
      }
      List<Map<String, Object>> last = ep.get(cfg.epochs());
      if (last == null) {
        continue;
      }
      // best epoch per seed
      Map<Object, Double> best = new LinkedHashMap<>();
      List<Double> ms = new ArrayList<>();
      for (List<Map<String, Object>> rs : ep.values()) {
        for (Map<String, Object> r : rs) {
          best.merge(r.get("seed"), MwnExperiment.num(r.get("test_acc")), Math::max);
          ms.add(MwnExperiment.num(r.get("ms_per_iter")));
        }
      }
      double[] acc = meanSd(col(last, "test_acc"));
      double[] bal = meanSd(col(last, "test_balanced_acc"));
      table.add(List.of(m, fmt(acc), 100 * meanSd(new ArrayList<>(best.values()))[0], fmt(bal),
          100 * meanSd(col(last, "train_acc_observed"))[0], 100 * meanSd(col(last, "train_acc_true"))[0],
          meanSd(col(last, "weight_clean"))[0], meanSd(col(last, "weight_noisy"))[0],
          meanSd(col(last, "auroc"))[0], meanSd(col(last, "weight_ess"))[0], meanSd(ms)[0]));
    }
    md.table(List.of("method", "test acc %", "best test acc %", "balanced test acc %",
        "train acc on noisy labels %", "train acc on true labels %", "mean weight clean",
        "mean weight noisy", "AUROC V(loss) clean vs noisy", "weight ESS",
        "ms / iteration (mean over epochs)"), table, 2);
    md.paragraph("Training accuracy on the noisy labels far above 1 − (flip rate) means the classifier"
        + " memorised the wrong labels. AUROC is the probability that a clean training sample gets a"
        + " larger weight than a noisy one (0.5 = no separation). Weight ESS = (Σv)²/(nΣv²) over the"
        + " training set: 1 when V weighs every sample alike (plain training in effect), near 0 when"
        + " the weight sits on a few samples.");
    List<String> collapses = collapses(rows, cfg.dataset().numClasses());
    if (!collapses.isEmpty()) {
      md.heading(2, "Warnings: runs that collapsed");
      md.paragraph(String.join("\n", collapses.stream().map(c -> "- " + c).toList()));
    }
    md.heading(2, "Plots");
    md.paragraph("![test accuracy](" + folder.relativize(testPlot) + ")");
    md.paragraph("![learning curves](" + folder.relativize(curvePlot) + ")");
    if (vPlot != null) {
      md.paragraph("![V(loss)](" + folder.relativize(vPlot) + ")");
    }
    for (String h : histPlots) {
      md.paragraph("![weights](" + h + ")");
    }
    md.heading(2, "Per run (last epoch)");
    List<List<?>> perRun = new ArrayList<>();
    for (String label : unitLabels) {
      Map<String, Object> lastRow = null;
      for (Map<String, Object> r : rows) {
        if (label.equals(r.get("run"))) {
          lastRow = r;
        }
      }
      if (lastRow != null) {
        perRun.add(List.of(label, 100 * MwnExperiment.num(lastRow.get("test_acc")),
            100 * MwnExperiment.num(lastRow.get("train_acc_observed")),
            MwnExperiment.num(lastRow.get("auroc")), MwnExperiment.num(lastRow.get("ms_per_iter"))));
      }
    }
    md.table(List.of("run", "test acc %", "train acc on noisy labels %", "AUROC",
        "ms / iteration (last epoch)"), perRun, 2);
    md.paragraph("Files: `metrics.csv`, `metrics.jsonl` (one row per method, seed and epoch),"
        + " `provenance.json` (configuration, seeds, versions, backend, data checksums), `plots/`.");
    md.build().writeTo(folder.reportMd());
  }

  /** ESS fraction below which the weights are said to sit on a few samples. */
  static final double CONCENTRATED = 0.2;

  /**
   * One sentence per run whose last epoch is a collapse: test accuracy at chance (at most 1.5 / C),
   * or V's weights concentrated on under a fifth of the training set (ESS fraction below
   * {@link #CONCENTRATED}), with the epoch from which it stayed there. Meta-Weight-Net can do this
   * without any error being raised (docs/mwn.md, "Long comparisons on θ's own piece"), and a mean
   * over seeds hides which run did it.
   */
  static List<String> collapses(List<Map<String, Object>> rows, int classes) {
    Map<Object, List<Map<String, Object>>> byRun = new LinkedHashMap<>();
    for (Map<String, Object> r : rows) {
      byRun.computeIfAbsent(r.get("run"), k -> new ArrayList<>()).add(r);
    }
    List<String> out = new ArrayList<>();
    byRun.forEach((run, rs) -> {
      Map<String, Object> last = rs.get(rs.size() - 1);
      double acc = MwnExperiment.num(last.get("test_acc"));
      double ess = MwnExperiment.num(last.get("weight_ess"));
      List<String> what = new ArrayList<>();
      if (acc <= 1.5 / classes) {
        what.add(String.format(Locale.ROOT, "test accuracy %.2f%%, chance for %d classes",
            100 * acc, classes));
      }
      if (ess < CONCENTRATED) {
        int since = ((Number) last.get("epoch")).intValue();
        for (int i = rs.size() - 1; i >= 0
            && MwnExperiment.num(rs.get(i).get("weight_ess")) < CONCENTRATED; i--) {
          since = ((Number) rs.get(i).get("epoch")).intValue();
        }
        what.add(String.format(Locale.ROOT, "weight ESS fraction %.3f, below %.1f since epoch %d:"
            + " V's weights sit on a few samples", ess, CONCENTRATED, since));
      }
      if (!what.isEmpty()) {
        out.add(run + " at epoch " + last.get("epoch") + ": " + String.join("; ", what) + ".");
      }
    });
    return out;
  }

  private static String fmt(double[] ms) {
    return String.format(Locale.ROOT, "%.2f ± %.2f", 100 * ms[0], 100 * ms[1]);
  }

  private static List<Double> col(List<Map<String, Object>> rows, String name) {
    List<Double> v = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      double x = MwnExperiment.num(r.get(name));
      if (!Double.isNaN(x)) {
        v.add(x);
      }
    }
    return v;
  }

  private static List<Plots.Series> meanSeries(Map<String, Map<Integer, List<Map<String, Object>>>> byMethod,
      String column, String suffix) {
    List<Plots.Series> out = new ArrayList<>();
    byMethod.forEach((m, ep) -> {
      double[] x = new double[ep.size()];
      double[] y = new double[ep.size()];
      int i = 0;
      for (var e : ep.entrySet()) {
        x[i] = e.getKey();
        y[i] = meanSd(col(e.getValue(), column))[0];
        i++;
      }
      out.add(new Plots.Series(m + suffix, x, y));
    });
    return out;
  }
}
