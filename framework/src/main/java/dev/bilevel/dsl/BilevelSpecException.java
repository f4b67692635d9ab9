package dev.bilevel.dsl;

import java.util.List;

/**
 * A problem specification that cannot be built. Lists every problem found, each naming the element
 * and the fix.
 */
public final class BilevelSpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public BilevelSpecException(String problemName, List<String> problems) {
    super(format(problemName, problems));
    this.problems = List.copyOf(problems);
  }

  /** The individual problems, in the order found. */
  public List<String> problems() {
    return problems;
  }

  private static String format(String name, List<String> problems) {
    StringBuilder sb = new StringBuilder("Bilevel problem '").append(name).append("' has ")
        .append(problems.size()).append(problems.size() == 1 ? " problem:" : " problems:");
    for (int i = 0; i < problems.size(); i++) {
      sb.append("\n  ").append(i + 1).append(") ").append(problems.get(i));
    }
    return sb.toString();
  }
}
