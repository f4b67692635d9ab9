package dev.bilevel.cli;

import com.google.inject.Injector;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.experiment.BilevelPlugin;
import dev.bilevel.experiment.Experiment;
import dev.bilevel.experiment.ExperimentCatalog;
import dev.bilevel.experiment.ExperimentContext;
import dev.bilevel.experiment.ExperimentOption;
import dev.bilevel.experiment.OptionReader;
import dev.bilevel.experiment.Plugins;
import dev.bilevel.experiment.RunInterrupted;
import dev.bilevel.report.Progress;
import dev.bilevel.report.RunFolder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The {@code bilevel} command line. Experiments and estimators come from the plugins on the class
 * path. Subcommands: {@code list}, {@code run <experiment>}, {@code check <problem>} (the
 * hypergradient quality report); further ones are added with {@link #addCommand}.
 */
public final class BilevelCli {

  /** A subcommand contributed from outside this class. */
  public interface Command {
    CommandSpec spec();

    int execute(ParseResult parsed, BilevelCli cli) throws Exception;
  }

  private final List<BilevelPlugin> plugins;
  private final Injector injector;
  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, Command> extra = new LinkedHashMap<>();
  private Progress.Factory progress = Progress.Factory.auto();

  public BilevelCli(List<BilevelPlugin> plugins, PrintStream out, PrintStream err) {
    this.plugins = plugins;
    this.injector = Plugins.injector(plugins);
    this.out = out;
    this.err = err;
    extra.put("check", new CheckCommand());
  }

  public static void main(String[] args) {
    // Choose the native build and threads before anything (plugin discovery, data) touches ND4J.
    dev.bilevel.backend.Nd4jBackend.start();
    BilevelCli cli = new BilevelCli(Plugins.discover(), System.out, System.err);
    int code = cli.execute(args);
    System.out.flush();
    System.exit(code);
  }

  public Injector injector() {
    return injector;
  }

  public PrintStream out() {
    return out;
  }

  /** Replaces how progress is shown (tests: disabled). */
  public BilevelCli progress(Progress.Factory factory) {
    this.progress = factory;
    return this;
  }

  public BilevelCli addCommand(String name, Command command) {
    extra.put(name, command);
    return this;
  }

  private CommandSpec buildSpec() {
    CommandSpec top = CommandSpec.create().name("bilevel");
    top.usageMessage().description("Gradient-based bilevel optimization: run experiments from plugins.");
    top.mixinStandardHelpOptions(true);
    CommandSpec list = CommandSpec.create().name("list");
    list.usageMessage().description("Names the experiments and estimators available.");
    list.mixinStandardHelpOptions(true);
    top.addSubcommand("list", list);
    CommandSpec run = CommandSpec.create().name("run");
    run.usageMessage().description("Runs one experiment: bilevel run <experiment> [options].");
    run.mixinStandardHelpOptions(true);
    for (Experiment e : catalog().all().values()) {
      run.addSubcommand(e.name(), experimentSpec(e));
    }
    top.addSubcommand("run", run);
    extra.forEach((name, c) -> top.addSubcommand(name, c.spec()));
    return top;
  }

  private static CommandSpec experimentSpec(Experiment e) {
    CommandSpec s = CommandSpec.create().name(e.name());
    s.usageMessage().description(e.description());
    s.mixinStandardHelpOptions(true);
    s.addOption(opt("--estimator", "NAME", null,
        "one method: an estimator name, or 'plain' for no meta-learning"));
    s.addOption(opt("--compare", "LIST", null,
        "comma-separated methods run side by side (default: " + String.join(",", e.defaultMethods()) + ")"));
    s.addOption(opt("--seeds", "LIST", "1", "comma-separated seeds (default: 1)"));
    s.addOption(opt("--out", "DIR", null, "run folder (default: runs/<experiment>-<time>)"));
    s.addOption(OptionSpec.builder("--resume").arity("0").type(boolean.class)
        .description("continue the interrupted run in --out").build());
    s.addOption(OptionSpec.builder("--no-progress").arity("0").type(boolean.class)
        .description("do not draw progress bars").build());
    s.addOption(OptionSpec.builder("--stop-after").paramLabel("EPOCHS").type(Integer.class).hidden(true)
        .description("stop as if killed after this many epochs in total (resume testing)").build());
    for (ExperimentOption o : e.options()) {
      s.addOption(opt("--" + o.name(), "VALUE", o.defaultValue(),
          o.description() + " (default: " + o.defaultValue() + ")"));
    }
    return s;
  }

  private static OptionSpec opt(String name, String label, String def, String description) {
    OptionSpec.Builder b = OptionSpec.builder(name).paramLabel(label).type(String.class).description(description);
    if (def != null) {
      b.defaultValue(def);
    }
    return b.build();
  }

  public ExperimentCatalog catalog() {
    return injector.getInstance(ExperimentCatalog.class);
  }

  public EstimatorRegistry estimators() {
    return injector.getInstance(EstimatorRegistry.class);
  }

  /** Parses and runs; returns the exit code. */
  public int execute(String... args) {
    CommandLine cl = new CommandLine(buildSpec());
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    ParseResult parsed;
    try {
      parsed = cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println(e.getMessage());
      e.getCommandLine().usage(err);
      return 2;
    }
    if (CommandLine.printHelpIfRequested(parsed)) {
      return 0;
    }
    try {
      if (!parsed.hasSubcommand()) {
        cl.usage(out);
        return 0;
      }
      ParseResult sub = parsed.subcommand();
      String name = sub.commandSpec().name();
      if (name.equals("list")) {
        return list();
      }
      if (name.equals("run")) {
        if (!sub.hasSubcommand()) {
          err.println("Name an experiment: bilevel run <experiment>. Available: "
              + String.join(", ", catalog().all().keySet()));
          return 2;
        }
        return run(sub.subcommand());
      }
      return extra.get(name).execute(sub, this);
    } catch (RunInterrupted e) {
      err.println(e.getMessage());
      return 3;
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      err.println("error: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  private int list() {
    out.println("Plugins:");
    for (BilevelPlugin p : plugins) {
      out.println("  " + p.name());
    }
    out.println("Experiments:");
    for (Experiment e : catalog().all().values()) {
      out.printf("  %-12s %s%n", e.name(), e.description());
    }
    out.println("Estimators:");
    for (String n : estimators().names()) {
      out.println("  " + n);
    }
    out.println("  plain        (no meta-learning: uniform weights; a method name for --compare)");
    return 0;
  }

  private int run(ParseResult r) throws Exception {
    Experiment e = catalog().get(r.commandSpec().name());
    String estimator = r.matchedOptionValue("--estimator", null);
    String compare = r.matchedOptionValue("--compare", null);
    if (estimator != null && compare != null) {
      throw new IllegalArgumentException("give --estimator or --compare, not both");
    }
    List<String> methods = estimator != null ? List.of(estimator.trim())
        : compare != null ? split(compare) : e.defaultMethods();
    for (String m : methods) {
      if (!m.equals("plain")) {
        estimators().get(m); // fails early, naming what is available
      }
    }
    List<Long> seeds = new ArrayList<>();
    for (String s : split(r.matchedOptionValue("--seeds", "1"))) {
      try {
        seeds.add(Long.parseLong(s));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("--seeds must be integers, got '" + s + "'");
      }
    }
    boolean resume = r.matchedOptionValue("--resume", false);
    String outDir = r.matchedOptionValue("--out", null);
    if (outDir == null) {
      if (resume) {
        throw new IllegalArgumentException("--resume needs --out naming the run folder");
      }
      outDir = "runs/" + e.name() + "-"
          + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (ExperimentOption o : e.options()) {
      options.put(o.name(), r.matchedOptionValue("--" + o.name(), o.defaultValue()));
    }
    OptionReader.throwIfAny(e.name(), e.check(options, methods)); // before any folder is made
    Path dir = Path.of(outDir);
    RunFolder folder = resume ? RunFolder.resume(dir) : RunFolder.create(dir);
    Integer stop = r.matchedOptionValue("--stop-after", null);
    boolean noProgress = r.matchedOptionValue("--no-progress", false);
    ExperimentContext ctx = new ExperimentContext(options, methods, seeds, folder, resume,
        noProgress ? Progress.Factory.disabled() : progress, injector, out,
        stop == null ? OptionalInt.empty() : OptionalInt.of(stop));
    out.println("Run folder: " + folder.root());
    e.run(ctx);
    return 0;
  }

  private static List<String> split(String s) {
    List<String> parts = new ArrayList<>();
    for (String p : s.split(",")) {
      if (!p.isBlank()) {
        parts.add(p.trim());
      }
    }
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("empty list '" + s + "'");
    }
    return parts;
  }
}
