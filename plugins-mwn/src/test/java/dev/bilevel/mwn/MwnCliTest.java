package dev.bilevel.mwn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.cli.BilevelCli;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.experiment.Plugins;
import dev.bilevel.report.MetricsLog;
import dev.bilevel.report.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short runs of the real experiment through the command line, on Fashion-MNIST. */
class MwnCliTest {
  private static final String[] SMALL = {"--per-class", "20", "--meta-per-class", "3", "--test-size",
      "300", "--hidden", "32", "--batch", "50", "--no-progress"};

  private static BilevelCli cli;
  private static ByteArrayOutputStream out;

  @BeforeAll
  static void setUp() {
    out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    cli = new BilevelCli(Plugins.discover(), ps, ps).progress(Progress.Factory.disabled());
  }

  private static int run(String... args) {
    return cli.execute(args);
  }

  private static String[] args(Path dir, String epochs, String methods, String... extra) {
    List<String> a = new ArrayList<>(List.of("run", "mwn", "--out", dir.toString(), "--epochs", epochs,
        "--compare", methods));
    a.addAll(List.of(SMALL));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void listNamesThePluginExperimentAndTheEstimators() {
    out.reset();
    assertThat(run("list")).isZero();
    String s = out.toString(StandardCharsets.UTF_8);
    assertThat(s).contains("mwn", "one-step", "evograd", "plain");
  }

  @Test
  void unknownEstimatorIsRefusedWithTheAvailableOnes(@TempDir Path tmp) {
    out.reset();
    assertThat(run("run", "mwn", "--estimator", "nope", "--out", tmp.resolve("x").toString())).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("Unknown estimator 'nope'", "one-step");
  }

  @Test
  void evoGradPresetsAndOverridesReachTheProvenance(@TempDir Path tmp) throws Exception {
    Path mwn = tmp.resolve("mwn");
    assertThat(run(args(mwn, "1", "evograd", "--evograd-candidates", "3"))).isZero();
    String prov = Files.readString(mwn.resolve("provenance.json")).replaceAll("\\s", "");
    assertThat(prov).contains("\"preset\":\"mwn\"", "\"candidates\":3", "\"sigma\":0.05", "\"perturb\":\"all\"",
        "\"metaWeightDecay\":0.0");
    Path paper = tmp.resolve("paper");
    assertThat(run(args(paper, "1", "evograd", "--evograd", "paper"))).isZero();
    prov = Files.readString(paper.resolve("provenance.json")).replaceAll("\\s", "");
    assertThat(prov).contains("\"preset\":\"paper\"", "\"candidates\":2", "\"sigma\":0.001", "\"perturb\":\"all\"",
        "\"metaWeightDecay\":\"asmeta-weight-decay\"");
    Path head = tmp.resolve("head");
    // The preset before the selection on validation data (docs/mwn.md) is σ = 3e-2 with the rest of mwn.
    assertThat(run(args(head, "1", "evograd", "--evograd-perturb", "head", "--evograd-sigma", "3e-2"))).isZero();
    assertThat(Files.readString(head.resolve("provenance.json")).replaceAll("\\s", ""))
        .contains("\"perturbedGroups\":[\"head\"]", "\"sigma\":0.03", "\"candidates\":4", "\"temperature\":0.05");
    out.reset();
    assertThat(run(args(tmp.resolve("bad"), "1", "evograd", "--evograd-perturb", "body"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--evograd-perturb must be head or all, got 'body'");
  }

  @Test
  void metaOptimizerAndOneStepStepReachTheProvenance(@TempDir Path tmp) throws Exception {
    Path sgd = tmp.resolve("sgd");
    assertThat(run(args(sgd, "1", "one-step", "--meta-optimizer", "sgd", "--meta-lr", "1e-5",
        "--one-step-lr", "0.01", "--one-step-differences", "forward"))).isZero();
    String prov = Files.readString(sgd.resolve("provenance.json")).replaceAll("\\s", "");
    assertThat(prov).contains("\"metaOptimizer\":\"sgd-nesterov0.9\"", "\"metaLr\":1.0E-5", "\"learningRate\":0.01",
        "\"oneStepDifferences\":\"forward\"", "\"mixedProduct\":\"forward\"");
    out.reset();
    assertThat(run(args(tmp.resolve("bad0"), "1", "one-step", "--one-step-differences", "backward"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--one-step-differences must be central or forward, got 'backward'");
    out.reset();
    assertThat(run(args(tmp.resolve("bad"), "1", "one-step", "--meta-optimizer", "rmsprop"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--meta-optimizer must be adam or sgd, got 'rmsprop'");
  }

  @Test
  void aRefusalNoOptionLiftsKeepsTheEstimatorsOwnAdvice() {
    var adam = new Refusal("reverse", "cannot differentiate through the inner optimizer Adam", "Train"
        + " the inner level with Sgd.", Map.of());
    var limit = new Refusal("forward", "carries one tangent per λ coordinate", "Java advice.",
        Map.of("maxLambdaDimension", 301L));
    var unknownSetting = new Refusal("other", "needs a setting this command line lacks", "Set X.",
        Map.of("someSetting", 2));

    assertThat(MwnExperiment.refusalProblems(Map.of("reverse", List.of(adam), "one-step", List.of())))
        .containsExactly("reverse cannot differentiate through the inner optimizer Adam. Train the"
            + " inner level with Sgd.");
    assertThat(MwnExperiment.refusalProblems(Map.of("forward", List.of(limit))))
        .containsExactly("forward carries one tangent per λ coordinate: raise the limit with"
            + " --max-lambda-dimension 301, or choose reverse or drmad");
    assertThat(MwnExperiment.refusalProblems(Map.of("other", List.of(unknownSetting))))
        .containsExactly("other needs a setting this command line lacks. Set X.");
  }

  @Test
  void everyBadOptionIsReportedAtOnceBeforeTheRunFolderIsMade(@TempDir Path tmp) {
    out.reset();
    Path dir = tmp.resolve("bad");
    assertThat(run(args(dir, "-1", "plain,one-step", "--rate", "2", "--meta-optimizer",
        "rmsprop", "--decay-at", "0.5,x", "--evograd-sigma", "none", "--noise", "gauss"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("error: The options and methods of 'mwn'"
        + " have 6 problems:\n"
        + "  1) --noise: unknown noise type 'gauss'; use unif, flip or flip2\n"
        + "  2) --rate must be a number from 0 to 1, got '2'\n"
        + "  3) --epochs must be a whole number of at least 1, got '-1'\n"
        + "  4) --decay-at: must be fractions between 0 and 1, separated by commas (e.g. 0.67,0.83), got"
        + " '0.5,x'\n"
        + "  5) --meta-optimizer must be adam or sgd, got 'rmsprop'\n"
        + "  6) --evograd-sigma must be a number above 0, got 'none'\n"
        + "See: bilevel run mwn --help");
    assertThat(dir).doesNotExist();
  }

  @Test
  void estimatorsCappingDimLambdaBelowVsSizeAreRefusedBeforeTheRunAllAtOnce(@TempDir Path tmp) {
    out.reset();
    assertThat(run(args(tmp.resolve("capped"), "1", "forward,finite-difference,reverse"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("have 2 problems:\n"
        + "  1) forward carries one θ-sized tangent per λ coordinate, and this problem has 301 λ"
        + " coordinates, more than the configured maximum of 32: raise the limit with"
        + " --max-lambda-dimension 301, or choose reverse or drmad\n"
        + "  2) finite-difference replays the window twice per λ coordinate, and this problem has 301 λ"
        + " coordinates, more than the configured maximum of 64: raise the limit with"
        + " --max-lambda-dimension 301, or choose reverse or drmad\n");
    assertThat(tmp.resolve("capped")).doesNotExist();
    out.reset();
    assertThat(run(args(tmp.resolve("low"), "1", "forward", "--max-lambda-dimension", "300"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("forward carries one θ-sized tangent per λ"
        + " coordinate, and this problem has 301 λ coordinates, more than the configured maximum of 300:");
    out.reset();
    assertThat(run(args(tmp.resolve("bad"), "1", "forward", "--max-lambda-dimension", "many"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--max-lambda-dimension must be a whole"
        + " number of at least 1, got 'many'");
  }

  @Test
  void everyRegisteredEstimatorRunsTheExperiment(@TempDir Path tmp) throws Exception {
    // one-step and evograd run in the other tests; here every other registered estimator does.
    List<String> others = new ArrayList<>();
    for (String name : Plugins.injector(Plugins.discover())
        .getInstance(dev.bilevel.estimator.EstimatorRegistry.class).names()) {
      if (!name.equals("one-step") && !name.equals("evograd")) {
        others.add(name);
      }
    }
    assertThat(others).contains("forward", "finite-difference", "reverse", "neumann");
    Path dir = tmp.resolve("all");
    assertThat(run(args(dir, "1", String.join(",", others), "--max-lambda-dimension", "301"))).isZero();
    List<Map<String, Object>> rows = MetricsLog.readRows(dir.resolve("metrics.jsonl"));
    assertThat(rows).extracting(r -> r.get("method")).containsExactlyElementsOf(others);
    for (Map<String, Object> r : rows) {
      assertThat(MwnExperiment.num(r.get("test_acc"))).as("%s test accuracy", r.get("method"))
          .isBetween(0.0, 1.0);
      assertThat(MwnExperiment.num(r.get("inner_loss"))).as("%s inner loss", r.get("method")).isFinite();
    }
    assertThat(Files.readString(dir.resolve("provenance.json")).replaceAll("\\s", ""))
        .contains("\"maxLambdaDimension\":301");
  }

  @Test
  void neumannSettingsReachTheEstimatorAndAreChecked(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("neumann");
    assertThat(run(args(dir, "1", "neumann", "--neumann-series-step", "0.01",
        "--neumann-iterations", "0"))).isZero();
    assertThat(Files.readString(dir.resolve("provenance.json")).replaceAll("\\s", ""))
        .contains("\"seriesStep\":0.01", "\"neumannSeriesStep\":0.01", "\"iterations\":0",
            "\"neumannIterations\":0");
    out.reset();
    assertThat(run(args(tmp.resolve("bad"), "1", "neumann", "--neumann-series-step", "0"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--neumann-series-step must be a number above 0, got '0'");
    out.reset();
    assertThat(run(args(tmp.resolve("bad2"), "1", "neumann", "--neumann-iterations", "-1"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--neumann-iterations must be a whole number of at least 0, got '-1'");
  }

  @Test
  void shortRunWritesEveryArtifact(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("run");
    assertThat(run(args(dir, "2", "plain,one-step,evograd"))).isZero();
    for (String f : List.of("metrics.csv", "metrics.jsonl", "provenance.json", "report.md",
        "plots/test-accuracy.png", "plots/learning-curves.png", "plots/weight-function.png",
        "plots/weights-one-step.png", "plots/weights-evograd.png", "checkpoints/state.bin")) {
      assertThat(dir.resolve(f)).as(f).isNotEmptyFile();
    }
    List<Map<String, Object>> rows = MetricsLog.readRows(dir.resolve("metrics.jsonl"));
    assertThat(rows).hasSize(6);
    assertThat(rows.get(0)).containsKeys("test_acc", "train_acc_observed", "train_acc_true",
        "weight_clean", "weight_noisy", "auroc", "weight_ess", "weight_loss_corr", "ms_per_iter");
    for (Map<String, Object> r : rows) {
      if (!r.get("method").equals("plain")) {
        double ess = MwnExperiment.num(r.get("weight_ess"));
        double corr = MwnExperiment.num(r.get("weight_loss_corr"));
        assertThat(ess).as("effective sample fraction").isBetween(0.0, 1.0 + 1e-9);
        assertThat(corr).as("weight-loss correlation").isBetween(-1.0 - 1e-9, 1.0 + 1e-9);
      }
    }
    String prov = Files.readString(dir.resolve("provenance.json"));
    assertThat(prov).contains("\"seeds\"", "\"backend\"", "sha256:", "\"rate\"", "one-step");
    String report = Files.readString(dir.resolve("report.md"));
    assertThat(report).contains("ms / iteration (mean over epochs)", "ms / iteration (last epoch)", "weight ESS",
        "plain", "one-step", "evograd", "plots/test-accuracy.png");
  }

  @Test
  void validationSplitIsLoggedOnlyWhenAskedForAndResumes(@TempDir Path tmp) throws Exception {
    Path none = tmp.resolve("none");
    assertThat(run(args(none, "1", "plain"))).isZero();
    assertThat(MetricsLog.readRows(none.resolve("metrics.jsonl")).get(0)).doesNotContainKeys("val_acc",
        "val_balanced_acc");
    assertThat(Files.readString(none.resolve("provenance.json"))).doesNotContain("valPerClass");
    Path whole = tmp.resolve("whole");
    Path killed = tmp.resolve("killed");
    String[] val = {"--val-per-class", "5", "--evograd-meta-lr", "2e-3"};
    assertThat(run(args(whole, "2", "plain,evograd", val))).isZero();
    String prov = Files.readString(whole.resolve("provenance.json")).replaceAll("\\s", "");
    assertThat(prov).contains("\"valPerClass\":5", "\"metaLr\":0.002");
    assertThat(run(args(killed, "2", "plain,evograd", concat(val, "--stop-after", "3")))).isEqualTo(3);
    assertThat(run(args(killed, "2", "plain,evograd", concat(val, "--resume")))).isZero();
    List<Map<String, Object>> a = MetricsLog.readRows(whole.resolve("metrics.jsonl"));
    List<Map<String, Object>> b = MetricsLog.readRows(killed.resolve("metrics.jsonl"));
    assertThat(b).hasSize(4).hasSize(a.size());
    for (int i = 0; i < a.size(); i++) {
      Map<String, Object> ra = new java.util.LinkedHashMap<>(a.get(i));
      Map<String, Object> rb = new java.util.LinkedHashMap<>(b.get(i));
      ra.remove("ms_per_iter");
      rb.remove("ms_per_iter");
      assertThat(rb).as("row %d", i).isEqualTo(ra);
      double acc = MwnExperiment.num(ra.get("val_acc"));
      assertThat(acc).as("val_acc of row %d", i).isBetween(0.0, 1.0);
      // 50 images, 5 per class: both accuracies are multiples of 1/50, and equal since the set is balanced.
      assertThat(acc * 50).isCloseTo(Math.rint(acc * 50), org.assertj.core.data.Offset.offset(1e-9));
      assertThat(MwnExperiment.num(ra.get("val_balanced_acc"))).isCloseTo(acc, org.assertj.core.data.Offset.offset(1e-12));
    }
    out.reset();
    assertThat(run(args(tmp.resolve("bad"), "1", "plain", "--val-per-class", "-1"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--val-per-class must be a whole number of at least 0, got '-1'");
    out.reset();
    assertThat(run(args(tmp.resolve("bad2"), "1", "evograd", "--evograd-meta-lr", "0"))).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--evograd-meta-lr must be a number above 0, got '0'");
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void resumeAfterAKillGivesTheIdenticalResult(@TempDir Path tmp) throws Exception {
    Path whole = tmp.resolve("whole");
    Path killed = tmp.resolve("killed");
    assertThat(run(args(whole, "3", "plain,one-step,evograd"))).isZero();
    // Stop (as if killed) in the middle of the second method, then again in the third.
    assertThat(run(args(killed, "3", "plain,one-step,evograd", "--stop-after", "4"))).isEqualTo(3);
    assertThat(run(args(killed, "3", "plain,one-step,evograd", "--resume", "--stop-after", "3"))).isEqualTo(3);
    assertThat(run(args(killed, "3", "plain,one-step,evograd", "--resume"))).isZero();
    List<Map<String, Object>> a = MetricsLog.readRows(whole.resolve("metrics.jsonl"));
    List<Map<String, Object>> b = MetricsLog.readRows(killed.resolve("metrics.jsonl"));
    assertThat(b).hasSize(a.size());
    for (int i = 0; i < a.size(); i++) {
      Map<String, Object> ra = new java.util.LinkedHashMap<>(a.get(i));
      Map<String, Object> rb = new java.util.LinkedHashMap<>(b.get(i));
      ra.remove("ms_per_iter"); // wall-clock time is the one thing that may differ
      rb.remove("ms_per_iter");
      assertThat(rb).as("row %d", i).isEqualTo(ra);
    }
    for (String m : List.of("plain", "one-step", "evograd")) {
      String f = "checkpoints/final-s1-" + m + ".bin"; // λ and per-sample losses and weights
      assertThat(Files.readAllBytes(killed.resolve(f))).as(f).isEqualTo(Files.readAllBytes(whole.resolve(f)));
    }
  }
}
