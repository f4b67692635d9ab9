package dev.bilevel.cli;

import dev.bilevel.data.DatasetLocator;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.quality.QualityProblems;
import dev.bilevel.quality.QualityReport;
import dev.bilevel.report.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code bilevel check <problem>}: the hypergradient quality report. Runs every registered estimator
 * (or those named) on one problem and state and compares each with exact reverse mode in FP64:
 * cosine, relative error, gradient evaluations, wall time, peak memory; Markdown on stdout, and
 * Markdown plus CSV files with {@code --out}.
 */
public final class CheckCommand implements BilevelCli.Command {
  static final List<String> PROBLEMS = List.of("ridge", "fashion-mlp");

  @Override
  public CommandSpec spec() {
    CommandSpec s = CommandSpec.create().name("check");
    s.usageMessage().description("Hypergradient quality report: every estimator against exact"
        + " reverse mode (FP64) on one problem.");
    s.addPositional(PositionalParamSpec.builder().paramLabel("PROBLEM").type(String.class)
        .description("ridge or fashion-mlp").build());
    s.addOption(OptionSpec.builder("--estimators").paramLabel("NAMES").type(String.class)
        .description("comma-separated estimator names (default: every registered one)").build());
    s.addOption(OptionSpec.builder("--steps").paramLabel("T").type(Integer.class)
        .description("inner steps in the window (default: 50 for ridge, 20 for fashion-mlp)").build());
    s.addOption(OptionSpec.builder("--warmup").paramLabel("N").type(Integer.class).defaultValue("200")
        .description("inner steps taken before the window (default: 200)").build());
    s.addOption(OptionSpec.builder("--hidden").paramLabel("H").type(Integer.class).defaultValue("32")
        .description("hidden width of the fashion-mlp problem (default: 32)").build());
    s.addOption(OptionSpec.builder("--no-memory").arity("0")
        .description("skip peak-memory measurement (faster)").build());
    s.addOption(OptionSpec.builder("--out").paramLabel("DIR").type(Path.class)
        .description("also write quality-<problem>.md and .csv there").build());
    s.mixinStandardHelpOptions(true);
    return s;
  }

  @Override
  public int execute(ParseResult p, BilevelCli cli) throws Exception {
    String problem = p.matchedPositionalValue(0, "");
    if (!PROBLEMS.contains(problem)) {
      throw new IllegalArgumentException("Unknown problem '" + problem + "' for check. Available: "
          + String.join(", ", PROBLEMS) + ".");
    }
    boolean ridge = problem.equals("ridge");
    int steps = p.matchedOptionValue("--steps", ridge ? 50 : 20);
    int warmup = p.matchedOptionValue("--warmup", 200);
    int hidden = p.matchedOptionValue("--hidden", 32);
    QualityProblems.Case c = ridge
        ? QualityProblems.ridge(10, 32, warmup, steps, 7)
        : QualityProblems.fashionMlp(DatasetLocator.fromEnvironment(), hidden, 64, 512, warmup,
            steps, 7);
    EstimatorRegistry registry = cli.injector().getInstance(EstimatorRegistry.class);
    String names = p.matchedOptionValue("--estimators", String.join(",", registry.names()));
    List<HypergradientEstimator> estimators = new ArrayList<>();
    for (String name : names.split(",")) {
      estimators.add(registry.get(name.strip()));
    }
    QualityReport r = QualityReport.run(c.problem(), c.state(), c.window(), estimators,
        QualityReport.Options.defaults().measureMemory(!p.hasMatchedOption("--no-memory")));
    String md = "### " + c.title() + "\n\n" + r.toMarkdown();
    cli.out().println(md);
    Path out = p.matchedOptionValue("--out", null);
    if (out != null) {
      Files.createDirectories(out);
      AtomicFiles.writeString(out.resolve("quality-" + problem + ".md"), md);
      AtomicFiles.writeString(out.resolve("quality-" + problem + ".csv"), r.toCsv());
    }
    return 0;
  }
}
