package dev.bilevel.estimator;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An estimated hypergradient, laid out like λ, with diagnostics (e.g. {@code outerLoss}, candidate
 * weights) for listeners.
 */
public record Hypergradient(INDArray gradient, Map<String, Double> diagnostics) {

  public Hypergradient {
    diagnostics = Map.copyOf(diagnostics);
  }

  public double norm() {
    return gradient.norm2Number().doubleValue();
  }
}
