package dev.bilevel.experiment;

import java.util.List;

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

  /** Runs the experiment, writing everything into {@link ExperimentContext#folder()}. */
  void run(ExperimentContext context) throws Exception;
}
