package dev.bilevel.experiment;

import java.util.Objects;

/**
 * One experiment-specific option, shown on the command line as {@code --name}.
 *
 * @param name the option name without dashes, e.g. {@code noise}
 * @param defaultValue the value used when the option is not given
 * @param description one line of help
 */
public record ExperimentOption(String name, String defaultValue, String description) {
  public ExperimentOption {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(defaultValue, "defaultValue");
    Objects.requireNonNull(description, "description");
    if (!name.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("option name '" + name + "' must be lower-case words joined by '-'");
    }
  }
}
