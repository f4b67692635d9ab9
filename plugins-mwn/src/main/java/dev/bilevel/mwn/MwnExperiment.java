package dev.bilevel.mwn;

import dev.bilevel.backend.Backend;
import dev.bilevel.data.Batch;
import dev.bilevel.data.BatchCursor;
import dev.bilevel.data.Batches;
import dev.bilevel.data.DatasetLocator;
import dev.bilevel.data.LabelledImages;
import dev.bilevel.data.Split;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.engine.BilevelTrainer;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.finitedifference.FiniteDifference;
import dev.bilevel.estimator.finitedifference.FiniteDifferenceConfig;
import dev.bilevel.estimator.forward.Forward;
import dev.bilevel.estimator.forward.ForwardConfig;
import dev.bilevel.estimator.neumann.Neumann;
import dev.bilevel.estimator.neumann.NeumannConfig;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.experiment.Experiment;
import dev.bilevel.experiment.ExperimentContext;
import dev.bilevel.experiment.ExperimentOption;
import dev.bilevel.experiment.OptionReader;
import dev.bilevel.experiment.RunInterrupted;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.report.MetricsLog;
import dev.bilevel.report.Progress;
import dev.bilevel.report.Provenance;
import dev.bilevel.report.RunFolder;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Meta-Weight-Net on a noisy or long-tailed subset of Fashion-MNIST (or MNIST), comparing plain
 * training with Meta-Weight-Net under any registered estimator. Every (seed, method) pair is one
 * unit; units run in order and each epoch ends with a metrics row and an atomic checkpoint.
 */
public final class MwnExperiment implements Experiment {
  static final String NAME = "mwn";

  private final BilevelTrainer trainer;
  private final Backend backend;

  @jakarta.inject.Inject
  public MwnExperiment(BilevelTrainer trainer, Backend backend) {
    this.trainer = trainer;
    this.backend = backend;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Meta-Weight-Net (Shu et al. 2019): learned sample weights under label noise or class imbalance";
  }

  @Override
  public List<String> defaultMethods() {
    return List.of("plain", "one-step", "evograd");
  }

  @Override
  public List<ExperimentOption> options() {
    return MwnConfig.OPTIONS;
  }

  private record Unit(long seed, String method) {
    String label() {
      return "s" + seed + "-" + method;
    }
  }

