package dev.bilevel.quality;

import com.google.inject.Guice;
import dev.bilevel.data.DatasetLocator;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.inject.BilevelModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the quality report on one of the built-in problems with every estimator registered by
 * {@link BilevelModule}, prints the Markdown table and optionally writes {@code
 * quality-<problem>.md} and {@code .csv}:
 *
 * <pre>
 *   java -cp framework/target/classes:$(cat cp.txt) dev.bilevel.quality.QualityCli ridge \
 *       [--steps 50] [--warmup 200] [--estimators reverse,drmad] [--no-memory] [--out DIR]
 *   ... QualityCli fashion-mlp [--steps 20] [--warmup 200] [--hidden 32] ...
 * </pre>
 */
public final class QualityCli {
  private QualityCli() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0 || !(args[0].equals("ridge") || args[0].equals("fashion-mlp"))) {
      System.err.println("usage: QualityCli ridge|fashion-mlp [--steps T] [--warmup N]"
          + " [--hidden H] [--estimators a,b] [--no-memory] [--out DIR]");
      System.exit(2);
    }
    String which = args[0];
    boolean ridge = which.equals("ridge");
    int steps = ridge ? 50 : 20;
    int warmup = 200;
    int hidden = 32;
    boolean memory = true;
    Path out = null;
    List<String> only = null;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--hidden" -> hidden = Integer.parseInt(args[++i]);
        case "--no-memory" -> memory = false;
        case "--out" -> out = Path.of(args[++i]);
        case "--estimators" -> only = Arrays.asList(args[++i].split(","));
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    QualityProblems.Case c = ridge
        ? QualityProblems.ridge(10, 32, warmup, steps, 7)
        : QualityProblems.fashionMlp(DatasetLocator.fromEnvironment(), hidden, 64, 512, warmup,
            steps, 7);
    EstimatorRegistry registry = Guice.createInjector(new BilevelModule())
        .getInstance(EstimatorRegistry.class);
    List<HypergradientEstimator> estimators = new ArrayList<>();
    for (String name : only == null ? new ArrayList<>(registry.names()) : only) {
      estimators.add(registry.get(name));
    }
    QualityReport r = QualityReport.run(c.problem(), c.state(), c.window(), estimators,
        QualityReport.Options.defaults().measureMemory(memory));
    String md = "### " + c.title() + "\n\n" + r.toMarkdown();
    System.out.println(md);
    if (out != null) {
      Files.createDirectories(out);
      Files.writeString(out.resolve("quality-" + which + ".md"), md);
      Files.writeString(out.resolve("quality-" + which + ".csv"), r.toCsv());
    }
  }
}
