package dev.bilevel.mwn;

import dev.bilevel.corruption.NoiseType;
import dev.bilevel.data.KnownDataset;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.neumann.NeumannConfig;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.experiment.ExperimentContext;
import dev.bilevel.experiment.ExperimentOption;
import dev.bilevel.experiment.OptionReader;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.optim.Sgd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The Meta-Weight-Net experiment's options ({@link #OPTIONS}, with their defaults and help) and their
 * values, read and checked all at once ({@link #read}), as provenance ({@link #describe}).
 */
record MwnConfig(KnownDataset dataset, String dataDir, NoiseType noise, double rate, double imbalance,
    int perClass, int metaPerClass, int valPerClass, int testSize, int epochs, int hidden, int batch, double lr,
    double momentum, double weightDecay, double[] decayAt, double metaLr, double metaWeightDecay,
    Weighting weighting, EvoGradSettings evograd, OneStepConfig oneStep, boolean metaSgd,
    int maxLambdaDimension, double neumannSeriesStep, int neumannIterations) {

  /**
   * The options parsed and checked, all at once.
   *
   * @throws IllegalArgumentException listing every problem (as the command line does before the
   *     run folder is made)
   */
  static MwnConfig of(ExperimentContext c) {
    OptionReader r = new OptionReader(c.options());
    MwnConfig cfg = read(r);
    OptionReader.throwIfAny(MwnExperiment.NAME, r.problems());
    return cfg;
  }

  /** The options as {@code r} reads them; null when {@code r} found a problem. */
  static MwnConfig read(OptionReader r) {
    KnownDataset dataset = r.parsed("dataset", MwnConfig::dataset, KnownDataset.FASHION_MNIST);
    NoiseType noise = r.parsed("noise", NoiseType::parse, NoiseType.UNIF);
    double rate = r.number("rate", x -> x >= 0 && x <= 1, "from 0 to 1");
    double imbalance = r.number("imbalance", x -> x >= 1, "of at least 1 (1 = balanced)");
    int perClass = r.integer("per-class", 1);
    int metaPerClass = r.integer("meta-per-class", 1);
    int valPerClass = r.integer("val-per-class", 0);
    int testSize = r.integer("test-size", 1);
    int epochs = r.integer("epochs", 1);
    int hidden = r.integer("hidden", 1);
    int batch = r.integer("batch", 1);
    double lr = r.positive("lr");
    double momentum = r.number("momentum", x -> x >= 0 && x < 1, "from 0 to below 1");
    double weightDecay = r.nonNegative("weight-decay");
    double[] decayAt = r.parsed("decay-at", MwnConfig::fractions, new double[0]);
    boolean metaSgd = r.choice("meta-optimizer", choices("adam", false, "sgd", true));
    double metaLr = r.positive("meta-lr");
    double metaWeightDecay = r.nonNegative("meta-weight-decay");
    Weighting w = r.parsed("weighting", Weighting::parse, Weighting.NORMALISED);
    r.require(w != Weighting.UNIFORM, "--weighting uniform is what method 'plain' does; use normalised"
        + " or mean");
    double oneStepLr = r.isSet("one-step-lr", "lr") ? r.positive("one-step-lr") : Double.NaN;
    Map<String, OneStepConfig.MixedProduct> differences = new LinkedHashMap<>();
    differences.put("central", OneStepConfig.MixedProduct.CENTRAL);
    differences.put("forward", OneStepConfig.MixedProduct.FORWARD);
    OneStepConfig.MixedProduct mixed = r.choice("one-step-differences", differences);
    double seriesStep = r.isSet("neumann-series-step", "lr") ? r.positive("neumann-series-step")
        : Double.NaN;
    int neumannIterations = r.integer("neumann-iterations", 0);
    int maxLambda = r.isSet("max-lambda-dimension", "estimator's")
        ? r.integer("max-lambda-dimension", 1) : 0;
    EvoGradSettings evograd = EvoGradSettings.read(r);
    if (!r.problems().isEmpty()) {
      return null;
    }
    return new MwnConfig(dataset, r.string("data-dir"), noise, rate, imbalance, perClass, metaPerClass,
        valPerClass, testSize, epochs, hidden, batch, lr, momentum, weightDecay, decayAt, metaLr,
        metaWeightDecay, w, evograd, new OneStepConfig(oneStepLr, mixed), metaSgd, maxLambda, seriesStep,
        neumannIterations);
  }

  /** Neumann as these options set it: the estimator's defaults unless asked otherwise. */
  NeumannConfig neumannConfig() {
    NeumannConfig n = NeumannConfig.defaults().iterations(neumannIterations);
    return Double.isNaN(neumannSeriesStep) ? n : n.seriesStep(neumannSeriesStep);
  }

  /** V's optimiser for a method: EvoGrad's preset may give V its own learning rate and weight decay. */
  OptimizerSpec metaOptimizer(String method) {
    boolean evo = method.equals(EvoGrad.NAME);
    double lr = evo ? evograd.metaLr(metaLr) : metaLr;
    double decay = evo ? evograd.metaWeightDecay(metaWeightDecay) : metaWeightDecay;
    return metaSgd ? Sgd.of(lr).momentum(0.9).weightDecay(decay) : Adam.of(lr).weightDecay(decay);
  }


  ISchedule schedule() {
    TreeMap<Integer, Double> m = new TreeMap<>();
    m.put(0, lr);
    double f = lr;
    for (double d : decayAt) {
      f *= 0.1;
      int e = (int) Math.round(d * epochs);
      if (e > 0 && e < epochs) {
        m.put(e, f);
      }
    }
    MapSchedule.Builder b = new MapSchedule.Builder(ScheduleType.EPOCH);
    m.forEach(b::add);
    return b.build();
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset", dataset.name());
    m.put("dataDir", dataDir);
    m.put("noise", noise.id());
    m.put("rate", rate);
    m.put("imbalance", imbalance);
    m.put("perClass", perClass);
    m.put("metaPerClass", metaPerClass);
    if (!Double.isNaN(neumannSeriesStep)) { // absent by default, so that older folders still resume
      m.put("neumannSeriesStep", neumannSeriesStep);
    }
    if (neumannIterations != NeumannConfig.defaults().iterations()) { // likewise
      m.put("neumannIterations", neumannIterations);
    }
    if (maxLambdaDimension > 0) { // absent by default, so that older folders still resume
      m.put("maxLambdaDimension", maxLambdaDimension);
    }
    if (valPerClass > 0) { // absent when 0, so that folders made before the option still resume
      m.put("valPerClass", valPerClass);
    }
    m.put("testSize", testSize);
    m.put("epochs", epochs);
    m.put("hidden", hidden);
    m.put("batch", batch);
    m.put("lr", lr);
    m.put("momentum", momentum);
    m.put("weightDecay", weightDecay);
    m.put("decayAt", java.util.Arrays.toString(decayAt));
    m.put("metaOptimizer", metaSgd ? "sgd-nesterov 0.9" : "adam");
    m.put("metaLr", metaLr);
    m.put("metaWeightDecay", metaWeightDecay);
    m.put("weighting", weighting.id());
    m.put("evograd", evograd.describe());
    m.put("oneStepLr", Double.isNaN(oneStep.learningRateOverride()) ? "lr" : oneStep.learningRateOverride());
    if (oneStep.mixedProduct() != OneStepConfig.MixedProduct.CENTRAL) { // likewise absent by default
      m.put("oneStepDifferences", oneStep.mixedProduct().name().toLowerCase(Locale.ROOT));
    }
    return m;
  }

  static final List<ExperimentOption> OPTIONS = List.of(
      new ExperimentOption("dataset", "fashion-mnist", "fashion-mnist or mnist"),
      new ExperimentOption("data-dir", "", "directory with your own copies of the IDX files (default: the data cache)"),
      new ExperimentOption("noise", "unif", "label noise: unif, flip or flip2"),
      new ExperimentOption("rate", "0.4", "noise rate r (unif flips r(C-1)/C of the labels)"),
      new ExperimentOption("imbalance", "1", "long-tailed imbalance factor n_max/n_min (1 = balanced)"),
      new ExperimentOption("per-class", "300", "training images per class (n_max when long-tailed)"),
      new ExperimentOption("meta-per-class", "10", "clean meta images per class"),
      new ExperimentOption("val-per-class", "0", "clean validation images per class, taken out of the training"
          + " pool and never trained on, for selecting hyperparameters without the test set (0 = none)"),
      new ExperimentOption("test-size", "10000", "test images used (the first N of the test split)"),
      new ExperimentOption("epochs", "40", "training epochs"),
      new ExperimentOption("hidden", "256", "width of the classifier's two hidden layers"),
      new ExperimentOption("batch", "100", "batch size (training and meta)"),
      new ExperimentOption("lr", "0.1", "classifier SGD learning rate"),
      new ExperimentOption("momentum", "0.9", "classifier SGD momentum (Nesterov)"),
      new ExperimentOption("weight-decay", "5e-4", "classifier weight decay"),
      new ExperimentOption("decay-at", "0.67,0.83", "fractions of training at which the lr drops x0.1"),
      new ExperimentOption("meta-optimizer", "adam", "optimiser of V: adam, or sgd (Nesterov momentum 0.9, as the"
          + " class-imbalance reference)"),
      new ExperimentOption("meta-lr", "1e-3", "learning rate of the weighting net V"),
      new ExperimentOption("meta-weight-decay", "1e-4", "weight decay of V (coupled, in its optimiser)"),
      new ExperimentOption("weighting", "normalised", "normalised (sum v*l / sum v) or mean ((1/n) sum v*l)"),
      new ExperimentOption("one-step-differences", "central", "how one-step differences its mixed second"
          + " derivative: central (two inner ∇λ evaluations) or forward (one fewer: ∇λ at θ comes with the"
          + " virtual step's gradient; error O(h) instead of O(h²))"),
      new ExperimentOption("one-step-lr", "lr", "virtual step of one-step: lr (the classifier's current lr) or a"
          + " number (a diagnostic: 3.75e-2, 1.35e-2 or 1.5e-5 is what EvoGrad's sigma 5e-2, 3e-2 or 1e-3 amounts to)"),
      new ExperimentOption("neumann-series-step", "lr", "series step alpha of neumann: lr (the classifier's"
          + " current lr, the estimator's default) or a number; the series diverges when alpha times the"
          + " Hessian's largest eigenvalue passes 2 (diagnostic seriesGrowth > 1, docs/mwn.md)"),
      new ExperimentOption("neumann-iterations", "5", "terms N of neumann's series beyond the first"),
      new ExperimentOption("max-lambda-dimension", "estimator's", "the most λ coordinates forward and"
          + " finite-difference accept (their own limits: 32 and 64). V has 301, so either needs 301 or more:"
          + " forward then carries 301 θ-sized tangents, finite-difference replays each step 602 times"),
      new ExperimentOption("evograd", "mwn", "EvoGrad preset: mwn (K=4, sigma=5e-2, tau=0.05, all weights, no"
          + " weight decay on V; selected on validation data, docs/mwn.md; the earlier preset is --evograd-sigma 3e-2) or paper (K=2, sigma=1e-3, tau=0.05, all weights perturbed,"
          + " V weight decay as --meta-weight-decay)"),
      new ExperimentOption("evograd-candidates", "preset", "EvoGrad K, number of candidates"),
      new ExperimentOption("evograd-sigma", "preset", "EvoGrad perturbation size sigma (+-sigma per weight)"),
      new ExperimentOption("evograd-temperature", "preset", "EvoGrad softmax temperature tau"),
      new ExperimentOption("evograd-perturb", "preset", "classifier weights EvoGrad perturbs: head (last layer) or all"),
      new ExperimentOption("evograd-meta-weight-decay", "preset", "weight decay of V when the estimator is evograd"),
      new ExperimentOption("evograd-meta-lr", "preset", "learning rate of V when the estimator is evograd"
          + " (preset: as --meta-lr)"));

  private static KnownDataset dataset(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "fashion-mnist", "fashion_mnist", "fmnist" -> KnownDataset.FASHION_MNIST;
      case "mnist" -> KnownDataset.MNIST;
      default -> throw new IllegalArgumentException("must be fashion-mnist or mnist, got '" + s + "'");
    };
  }

  /** "0.67,0.83" → the fractions of training at which the lr drops; each strictly between 0 and 1. */
  static double[] fractions(String s) {
    List<Double> out = new ArrayList<>();
    for (String part : s.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      double f;
      try {
        f = Double.parseDouble(part.trim());
      } catch (NumberFormatException e) {
        f = Double.NaN;
      }
      if (!(f > 0 && f < 1)) {
        throw new IllegalArgumentException("must be fractions between 0 and 1, separated by commas"
            + " (e.g. 0.67,0.83), got '" + s + "'");
      }
      out.add(f);
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** Words and their values, in the order an error message lists them. */
  private static <T> Map<String, T> choices(String a, T va, String b, T vb) {
    Map<String, T> m = new LinkedHashMap<>();
    m.put(a, va);
    m.put(b, vb);
    return m;
  }
}