  @Override
  public void run(ExperimentContext ctx) throws Exception {
    MwnConfig cfg = MwnConfig.of(ctx);
    RunFolder folder = ctx.folder();
    OptionReader.throwIfAny(NAME, refusalProblems(refusals(ctx.methods(), cfg)));
    Map<String, Map<String, Object>> estimators = new LinkedHashMap<>();
    for (String m : ctx.methods()) {
      if (!m.equals("plain")) {
        estimators.put(m, estimator(m, cfg).describe());
      }
    }
    DatasetLocator locator = cfg.dataDir().isEmpty() ? DatasetLocator.fromEnvironment()
        : DatasetLocator.inDirectory(Path.of(cfg.dataDir()));
    LabelledImages fullTrain = locator.load(cfg.dataset(), Split.TRAIN);
    LabelledImages fullTest = locator.load(cfg.dataset(), Split.TEST);
    int[] firstTest = new int[Math.min(cfg.testSize(), fullTest.size())];
    java.util.Arrays.setAll(firstTest, i -> i);
    LabelledImages test = fullTest.subset(firstTest);

    Map<String, Object> config = new LinkedHashMap<>();
    config.put("experiment", NAME);
    config.put("options", cfg.describe());
    config.put("methods", ctx.methods());
    config.put("seeds", ctx.seeds());
    config.put("estimators", estimators);

    Checkpoint cp = null;
    Path cpFile = folder.checkpointsDir().resolve("state.bin");
    if (ctx.resume() && Files.exists(cpFile)) {
      cp = Checkpoint.read(cpFile);
      Provenance before = Provenance.readFrom(folder.provenanceJson());
      Provenance now = provenance(ctx, cfg, config, locator);
      if (!before.configuration().equals(now.configuration())) {
        throw new IllegalArgumentException("--resume with other settings than the run in " + folder.root()
            + ": it was " + before.configuration() + ", now " + now.configuration());
      }
      ctx.out().printf("Resuming: %d unit(s) done, %d epoch(s) into the next, %d metric rows kept%n",
          cp.unitsDone(), cp.epochsDone(), cp.metricRows());
    } else {
      provenance(ctx, cfg, config, locator).writeTo(folder.provenanceJson());
    }

    List<Unit> units = new ArrayList<>();
    for (long seed : ctx.seeds()) {
      for (String m : ctx.methods()) {
        units.add(new Unit(seed, m));
      }
    }
    int epochsThisProcess = 0;
    try (MetricsLog log = cp == null ? (ctx.resume() ? MetricsLog.resume(folder, 0) : MetricsLog.create(folder))
        : MetricsLog.resume(folder, cp.metricRows())) {
      Map<Long, MwnData> dataBySeed = new LinkedHashMap<>();
      for (int u = cp == null ? 0 : cp.unitsDone(); u < units.size(); u++) {
        Unit unit = units.get(u);
        MwnData data = dataBySeed.computeIfAbsent(unit.seed, s -> MwnData.prepare(fullTrain, test,
            cfg.metaPerClass(), cfg.valPerClass(), cfg.perClass(), cfg.imbalance(), cfg.noise(), cfg.rate(), s));
        ctx.out().printf("[%s] %d train (%.1f%% labels changed), %d meta, %s%d test%n", unit.label(),
            data.train().size(), 100 * data.noise().empiricalFlipRate(), data.meta().size(),
            data.val() == null ? "" : data.val().size() + " validation, ", test.size());
        BilevelProblem problem = problem(unit.method, cfg, fullTrain.featureSize(), fullTrain.numClasses());
        MethodRun run = unit.method.equals("plain") ? MethodRun.plain(backend, problem, unit.seed)
            : MethodRun.bilevel(trainer, problem, unit.seed,
                estimator(unit.method, cfg));
        int startEpoch = 0;
        if (cp != null && u == cp.unitsDone() && cp.state() != null) {
          run.restore(cp.state());
          startEpoch = cp.epochsDone();
        }
        Batches innerBatches = Batches.of(data.train(), cfg.batch(), unit.seed * 7919 + 1);
        Batches metaBatches = Batches.of(data.meta(), Math.min(cfg.batch(), data.meta().size()), unit.seed * 7919 + 2);
        int perEpoch = innerBatches.batchesPerEpoch();
        long metaDone = run.metaSteps();
        BatchCursor metaCursor = metaBatches.cursor((int) (metaDone / metaBatches.batchesPerEpoch()),
            (int) (metaDone % metaBatches.batchesPerEpoch()));
        try (Progress bar = ctx.progress().start(unit.label(), (long) cfg.epochs() * perEpoch)) {
          bar.stepBy((long) startEpoch * perEpoch);
          for (int e = startEpoch; e < cfg.epochs(); e++) {
            run.setEpoch(e);
            long t0 = System.nanoTime();
            double lossSum = 0;
            int n = 0;
            for (Batch b : innerBatches.epoch(e)) {
              lossSum += run.step(b, metaCursor::next);
              n++;
              bar.step();
            }
            double msPerIter = (System.nanoTime() - t0) / 1e6 / n;
            Map<String, Object> row = evaluate(run, data, test, cfg, unit, e, lossSum / n, msPerIter);
            log.append(row);
            bar.setExtraMessage(String.format(Locale.ROOT, "test %.3f", (Double) row.get("test_acc")));
            boolean last = e == cfg.epochs() - 1;
            if (last) {
              writeFinal(folder, unit, run, data, cfg);
            }
            new Checkpoint(last ? u + 1 : u, last ? 0 : e + 1, log.rowCount(), last ? null : run.snapshot())
                .write(cpFile);
            epochsThisProcess++;
            if (ctx.stopAfterEpochs().isPresent() && epochsThisProcess >= ctx.stopAfterEpochs().getAsInt()
                && !(last && u == units.size() - 1)) {
              throw new RunInterrupted("Stopped after " + epochsThisProcess
                  + " epoch(s) as asked (--stop-after); continue with --resume --out " + folder.root());
            }
          }
        }
        ctx.out().println(summaryLine(unit, log));
      }
      MwnReport.write(folder, log.rows(), cfg, ctx, units.stream().map(Unit::label).toList());
      for (String c : MwnReport.collapses(log.rows(), cfg.dataset().numClasses())) {
        ctx.out().println("Warning: " + c);
      }
    }
    ctx.out().println("Report: " + folder.reportMd());
  }

