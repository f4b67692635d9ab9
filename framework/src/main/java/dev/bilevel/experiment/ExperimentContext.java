package dev.bilevel.experiment;

import com.google.inject.Injector;
import dev.bilevel.report.Progress;
import dev.bilevel.report.RunFolder;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What an experiment runs with: its option values, the methods to compare, the seeds, the run
 * folder, whether to resume, how to show progress, and the injector (estimator registry, trainer,
 * backend).
 *
 * @param options every option of the experiment, defaults filled in
 * @param methods estimator names or {@code plain}, in the order given
 * @param seeds one run of every method per seed
 * @param folder where everything is written
 * @param resume continue from the folder's checkpoint
 * @param progress progress bars for long loops
 * @param injector the framework and plugin bindings
 * @param out where to print human-readable results
 * @param stopAfterEpochs stop (as if killed) after this many epochs in total, for resume tests
 */
public record ExperimentContext(Map<String, String> options, List<String> methods, List<Long> seeds,
    RunFolder folder, boolean resume, Progress.Factory progress, Injector injector, PrintStream out,
    OptionalInt stopAfterEpochs) {

  public ExperimentContext {
    options = Map.copyOf(options);
    methods = List.copyOf(methods);
    seeds = List.copyOf(seeds);
    Objects.requireNonNull(folder, "folder");
    Objects.requireNonNull(progress, "progress");
    Objects.requireNonNull(injector, "injector");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(stopAfterEpochs, "stopAfterEpochs");
  }

  public String string(String name) {
    String v = options.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no option '" + name + "'; options are " + options.keySet());
    }
    return v;
  }

  public int integer(String name) {
    try {
      return Integer.parseInt(string(name).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be an integer, got '" + string(name) + "'");
    }
  }

  public double number(String name) {
    try {
      return Double.parseDouble(string(name).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, got '" + string(name) + "'");
    }
  }
}
