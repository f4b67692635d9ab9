package dev.bilevel.mwn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.cli.BilevelCli;
import dev.bilevel.experiment.Plugins;
import dev.bilevel.report.MetricsLog;
import dev.bilevel.report.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The claims on the default regime, 3 seeds each: {@code mvn -o -Plong test -pl plugins-mwn
 * -Dtest=MwnLongComparisonTest}. Each (setting, seed) is one run folder {@code <dir>/<setting>/s<seed>}
 * (default {@code runs/mwn-long} at the repository root, {@code -Dmwn.long.dir=...}); a finished
 * folder is only read, a partial one is resumed, a missing one is run. {@code
 * plugins-mwn/scripts/long-comparison.sh} runs the same folders with the same options (keep the two in
 * step), so running the script first leaves this test only the checking. About 6 minutes per
 * (setting, seed) on the 2-core machine. {@code -Dmwn.long.extra} adds options to every setting, as the
 * script's {@code EXTRA_OPTS} does.
 */
@Tag("long")
class MwnLongComparisonTest {
  static final String METHODS = "plain,one-step,evograd";
  /** Options of each setting, as in long-comparison.sh. */
  static final Map<String, List<String>> SETTINGS = Map.of(
      "unif40", List.of("--noise", "unif", "--rate", "0.4"),
      "flip40", List.of("--noise", "flip", "--rate", "0.4"),
      "clean", List.of("--noise", "unif", "--rate", "0"),
      "lt100", List.of("--noise", "unif", "--rate", "0", "--imbalance", "100", "--per-class", "5000",
          "--meta-optimizer", "sgd", "--meta-lr", "1e-5", "--meta-weight-decay", "5e-4",
          "--evograd-meta-lr", "1e-2"));

  private static Path dir() {
    String d = System.getProperty("mwn.long.dir");
    // Surefire runs in the module directory; the script's default is relative to the repository root.
    return d != null && !d.isBlank() ? Path.of(d) : Path.of("..", "runs", "mwn-long");
  }

  /** Options added to every setting, as the script's EXTRA_OPTS: {@code -Dmwn.long.extra="--meta-per-class 100"}. */
  private static List<String> extraOptions() {
    String e = System.getProperty("mwn.long.extra", "").trim();
    return e.isEmpty() ? List.of() : List.of(e.split("\\s+"));
  }

  private static List<Long> seeds() {
    List<Long> s = new ArrayList<>();
    for (String p : System.getProperty("mwn.long.seeds", "1,2,3").split(",")) {
      s.add(Long.parseLong(p.trim()));
    }
    return s;
  }

  /** Every metrics row of every seed, running or resuming the folders as needed: seed → rows in epoch order. */
  static Map<Long, List<Map<String, Object>>> allRows(String setting) throws Exception {
    BilevelCli cli = new BilevelCli(Plugins.discover(), System.out, System.err)
        .progress(Progress.Factory.disabled());
    Map<Long, List<Map<String, Object>>> bySeed = new LinkedHashMap<>();
    for (long seed : seeds()) {
      Path out = dir().resolve(setting).resolve("s" + seed);
      List<String> args = new ArrayList<>(List.of("run", "mwn"));
      args.addAll(SETTINGS.get(setting));
      args.addAll(extraOptions());
      args.addAll(List.of("--compare", METHODS, "--seeds", Long.toString(seed), "--out", out.toString(),
          "--no-progress"));
      if (Files.exists(out.resolve("provenance.json"))) {
        args.add("--resume");
      }
      assertThat(cli.execute(args.toArray(String[]::new))).as("exit code of %s", args).isZero();
      bySeed.put(seed, MetricsLog.readRows(out.resolve("metrics.jsonl")));
    }
    return bySeed;
  }

  /** The last-epoch row of every method and seed: method → rows (one per seed). */
  static Map<String, List<Map<String, Object>>> finalRows(String setting) throws Exception {
    Map<String, List<Map<String, Object>>> byMethod = new LinkedHashMap<>();
    for (List<Map<String, Object>> rows : allRows(setting).values()) {
      Map<String, Map<String, Object>> last = new LinkedHashMap<>();
      for (Map<String, Object> r : rows) {
        last.put((String) r.get("method"), r); // rows are in epoch order
      }
      last.forEach((m, r) -> byMethod.computeIfAbsent(m, k -> new ArrayList<>()).add(r));
    }
    print(setting, byMethod);
    return byMethod;
  }

  static double mean(List<Map<String, Object>> rows, String column) {
    return rows.stream().mapToDouble(r -> MwnExperiment.num(r.get(column))).average().orElse(Double.NaN);
  }