  /**
   * The estimator of a method: the registry's, unless this plugin's options configure it (EvoGrad
   * always, by its preset; the others only when an option departs from the estimator's default).
   */
  private HypergradientEstimator estimator(String method, MwnConfig cfg) {
    boolean limit = cfg.maxLambdaDimension() > 0;
    return switch (method) {
      case EvoGrad.NAME -> new EvoGrad(cfg.evograd().config());
      case OneStep.NAME -> cfg.oneStep().equals(OneStepConfig.defaults()) ? trainer.registry().get(method)
          : new OneStep(cfg.oneStep());
      case Neumann.NAME -> cfg.neumannConfig().equals(NeumannConfig.defaults())
          ? trainer.registry().get(method) : new Neumann(cfg.neumannConfig());
      case Forward.NAME -> limit
          ? new Forward(ForwardConfig.defaults().maxLambdaDimension(cfg.maxLambdaDimension()))
          : trainer.registry().get(method);
      case FiniteDifference.NAME -> limit ? new FiniteDifference(
          FiniteDifferenceConfig.defaults().maxLambdaDimension(cfg.maxLambdaDimension()))
          : trainer.registry().get(method);
      default -> trainer.registry().get(method);
    };
  }

  /** The problem a method trains: V's optimiser as configured for it; plain weights uniformly. */
  private static BilevelProblem problem(String method, MwnConfig cfg, int features, int classes) {
    return MwnProblem.build(features, classes, cfg.hidden(),
        method.equals("plain") ? Weighting.UNIFORM : cfg.weighting(), cfg.lr(), cfg.momentum(),
        cfg.weightDecay(), cfg.schedule(), cfg.metaOptimizer(method));
  }

  /** This experiment's option for an estimator setting that a {@link Refusal} names. */
  private static final Map<String, String> OPTION_FOR_SETTING =
      Map.of("maxLambdaDimension", "--max-lambda-dimension");

  /**
   * One problem per refusal of a method's estimator, with this command line's option where one
   * lifts it (the estimators' own advice names their Java configuration).
   */
  static List<String> refusalProblems(Map<String, List<Refusal>> refusals) {
    List<String> problems = new ArrayList<>();
    refusals.forEach((method, rs) -> rs.forEach(r -> {
      List<String> options = new ArrayList<>();
      for (var setting : r.settings().entrySet()) {
        String option = OPTION_FOR_SETTING.get(setting.getKey());
        if (option == null) {
          options.clear();
          break;
        }
        options.add(option + " " + setting.getValue());
      }
      problems.add(method + " " + r.reason() + (options.isEmpty() ? ". " + r.remedy()
          : ": raise the limit with " + String.join(" ", options) + ", or choose reverse or drmad"));
    }));
    return problems;
  }

  /** Every method's refusals of the problem it would train. */
  private Map<String, List<Refusal>> refusals(List<String> methods, MwnConfig cfg) {
    Map<String, List<Refusal>> refusals = new LinkedHashMap<>();
    for (String m : methods) {
      if (!m.equals("plain")) {
        refusals.put(m, estimator(m, cfg).refusals(problem(m, cfg, cfg.dataset().shape().size(),
            cfg.dataset().numClasses())));
      }
    }
    return refusals;
  }

  /** The options' problems, or else the estimators' refusals: all of them, before any folder or data. */
  @Override
  public List<String> check(Map<String, String> options, List<String> methods) {
    OptionReader r = new OptionReader(options);
    MwnConfig cfg = MwnConfig.read(r);
    return cfg == null ? r.problems() : refusalProblems(refusals(methods, cfg));
  }

  private Provenance provenance(ExperimentContext ctx, MwnConfig cfg, Map<String, Object> config,
      DatasetLocator locator) {
    Provenance.Builder b = Provenance.builder(NAME).configuration(config).startTime(Instant.now())
        .backend(backend.info().asMap()).version("bilevel-plugins-mwn", "0.1.0-SNAPSHOT")
        .gitCommitOf(Path.of("").toAbsolutePath());
    for (long s : ctx.seeds()) {
      b.seed("seed-" + s + " (data, noise, init, batches)", s);
    }
    for (Split split : List.of(Split.TRAIN, Split.TEST)) {
      locator.checksums(cfg.dataset(), split).forEach((file, sum) -> b.dataChecksum(file, "sha256:" + sum));
    }
    return b.build();
  }

