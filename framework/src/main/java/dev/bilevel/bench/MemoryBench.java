package dev.bilevel.bench;

import com.google.inject.Guice;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.WindowAccumulator;
import dev.bilevel.estimator.unroll.Windows;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.quality.MemoryProbe;
import dev.bilevel.quality.QualityProblems;
import dev.bilevel.secondorder.SecondOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the memory of each registered estimator grows with the window length T: for T = 10, 50 and
 * 200 inner steps of an FP64 MLP with a learned weight decay per layer (synthetic data, so nothing
 * needs to be installed), it prints the bytes the engine keeps for the estimator between
 * meta-updates (the θ-sized arrays of the window its {@code needs()} asks for, counted exactly) and
 * the peak working memory of one estimate (the ND4J buffers it created and still holds, counted
 * before each of its evaluations, see {@link MemoryProbe}). Reverse mode keeps every θ_t, so it
 * grows linearly with T; the others keep at most θ_0, θ_T and the optimizer state. An estimator that
 * the engine runs online ({@link HypergradientEstimator#newAccumulator()}, forward mode) keeps no
 * window: its accumulator is fed the T steps inside the measurement, as the engine feeds it, so
 * what the accumulator holds counts as working memory.
 *
 * <pre>
 *   mvn -o -q -pl framework compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   java -cp framework/target/classes:$(cat framework/cp.txt) dev.bilevel.bench.MemoryBench \
 *       [inputs hidden [T...]]
 * </pre>
 *
 * A main program rather than a test: it takes minutes (a full collection before every evaluation).
 */
public final class MemoryBench {
  private MemoryBench() {}

  public static void main(String[] args) {
    int inputs = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int hidden = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int[] windows = args.length > 2
        ? java.util.Arrays.stream(args).skip(2).mapToInt(Integer::parseInt).toArray()
        : new int[] {10, 50, 200};
    EstimatorRegistry registry = Guice.createInjector(new BilevelModule())
        .getInstance(EstimatorRegistry.class);
    List<String> names = List.copyOf(registry.names());
    Map<String, String[]> table = new LinkedHashMap<>();
    String title = null;
    long thetaSize = 0;
    for (int w = 0; w < windows.length; w++) {
      int t = windows[w];
      QualityProblems.Case c = QualityProblems.syntheticMlp(inputs, hidden, 32, 20, t, 5);
      title = c.title().replaceAll(", after \\d+ steps", "");
      CompiledProblem oracle = c.problem().compile();
      thetaSize = oracle.thetaLayout().size();
      Windows.Recorded rec = Windows.record(oracle, c.problem().innerOptimizer(), c.state().inner(),
          c.state().theta(), c.state().lambda(), c.window().innerBatches(),
          dev.bilevel.estimator.TrajectoryNeeds.FULL);
      // Each estimator once, unmeasured, on this compiled problem: JIT compilation and SameDiff's
      // cache of reusable arrays reach their steady state before anything is counted.
      for (String name : names) {
        HypergradientEstimator e = registry.get(name);
        try {
          estimate(e, oracle, c, rec, t);
        } catch (IllegalArgumentException | IllegalStateException ex) {
          // reported below
        }
      }
      for (String name : names) {
        HypergradientEstimator e = registry.get(name);
        long kept = MemoryProbe.windowBytes(engineWindow(e, rec));
        String cell;
        try {
          long working = MemoryProbe.peakAtEvaluations(oracle, o -> estimate(e, o, c, rec, t))
              .peakBytes();
          cell = String.format(Locale.ROOT, " %s | %s | %s |", mib(kept), mib(working),
              mib(kept + working));
        } catch (IllegalArgumentException | IllegalStateException ex) {
          cell = " refused | | |";
        }
        table.computeIfAbsent(name, k -> new String[windows.length])[w] = cell;
      }
      System.err.printf(Locale.ROOT, "T = %d done%n", t);
    }
    System.out.printf(Locale.ROOT, "### Memory per estimator: %s (dim θ = %d, %.1f KiB per θ)%n%n",
        title, thetaSize, thetaSize * 8 / 1024.0);
    System.out.println("MiB kept between meta-updates (window) + peak working memory of one"
        + " estimate = total. Online estimators (" + String.join(", ", names.stream()
            .filter(n -> registry.get(n).newAccumulator() != null).toList()) + ") keep no window:"
        + " their working memory includes the accumulator fed the T steps.\n");
    StringBuilder head = new StringBuilder("| estimator |");
    StringBuilder rule = new StringBuilder("|---|");
    for (int t : windows) {
      head.append(" T=").append(t).append(" window | working | total |");
      rule.append("---:|---:|---:|");
    }
    System.out.println(head);
    System.out.println(rule);
    for (var e : table.entrySet()) {
      System.out.println("| " + e.getKey() + " |" + String.join("", e.getValue()));
    }
  }

  /** The window the engine records for an estimator: none when it follows the steps online. */
  private static Trajectory engineWindow(HypergradientEstimator e, Windows.Recorded rec) {
    return e.newAccumulator() != null ? Trajectory.empty()
        : Windows.restrict(rec.trajectory(), e.needs());
  }

  /** One estimate at the window's end, given what the engine would give it. */
  private static Hypergradient estimate(HypergradientEstimator e, BilevelOracle o,
      QualityProblems.Case c, Windows.Recorded rec, int t) {
    SecondOrder products = new SecondOrder(o);
    WindowAccumulator online = e.newAccumulator();
    if (online != null) {
      Windows.follow(online, o, products, c.problem().innerOptimizer(), rec.trajectory(),
          c.state().lambda(), e.name());
    }
    return e.estimate(new EstimationContext(o, products, rec.trajectory().thetaT(),
        c.state().lambda(), c.window().innerBatches().get(t - 1), c.window().outerBatch(),
        c.problem().innerOptimizer(), rec.nextLearningRate(), engineWindow(e, rec), 1, t - 1L,
        online));
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f", bytes / (1024.0 * 1024.0));
  }
}