  private static void print(String setting, Map<String, List<Map<String, Object>>> byMethod) {
    System.out.printf(Locale.ROOT, "%n%s, seeds %s (final epoch)%n", setting, seeds());
    System.out.println("| method | test acc % per seed | mean | balanced acc % (mean) | AUROC (mean) |");
    System.out.println("| --- | --- | ---: | ---: | ---: |");
    byMethod.forEach((m, rows) -> System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.3f |%n", m,
        rows.stream().map(r -> String.format(Locale.ROOT, "%.2f", 100 * MwnExperiment.num(r.get("test_acc"))))
            .toList(),
        100 * mean(rows, "test_acc"), 100 * mean(rows, "test_balanced_acc"), mean(rows, "auroc")));
  }

  /** Mean final test accuracy of a method minus plain's, in points. */
  static double gain(Map<String, List<Map<String, Object>>> rows, String method, String column) {
    return 100 * (mean(rows.get(method), column) - mean(rows.get("plain"), column));
  }

  /**
   * The regime the method exists for, on every seed: plain training's test accuracy peaks and then
   * falls by at least 3 points, and its accuracy on the noisy training labels ends at least 10
   * points above 1 − (flip rate), i.e. it has fitted corrupted labels.
   */
  @ParameterizedTest(name = "{0}: flip rate {1}")
  @CsvSource({"unif40, 0.36", "flip40, 0.40"})
  void plainTrainingMemorisesTheNoise(String setting, double flipRate) throws Exception {
    SoftAssertions s = new SoftAssertions();
    allRows(setting).forEach((seed, rows) -> {
      List<Map<String, Object>> plain = rows.stream().filter(r -> "plain".equals(r.get("method"))).toList();
      double best = plain.stream().mapToDouble(r -> MwnExperiment.num(r.get("test_acc"))).max().orElseThrow();
      Map<String, Object> last = plain.get(plain.size() - 1);
      double fall = 100 * (best - MwnExperiment.num(last.get("test_acc")));
      double noisyFit = 100 * MwnExperiment.num(last.get("train_acc_observed"));
      System.out.printf(Locale.ROOT, "%s seed %d, plain: best test %.2f, fall %.2f points; noisy-label"
          + " training accuracy %.2f against 1 - flip rate %.0f%n", setting, seed, 100 * best, fall,
          noisyFit, 100 * (1 - flipRate));
      s.assertThat(fall).as("%s seed %d: fall of plain's test accuracy from its best, points", setting, seed)
          .isGreaterThanOrEqualTo(3);
      s.assertThat(noisyFit).as("%s seed %d: plain's final accuracy on the noisy labels, %%", setting, seed)
          .isGreaterThanOrEqualTo(100 * (1 - flipRate) + 10);
    });
    s.assertAll();
  }

  @Test
  void uniformNoise40BothEstimatorsBeatPlainByThreePointsAndOneStepSeparatesTheNoise() throws Exception {
    var rows = finalRows("unif40");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(gain(rows, "one-step", "test_acc")).as("one-step − plain, points").isGreaterThanOrEqualTo(3);
    s.assertThat(gain(rows, "evograd", "test_acc")).as("evograd − plain, points").isGreaterThanOrEqualTo(3);
    s.assertThat(mean(rows.get("one-step"), "auroc")).as("one-step AUROC").isGreaterThanOrEqualTo(0.85);
    s.assertAll();
  }

  @Test
  void flipNoise40BothEstimatorsBeatPlainByThreePoints() throws Exception {
    var rows = finalRows("flip40");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(gain(rows, "one-step", "test_acc")).as("one-step − plain, points").isGreaterThanOrEqualTo(3);
    s.assertThat(gain(rows, "evograd", "test_acc")).as("evograd − plain, points").isGreaterThanOrEqualTo(3);
    s.assertAll();
  }

  @Test
  void withoutNoiseBothEstimatorsStayWithinOneAndAHalfPointsOfPlain() throws Exception {
    var rows = finalRows("clean");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(gain(rows, "one-step", "test_acc")).as("one-step − plain, points").isGreaterThanOrEqualTo(-1.5);
    s.assertThat(gain(rows, "evograd", "test_acc")).as("evograd − plain, points").isGreaterThanOrEqualTo(-1.5);
    s.assertAll();
  }

  @Test
  void longTailed100BothEstimatorsBeatPlainOnBalancedTestAccuracy() throws Exception {
    var rows = finalRows("lt100");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(gain(rows, "one-step", "test_balanced_acc")).as("one-step − plain, balanced, points")
        .isGreaterThan(0);
    s.assertThat(gain(rows, "evograd", "test_balanced_acc")).as("evograd − plain, balanced, points")
        .isGreaterThan(0);
    s.assertAll();
  }
}
