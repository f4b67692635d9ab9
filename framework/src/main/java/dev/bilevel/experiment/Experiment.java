package dev.bilevel.experiment;

import java.util.List;
import java.util.Map;

/**
 * A named experiment contributed by a plugin. The command line finds it by {@link #name()}, shows
 * its {@link #options()} as {@code --name value} flags, and calls {@link #run} with the parsed
 * values and the shared settings (methods, seeds, run folder, resume).
 */
public interface Experiment {

  /** The name used on the command line, e.g. {@code mwn}. Lower case, no spaces. */
  String name();

  /** One line shown by {@code bilevel list}. */
  String description();

  /** Experiment-specific options with their defaults. */
  List<ExperimentOption> options();

  /**
   * The methods compared when the user gives neither {@code --estimator} nor {@code --compare}:
   * estimator names, or {@code plain} for training without meta-learning.
   */
  List<String> defaultMethods();

  /**
   * Everything wrong with these options and methods, found before the run folder is made: each
   * entry says what is wrong and how to fix it, and the command line reports them all at once
   * ({@link OptionReader#throwIfAny}). Empty, the default, when nothing is.
   *
   * @param options every option of {@link #options()}, as given or defaulted
   * @param methods the methods to compare: estimator names (known to be registered) or {@code plain}
   */
  default List<String> check(Map<String, String> options, List<String> methods) {
    return List.of();
  }

  /** Runs the experiment, writing everything into {@link ExperimentContext#folder()}. */
  void run(ExperimentContext context) throws Exception;
}
