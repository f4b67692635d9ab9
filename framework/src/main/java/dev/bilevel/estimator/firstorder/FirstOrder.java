package dev.bilevel.estimator.firstorder;

import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * The direct term only: ∂L_out(θ, λ)/∂λ at the current θ, ignoring how θ depends on λ. Exact when λ
 * appears only in L_out; zero when λ reaches L_out only through θ.
 */
public final class FirstOrder implements HypergradientEstimator {
  public static final String NAME = "first-order";

  @Inject
  public FirstOrder() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Hypergradient estimate(EstimationContext c) {
    if (!c.oracle().lambdaReaches(Level.OUTER)) {
      double v = c.oracle().value(Level.OUTER, c.theta(), c.lambda(), c.outerBatch());
      return new Hypergradient(c.oracle().lambdaLayout().zeros(), Map.of("outerLoss", v));
    }
    Evaluation e = c.oracle().evaluate(Level.OUTER, c.theta(), c.lambda(), c.outerBatch(), Wrt.LAMBDA);
    return new Hypergradient(e.gradLambda(), Map.of("outerLoss", e.value()));
  }

  @Override
  public Map<String, Object> describe() {
    return Map.of("estimator", NAME);
  }
}