  private static String summaryLine(Unit unit, MetricsLog log) throws IOException {
    List<Map<String, Object>> rows = log.rows();
    Map<String, Object> last = rows.get(rows.size() - 1);
    return String.format(Locale.ROOT,
        "[%s] final test acc %.4f, noisy-label train acc %.4f, AUROC %s, %.1f ms/iter", unit.label(),
        num(last.get("test_acc")), num(last.get("train_acc_observed")), last.get("auroc"),
        num(last.get("ms_per_iter")));
  }

  static double num(Object o) {
    return o instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** Per-sample outputs of the inner objective on a whole data set, in data-set order. */
  static Map<String, double[]> outputs(BilevelOracle oracle, INDArray theta, INDArray lambda,
      LabelledImages data, String... names) {
    Batches b = Batches.of(data, 2000, 0).shuffle(false);
    Map<String, List<double[]>> parts = new LinkedHashMap<>();
    for (Batch batch : b.epoch(0)) {
      Map<String, INDArray> out = oracle.outputs(Level.INNER, theta, lambda, batch, names);
      for (String n : names) {
        INDArray a = out.get(n).castTo(DataType.DOUBLE);
        parts.computeIfAbsent(n, k -> new ArrayList<>()).add(a.reshape(a.length()).toDoubleVector());
      }
    }
    Map<String, double[]> result = new LinkedHashMap<>();
    parts.forEach((n, list) -> result.put(n, list.stream().flatMapToDouble(java.util.Arrays::stream).toArray()));
    return result;
  }

  static int[] argmax(double[] logits, int classes) {
    int[] p = new int[logits.length / classes];
    for (int i = 0; i < p.length; i++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (logits[i * classes + c] > logits[i * classes + best]) {
          best = c;
        }
      }
      p[i] = best;
    }
    return p;
  }

  /** {accuracy, balanced accuracy (mean of the per-class accuracies)} of the classifier on a clean set. */
  private static double[] accuracy(MethodRun run, INDArray theta, INDArray lambda, LabelledImages set) {
    int c = set.numClasses();
    int[] pred = argmax(outputs(run.oracle(), theta, lambda, set, "logits").get("logits"), c);
    int[] labels = set.labels();
    int correct = 0;
    int[] perClass = new int[c];
    int[] perClassOk = new int[c];
    for (int i = 0; i < pred.length; i++) {
      perClass[labels[i]]++;
      if (pred[i] == labels[i]) {
        correct++;
        perClassOk[labels[i]]++;
      }
    }
    double balanced = 0;
    for (int k = 0; k < c; k++) {
      balanced += perClass[k] == 0 ? 0 : (double) perClassOk[k] / perClass[k] / c;
    }
    return new double[] {(double) correct / pred.length, balanced};
  }

