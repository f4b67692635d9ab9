package dev.bilevel.estimator.reverse;

import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.unroll.InnerDynamics;
import dev.bilevel.estimator.unroll.ReverseSweep;
import dev.bilevel.estimator.unroll.Windows;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation through the inner trajectory (RMD; Maclaurin et al. 2015, Franceschi
 * et al. 2017). The engine keeps θ_0 … θ_{T−1} and the batches of the window; the sweep runs back
 * from α = (∇θ L_out(θ_T, λ), 0):
 *
 * <pre>
 *   g = ∂L_out(θ_T, λ)/∂λ;   for t = T … 1:  g += α·B_t,  α ← α·A_t
 * </pre>
 *
 * with A_t and B_t the Jacobians of the inner update at the recorded θ_{t−1} and batch D_t (see
 * {@link InnerDynamics}; SGD and SGD with Nesterov momentum). Each step costs one central
 * difference of ∇L_in (two gradient evaluations). With {@code truncate = k} only the last k steps
 * are swept. Memory: the T recorded θ_t, which grows linearly with the window.
 */
public final class Reverse implements HypergradientEstimator {
  public static final String NAME = "reverse";
  private final ReverseConfig config;

  @Inject
  public Reverse(ReverseConfig config) {
    this.config = config;
  }

  public ReverseConfig config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public TrajectoryNeeds needs() {
    return TrajectoryNeeds.FULL;
  }

  /** An inner optimizer other than SGD (with or without momentum), whose Jacobian it lacks. */
  @Override
  public List<Refusal> refusals(BilevelProblem problem) {
    return InnerDynamics.refusals(problem.innerOptimizer(), NAME);
  }

  @Override
  public Hypergradient estimate(EstimationContext c) {
    InnerDynamics dynamics = InnerDynamics.of(c.innerOptimizer(), NAME);
    Trajectory window = c.trajectory();
    ReverseSweep.Result r = ReverseSweep.run(c, dynamics, window, config.truncate(),
        i -> Windows.thetaBefore(window, i, NAME));
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", r.outerLoss());
    d.put("sweptSteps", (double) r.sweptSteps());
    return new Hypergradient(r.hypergradient(), d);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("truncate", config.truncated() ? config.truncate() : "full");
    return m;
  }
}
