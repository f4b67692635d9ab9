package dev.bilevel.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.function.Function;

/**
 * Reads an experiment's options and collects every problem instead of stopping at the first, so
 * that a command line can report them all at once ({@link #throwIfAny}). A value that fails its
 * check is recorded as a problem naming the option, the requirement and the value given, and the
 * read returns a stand-in the caller must not use: check {@link #problems()} before building
 * anything from the values.
 */
public final class OptionReader {
  private final Map<String, String> values;
  private final List<String> problems = new ArrayList<>();

  public OptionReader(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** The value as given, trimmed. */
  public String string(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no option '" + name + "'; options are " + values.keySet());
    }
    return v.trim();
  }

  /** Whether the option holds something other than {@code word}, the word its default stands for. */
  public boolean isSet(String name, String word) {
    return !string(name).equalsIgnoreCase(word);
  }

  /** A whole number of at least {@code min}; {@code min} stands in for a bad value. */
  public int integer(String name, int min) {
    String v = string(name);
    try {
      int n = Integer.parseInt(v);
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below, with the requirement
    }
    problems.add("--" + name + " must be a whole number of at least " + min + ", got '" + v + "'");
    return min;
  }

  /**
   * A finite number that passes {@code ok}; NaN stands in for a bad value.
   *
   * @param requirement completes "--name must be a number …", e.g. "from 0 to 1"
   */
  public double number(String name, DoublePredicate ok, String requirement) {
    String v = string(name);
    try {
      double x = Double.parseDouble(v);
      if (Double.isFinite(x) && ok.test(x)) {
        return x;
      }
    } catch (NumberFormatException e) {
      // reported below, with the requirement
    }
    problems.add("--" + name + " must be a number " + requirement + ", got '" + v + "'");
    return Double.NaN;
  }

  /** A number above 0. */
  public double positive(String name) {
    return number(name, x -> x > 0, "above 0");
  }

  /** A number of at least 0. */
  public double nonNegative(String name) {
    return number(name, x -> x >= 0, "of at least 0");
  }

  /**
   * One of a fixed set of words, case-insensitive; the first choice stands in for a bad value.
   *
   * @param choices words in the order the message lists them, each with its value
   */
  public <T> T choice(String name, Map<String, T> choices) {
    String v = string(name).toLowerCase(Locale.ROOT);
    T t = choices.get(v);
    if (t != null) {
      return t;
    }
    problems.add("--" + name + " must be " + String.join(" or ", choices.keySet()) + ", got '"
        + string(name) + "'");
    return choices.values().iterator().next();
  }

  /** A value made by {@code parser}, whose {@link IllegalArgumentException} becomes a problem. */
  public <T> T parsed(String name, Function<String, T> parser, T standIn) {
    try {
      return parser.apply(string(name));
    } catch (IllegalArgumentException e) {
      problems.add("--" + name + ": " + e.getMessage());
      return standIn;
    }
  }

  /** Records a problem that involves several options, unless {@code ok}. */
  public void require(boolean ok, String problem) {
    if (!ok) {
      problems.add(problem);
    }
  }

  /** Every problem found so far, in the order found. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  /**
   * Throws when any of {@code problems} exist, numbered under one heading.
   *
   * @param experiment the experiment's name, for the heading and the pointer to its help
   */
  public static void throwIfAny(String experiment, List<String> problems) {
    if (problems.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder("The options and methods of '").append(experiment).append("' have ")
        .append(problems.size()).append(problems.size() == 1 ? " problem:" : " problems:");
    for (int i = 0; i < problems.size(); i++) {
      sb.append("\n  ").append(i + 1).append(") ").append(problems.get(i));
    }
    sb.append("\nSee: bilevel run ").append(experiment).append(" --help");
    throw new IllegalArgumentException(sb.toString());
  }
}
