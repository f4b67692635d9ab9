package dev.bilevel.quality;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.engine.RunState;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.reverse.Reverse;
import dev.bilevel.estimator.reverse.ReverseConfig;
import dev.bilevel.estimator.unroll.Windows;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Sgd;
import dev.bilevel.secondorder.SecondOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How good and how costly each hypergradient estimator is at one state of one problem, measured
 * against exact reverse mode in FP64.
 *
 * <p>From the state's θ and inner-optimizer state and at its λ, the report takes one inner step per
 * batch of the window, recording every θ_t as the engine does. The reference is {@code reverse}
 * (the full sweep) on that window. Each estimator is then called on the same window, restricted to
 * what its {@link HypergradientEstimator#needs()} asks the engine to keep, with the window's last
 * inner batch, the outer batch and the state's step counter. For each it reports the cosine
 * similarity and relative error to the reference, the number of evaluations counted by the oracle
 * (all of them, and those with gradients), the wall time, the bytes of the window the engine keeps
 * for it and its peak working memory (see {@link MemoryProbe}; measured in a second, separate run
 * because counting forces a collection before every evaluation). An estimator that refuses the problem (an
 * unsupported optimizer, too many λ coordinates) gets a row saying why. Every estimator is called
 * on the recorded window, including one the engine runs online ({@code forward}, see {@link
 * HypergradientEstimator#newAccumulator()}): its row gives the cost and window of that call (a
 * replay), not of the engine's online steps.
 *
 * <pre>{@code
 * QualityReport r = QualityReport.run(problem, state, new QualityReport.Window(batches, outer),
 *     estimators);
 * Files.writeString(dir.resolve("quality.md"), r.toMarkdown());
 * Files.writeString(dir.resolve("quality.csv"), r.toCsv());
 * }</pre>
 */
public final class QualityReport {

  /**
   * The inner steps to differentiate through, and the outer batch.
   *
   * @param innerBatches one batch per inner step, in order; at least one
   * @param outerBatch the batch of L_out
   */
  public record Window(List<Batch> innerBatches, Batch outerBatch) {
    public Window {
      innerBatches = List.copyOf(innerBatches);
      Objects.requireNonNull(outerBatch, "outerBatch");
      if (innerBatches.isEmpty()) {
        throw new IllegalArgumentException("the quality report needs at least one inner step in"
            + " the window");
      }
    }
  }

  /**
   * Options of a report.
   *
   * @param measureMemory whether to run each estimator a second time to sample its peak memory
   * @param seed the estimators' seed (EvoGrad's noise)
   */
  public record Options(boolean measureMemory, long seed) {
    public static Options defaults() {
      return new Options(true, 1);
    }

    public Options measureMemory(boolean on) {
      return new Options(on, seed);
    }

    public Options seed(long s) {
      return new Options(measureMemory, s);
    }
  }

  /** Whether an estimator produced a hypergradient. */
  public enum Status {
    OK,
    /** It declined the problem with an IllegalArgumentException or IllegalStateException. */
    REFUSED,
    /** It threw something else. */
    FAILED
  }

  /**
   * One estimator's line.
   *
   * @param estimator its registry name
   * @param config its configuration ({@link HypergradientEstimator#describe()})
   * @param needs what it asks the engine to keep
   * @param status whether it produced a hypergradient
   * @param message why not, when it did not
   * @param cosine cosine similarity to the reference (NaN if either is zero)
   * @param relativeError ‖g − g_ref‖ / ‖g_ref‖
   * @param norm ‖g‖
   * @param gradientEvaluations evaluations with gradients, from the oracle's counts
   * @param evaluations all evaluations (forward passes), from the oracle's counts
   * @param wallMillis wall time of the estimate
   * @param windowBytes bytes of the θ-sized arrays the engine keeps for it between meta-updates
   * @param peakWorkingBytes peak bytes of the ND4J buffers the estimate created and still held,
   *     counted before each of its evaluations ({@link MemoryProbe}); -1 if not measured
   * @param diagnostics the estimator's diagnostics
   */
  public record Row(String estimator, Map<String, Object> config, TrajectoryNeeds needs,
      Status status, String message, double cosine, double relativeError, double norm,
      long gradientEvaluations, long evaluations, double wallMillis, long windowBytes,
      long peakWorkingBytes, Map<String, Double> diagnostics) {}

  private final String problem;
  private final int steps;
  private final long thetaSize;
  private final long lambdaSize;
  private final String innerOptimizer;
  private final Row reference;
  private final List<Row> rows;

  private QualityReport(String problem, int steps, long thetaSize, long lambdaSize,
      String innerOptimizer, Row reference, List<Row> rows) {
    this.problem = problem;
    this.steps = steps;
    this.thetaSize = thetaSize;
    this.lambdaSize = lambdaSize;
    this.innerOptimizer = innerOptimizer;
    this.reference = reference;
    this.rows = List.copyOf(rows);
  }

  /** {@link #run(BilevelProblem, RunState, Window, List, Options)} with the default options. */
  public static QualityReport run(BilevelProblem problem, RunState state, Window window,
      List<HypergradientEstimator> estimators) {
    return run(problem, state, window, estimators, Options.defaults());
  }

  /**
   * Measures every estimator at one state.
   *
   * @param state θ, λ and the inner optimizer's state ({@code inner} may be null for a fresh
   *     optimizer); its step counter is passed to the estimators
   * @throws IllegalArgumentException if the problem is not FP64, or its inner optimizer is one
   *     reverse mode cannot differentiate through
   */
  public static QualityReport run(BilevelProblem problem, RunState state, Window window,
      List<HypergradientEstimator> estimators, Options options) {
    if (problem.dtype() != DataType.DOUBLE) {
      throw new IllegalArgumentException("The quality report compares against exact reverse mode in"
          + " FP64, but problem '" + problem.name() + "' is " + problem.dtype() + ". Build it with"
          + " .dtype(DataType.DOUBLE).");
    }
    if (!(problem.innerOptimizer() instanceof Sgd)) {
      throw new IllegalArgumentException("The quality report's reference, reverse mode, cannot"
          + " differentiate through the inner optimizer "
          + problem.innerOptimizer().getClass().getSimpleName() + " of problem '" + problem.name()
          + "'. Give the problem an Sgd inner optimizer, with or without momentum.");
    }
    CompiledProblem oracle = CompiledProblem.compile(problem);
    SecondOrder products = new SecondOrder(oracle);
    Windows.Recorded recorded = Windows.record(oracle, problem.innerOptimizer(), state.inner(),
        state.theta(), state.lambda(), window.innerBatches(), TrajectoryNeeds.FULL);
    warmUp(oracle, recorded.trajectory(), state.lambda(), window);
    Measure measure = new Measure(oracle, products, problem, state, window, recorded, options);
    Row ref = measure.row(new Reverse(ReverseConfig.defaults()), null);
    if (ref.status() != Status.OK) {
      throw new IllegalStateException("reverse mode failed on problem '" + problem.name() + "': "
          + ref.message());
    }
    INDArray refGradient = measure.lastGradient;
    List<Row> rows = new ArrayList<>();
    for (HypergradientEstimator e : estimators) {
      rows.add(measure.row(e, refGradient));
    }
    return new QualityReport(problem.name(), window.innerBatches().size(),
        oracle.thetaLayout().size(), oracle.lambdaLayout().size(),
        String.valueOf(problem.innerOptimizer().describe().get("type")), ref, rows);
  }

  /** One untimed pass of each kind of evaluation, so that the first estimator timed pays no set-up. */
  private static void warmUp(BilevelOracle oracle, Trajectory t, INDArray lambda, Window w) {
    Batch inner = w.innerBatches().get(0);
    oracle.evaluate(Level.INNER, t.thetaT(), lambda, inner, Wrt.BOTH);
    oracle.evaluate(Level.INNER, t.thetaT(), lambda, inner, Wrt.NONE);
    oracle.evaluate(Level.OUTER, t.thetaT(), lambda, w.outerBatch(), Wrt.BOTH);
    oracle.evaluate(Level.OUTER, t.thetaT(), lambda, w.outerBatch(), Wrt.NONE);
  }

  /** Runs estimators on the recorded window and measures them. */
  private static final class Measure {
    final CompiledProblem oracle;
    final SecondOrder products;
    final BilevelProblem problem;
    final RunState state;
    final Window window;
    final Windows.Recorded recorded;
    final Options options;
    INDArray lastGradient;

    Measure(CompiledProblem oracle, SecondOrder products, BilevelProblem problem, RunState state,
        Window window, Windows.Recorded recorded, Options options) {
      this.oracle = oracle;
      this.products = products;
      this.problem = problem;
      this.state = state;
      this.window = window;
      this.recorded = recorded;
      this.options = options;
    }

    EstimationContext context(TrajectoryNeeds needs) {
      return context(needs, oracle, products);
    }

    EstimationContext context(TrajectoryNeeds needs, BilevelOracle o, SecondOrder p) {
      Trajectory full = recorded.trajectory();
      List<Batch> batches = window.innerBatches();
      return new EstimationContext(o, p, full.thetaT().dup(), state.lambda().dup(),
          batches.get(batches.size() - 1), window.outerBatch(), problem.innerOptimizer(),
          recorded.nextLearningRate(), Windows.restrict(full, needs), options.seed(),
          state.step() + batches.size() - 1);
    }

    Row row(HypergradientEstimator e, INDArray refGradient) {
      TrajectoryNeeds needs = e.needs();
      long windowBytes = MemoryProbe.windowBytes(Windows.restrict(recorded.trajectory(), needs));
      BilevelOracle.Counts before = oracle.counts();
      long t0 = System.nanoTime();
      Hypergradient hg;
      try {
        hg = e.estimate(context(needs));
      } catch (IllegalArgumentException | IllegalStateException ex) {
        return failed(e, needs, Status.REFUSED, ex.getMessage(), windowBytes);
      } catch (RuntimeException ex) {
        return failed(e, needs, Status.FAILED, ex.getClass().getSimpleName() + ": " + ex.getMessage(),
            windowBytes);
      }
      double millis = (System.nanoTime() - t0) / 1e6;
      BilevelOracle.Counts used = oracle.counts().minus(before);
      long peak = -1;
      if (options.measureMemory()) {
        peak = MemoryProbe.peakAtEvaluations(oracle,
            o -> e.estimate(context(needs, o, new SecondOrder(o)))).peakBytes();
      }
      INDArray g = hg.gradient();
      lastGradient = g;
      INDArray ref = refGradient == null ? g : refGradient;
      double norm = g.norm2Number().doubleValue();
      double refNorm = ref.norm2Number().doubleValue();
      double cosine = norm == 0 || refNorm == 0 ? Double.NaN
          : g.mul(ref).sumNumber().doubleValue() / (norm * refNorm);
      double relErr = g.sub(ref).norm2Number().doubleValue() / refNorm;
      return new Row(e.name(), e.describe(), needs, Status.OK, "", cosine, relErr, norm,
          used.backward(), used.forward(), millis, windowBytes, peak, hg.diagnostics());
    }

    private static Row failed(HypergradientEstimator e, TrajectoryNeeds needs, Status status,
        String message, long windowBytes) {
      return new Row(e.name(), e.describe(), needs, status, message, Double.NaN, Double.NaN,
          Double.NaN, 0, 0, Double.NaN, windowBytes, -1, Map.of());
    }
  }

  public String problem() {
    return problem;
  }

  /** The number of inner steps differentiated through. */
  public int steps() {
    return steps;
  }

  /**
   * The reference: reverse mode's full sweep. It is the first estimate of the report, so its wall
   * time includes warming up; a {@code reverse} row, if asked for, is timed warm.
   */
  public Row reference() {
    return reference;
  }

  public List<Row> rows() {
    return rows;
  }

  /** The row of one estimator. */
  public Row row(String estimator) {
    return rows.stream().filter(r -> r.estimator().equals(estimator)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no row for estimator '" + estimator
            + "'; rows: " + rows.stream().map(Row::estimator).toList()));
  }

  /** A Markdown section: a line on the set-up, then one table row per estimator. */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Problem `%s`: dim θ = %d, dim λ = %d, inner optimizer %s,"
        + " T = %d inner steps. Reference: exact reverse mode (FP64), ‖g‖ = %.4g.%n%n", problem,
        thetaSize, lambdaSize, innerOptimizer, steps, reference.norm()));
    sb.append("| estimator | keeps | cosine | rel. error | grad evals | evals | wall ms |"
        + " window | peak working | notes |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Row r : rows) {
      if (r.status() != Status.OK) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | – | – | – | – | – | %s | – | %s: %s |%n",
            r.estimator(), needsWord(r.needs()), bytes(r.windowBytes()),
            r.status().name().toLowerCase(Locale.ROOT), r.message().replace("|", "\\|")));
        continue;
      }
      sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %d | %d | %.1f | %s | %s | %s |%n",
          r.estimator(), needsWord(r.needs()),
          r.norm() == 0 ? "– (g = 0)" : number(r.cosine(), "%.6f"),
          number(r.relativeError(), "%.2e"), r.gradientEvaluations(), r.evaluations(),
          r.wallMillis(), bytes(r.windowBytes()),
          r.peakWorkingBytes() < 0 ? "–" : bytes(r.peakWorkingBytes()), notes(r)));
    }
    return sb.toString();
  }

  /** The rows as CSV with a header line; the reference is not a row. */
  public String toCsv() {
    StringBuilder sb = new StringBuilder();
    sb.append("problem,steps,estimator,status,keeps,cosine,relative_error,norm,"
        + "gradient_evaluations,evaluations,wall_ms,window_bytes,peak_working_bytes,notes\n");
    for (Row r : rows) {
      boolean ok = r.status() == Status.OK;
      sb.append(String.join(",", csv(problem), Integer.toString(steps), csv(r.estimator()),
          r.status().name(), r.needs().name(),
          ok ? number(r.cosine(), "%.10g") : "", ok ? number(r.relativeError(), "%.6e") : "",
          ok ? number(r.norm(), "%.6e") : "", ok ? Long.toString(r.gradientEvaluations()) : "",
          ok ? Long.toString(r.evaluations()) : "",
          ok ? String.format(Locale.ROOT, "%.3f", r.wallMillis()) : "",
          Long.toString(r.windowBytes()),
          r.peakWorkingBytes() < 0 ? "" : Long.toString(r.peakWorkingBytes()),
          csv(ok ? notes(r) : r.message())));
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String needsWord(TrajectoryNeeds n) {
    return switch (n) {
      case NONE -> "state";
      case ENDPOINTS -> "endpoints";
      case FULL -> "every θ_t";
    };
  }

  private static String notes(Row r) {
    return r.diagnostics().entrySet().stream()
        .filter(e -> !e.getKey().equals("outerLoss"))
        .map(e -> e.getKey() + "=" + compact(e.getValue()))
        .collect(Collectors.joining(", "));
  }

  private static String compact(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%.3g", v);
  }

  private static String number(double v, String format) {
    return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, format, v);
  }

  /** Bytes in B, KiB or MiB. */
  static String bytes(long b) {
    if (b < 1024) {
      return b + " B";
    }
    if (b < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024.0));
  }

  private static String csv(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }
}
