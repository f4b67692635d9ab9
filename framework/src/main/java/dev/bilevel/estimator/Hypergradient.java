package dev.bilevel.estimator;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An estimated hypergradient, laid out like λ, with diagnostics (e.g. {@code outerLoss}, candidate
 * weights) for listeners. An estimator whose schedule says "not now" returns {@link #skip}: the
 * engine then leaves λ and the outer optimizer's state untouched, rather than feeding a zero
 * gradient to a momentum or Adam optimizer that would still move λ.
 *
 * @param gradient the hypergradient, null when skipped
 * @param diagnostics named numbers for listeners
 * @param skipped whether this meta-update was skipped
 */
public record Hypergradient(INDArray gradient, Map<String, Double> diagnostics, boolean skipped) {

  public Hypergradient {
    diagnostics = Map.copyOf(diagnostics);
    if (!skipped && gradient == null) {
      throw new IllegalArgumentException("a hypergradient that is not skipped needs a gradient");
    }
  }

  public Hypergradient(INDArray gradient, Map<String, Double> diagnostics) {
    this(gradient, diagnostics, false);
  }

  /** No meta-update at this step. */
  public static Hypergradient skip(Map<String, Double> diagnostics) {
    return new Hypergradient(null, diagnostics, true);
  }

  public double norm() {
    return skipped ? Double.NaN : gradient.norm2Number().doubleValue();
  }
}
