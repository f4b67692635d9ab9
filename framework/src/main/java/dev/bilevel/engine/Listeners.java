package dev.bilevel.engine;

import dev.bilevel.report.MetricsLog;
import dev.bilevel.report.Progress;
import java.util.LinkedHashMap;
import java.util.Map;

/** Ready-made listeners: a progress bar, and one metrics row per step. */
public final class Listeners {
  private Listeners() {}

  /**
   * A progress bar over {@code totalSteps} steps (throughput and ETA), showing the last inner loss
   * and hypergradient norm. Closes itself after the last step.
   */
  public static TrainingListener progressBar(Progress.Factory factory, String task, long totalSteps) {
    Progress bar = factory.start(task, totalSteps);
    return new TrainingListener() {
      private long seen;

      @Override
      public void onStep(StepEvent e) {
        bar.step();
        bar.setExtraMessage(String.format(java.util.Locale.ROOT, "L_in %.4f  |hg| %.2e",
            e.innerLoss(), e.hypergradientNorm()));
        if (++seen >= totalSteps) {
          bar.close();
        }
      }
    };
  }

  /** Appends one row per step: step, epoch, inner loss, hypergradient norm, timings, diagnostics. */
  public static TrainingListener metrics(MetricsLog log) {
    return new TrainingListener() {
      @Override
      public void onStep(StepEvent e) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", e.step());
        row.put("epoch", e.epoch());
        row.put("estimator", e.estimator());
        row.put("inner_loss", e.innerLoss());
        row.put("hypergradient_norm", e.hypergradientNorm());
        row.put("inner_ms", e.innerNanos() / 1e6);
        row.put("meta_ms", e.metaNanos() / 1e6);
        row.put("outer_loss", e.diagnostics().getOrDefault("outerLoss", Double.NaN));
        log.append(row);
      }
    };
  }
}