  private Map<String, Object> evaluate(MethodRun run, MwnData data, LabelledImages test, MwnConfig cfg,
      Unit unit, int epoch, double meanLoss, double msPerIter) {
    INDArray theta = run.theta();
    INDArray lambda = run.lambda();
    int c = test.numClasses();
    double[] testAcc = accuracy(run, theta, lambda, test);
    double[] valAcc = data.val() == null ? null : accuracy(run, theta, lambda, data.val());
    Map<String, double[]> tr = outputs(run.oracle(), theta, lambda, data.train(), "logits", "weights", "losses");
    int[] pred = argmax(tr.get("logits"), c);
    double[] w = tr.get("weights");
    double[] losses = tr.get("losses");
    int[] observed = data.noise().labels();
    int[] clean = data.noise().clean();
    boolean[] isClean = new boolean[pred.length];
    int okTrue = 0;
    int okObserved = 0;
    int nNoisy = 0;
    int memorised = 0;
    double wClean = 0;
    double wNoisy = 0;
    for (int i = 0; i < pred.length; i++) {
      isClean[i] = observed[i] == clean[i];
      okTrue += pred[i] == clean[i] ? 1 : 0;
      okObserved += pred[i] == observed[i] ? 1 : 0;
      if (isClean[i]) {
        wClean += w[i];
      } else {
        nNoisy++;
        wNoisy += w[i];
        memorised += pred[i] == observed[i] ? 1 : 0;
      }
    }
    int nClean = pred.length - nNoisy;
    boolean plain = unit.method.equals("plain");
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("run", unit.label());
    row.put("method", unit.method);
    row.put("seed", unit.seed);
    row.put("epoch", epoch + 1);
    row.put("test_acc", testAcc[0]);
    row.put("test_balanced_acc", testAcc[1]);
    if (valAcc != null) { // only with --val-per-class, so that the columns of earlier runs are unchanged
      row.put("val_acc", valAcc[0]);
      row.put("val_balanced_acc", valAcc[1]);
    }
    row.put("train_acc_true", (double) okTrue / pred.length);
    row.put("train_acc_observed", (double) okObserved / pred.length);
    row.put("noisy_memorised", nNoisy == 0 ? Double.NaN : (double) memorised / nNoisy);
    row.put("weight_clean", plain || nClean == 0 ? Double.NaN : wClean / nClean);
    row.put("weight_noisy", plain || nNoisy == 0 ? Double.NaN : wNoisy / nNoisy);
    row.put("auroc", plain ? Double.NaN : Auroc.of(w, isClean));
    row.put("weight_ess", plain ? Double.NaN : effectiveSampleFraction(w));
    row.put("weight_loss_corr", plain ? Double.NaN : correlation(w, losses));
    row.put("inner_loss", meanLoss);
    row.put("lr", cfg.schedule().valueAt(0, epoch));
    row.put("ms_per_iter", msPerIter);
    return row;
  }

  /**
   * (Σw)² / (n Σw²): the fraction of the samples that carry the normalised weights w_i/Σw (1 for
   * uniform weights, 1/n when one sample has them all); NaN if a weight is not finite or all are 0.
   */
  static double effectiveSampleFraction(double[] w) {
    double s = 0;
    double s2 = 0;
    for (double x : w) {
      s += x;
      s2 += x * x;
    }
    return Double.isFinite(s2) && s2 > 0 ? s * s / (w.length * s2) : Double.NaN;
  }

  /** Pearson correlation of weight and loss over the training set: negative when V decreases in ℓ. */
  static double correlation(double[] a, double[] b) {
    int n = a.length;
    double ma = java.util.Arrays.stream(a).average().orElse(Double.NaN);
    double mb = java.util.Arrays.stream(b).average().orElse(Double.NaN);
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < n; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Double.NaN;
  }

  /** Final λ and per-sample weights of a unit, for the report's plots. */
  private void writeFinal(RunFolder folder, Unit unit, MethodRun run, MwnData data, MwnConfig cfg) throws IOException {
    Map<String, double[]> tr = outputs(run.oracle(), run.theta(), run.lambda(), data.train(), "weights", "losses");
    boolean[] clean = new boolean[data.train().size()];
    for (int i = 0; i < clean.length; i++) {
      clean[i] = !data.noise().corrupted(i);
    }
    new FinalState(run.lambda(), tr.get("weights"), tr.get("losses"), clean)
        .write(folder.checkpointsDir().resolve("final-" + unit.label() + ".bin"));
  }

  /** What the report needs from a finished unit. */
  record FinalState(INDArray lambda, double[] weights, double[] losses, boolean[] clean) {
    void write(Path file) throws IOException {
      dev.bilevel.report.AtomicFiles.write(file, raw -> {
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw));
        Checkpoint.writeArray(out, lambda);
        out.writeInt(weights.length);
        for (int i = 0; i < weights.length; i++) {
          out.writeDouble(weights[i]);
          out.writeDouble(losses[i]);
          out.writeBoolean(clean[i]);
        }
        out.flush();
      });
    }

    static FinalState read(Path file) throws IOException {
      try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
        INDArray lambda = Checkpoint.readArray(in);
        int n = in.readInt();
        double[] w = new double[n];
        double[] l = new double[n];
        boolean[] c = new boolean[n];
        for (int i = 0; i < n; i++) {
          w[i] = in.readDouble();
          l[i] = in.readDouble();
          c[i] = in.readBoolean();
        }
        return new FinalState(lambda, w, l, c);
      }
    }
  }
}
