package dev.bilevel.estimator;

import java.util.List;
import java.util.Map;

/**
 * Why an estimator cannot train a problem, found from the problem's specification before any
 * training ({@link HypergradientEstimator#refusals}). The engine refuses such a run when it starts,
 * rather than at its first meta-update; a front end (a plugin's command line) can list the refusals
 * of several estimators at once and turn {@link #settings()} into its own options.
 *
 * @param estimator the estimator's registry name
 * @param reason what is wrong, completing "The {estimator} estimator …", without a final full stop
 * @param remedy how to fix it through the Java API: one or more sentences
 * @param settings configuration properties of the estimator and the values that would lift this
 *     refusal (e.g. {@code maxLambdaDimension → 301}); empty when no setting of the estimator does
 */
public record Refusal(String estimator, String reason, String remedy, Map<String, Object> settings) {

  public Refusal {
    settings = Map.copyOf(settings);
  }

  /** One full message: "The {estimator} estimator {reason}. {remedy}" */
  public String message() {
    return "The " + estimator + " estimator " + reason + ". " + remedy;
  }

  /**
   * Refuses a λ of more than {@code max} coordinates for an estimator whose cost grows per
   * coordinate, naming why, the alternatives and the configuration that raises the limit.
   *
   * @param why what each coordinate costs, completing "The {estimator} estimator …"
   * @param configClass the simple name of the estimator's configuration record
   * @return empty when {@code dimension ≤ max}
   */
  public static List<Refusal> lambdaDimension(String estimator, long dimension, int max, String why,
      String configClass) {
    if (dimension <= max) {
      return List.of();
    }
    return List.of(new Refusal(estimator, why + ", and this problem has " + dimension
        + " λ coordinates, more than the configured maximum of " + max,
        "Use reverse or drmad, or raise the limit with " + configClass + ".maxLambdaDimension(n).",
        Map.of("maxLambdaDimension", dimension)));
  }

  /**
   * Throws when there is anything to refuse: one refusal's {@link #message()} as it is, several
   * numbered under one heading.
   *
   * @throws IllegalArgumentException listing every refusal
   */
  public static void throwIfAny(List<Refusal> refusals) {
    if (refusals.isEmpty()) {
      return;
    }
    if (refusals.size() == 1) {
      throw new IllegalArgumentException(refusals.get(0).message());
    }
    StringBuilder sb = new StringBuilder("The ").append(refusals.get(0).estimator())
        .append(" estimator cannot train this problem, for ").append(refusals.size())
        .append(" reasons:");
    for (int i = 0; i < refusals.size(); i++) {
      sb.append("\n  ").append(i + 1).append(") ").append(refusals.get(i).message());
    }
    throw new IllegalArgumentException(sb.toString());
  }
}
