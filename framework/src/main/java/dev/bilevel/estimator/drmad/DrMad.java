package dev.bilevel.estimator.drmad;

import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.unroll.InnerDynamics;
import dev.bilevel.estimator.unroll.ReverseSweep;
import dev.bilevel.graph.Vectors;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DrMAD (Fu et al., IJCAI 2016): the reverse sweep of {@code reverse}, with every θ_{t−1} replaced by
 * its point on the straight line from θ_0 to θ_T,
 *
 * <pre>
 *   θ̂_{t−1} = (1 − (t−1)/T) θ_0 + ((t−1)/T) θ_T,      t = 1 … T,
 * </pre>
 *
 * so only the endpoints and the batches are kept: memory does not grow with T. A_t and B_t (SGD or
 * SGD with Nesterov momentum, see {@link InnerDynamics}) are evaluated at (θ̂_{t−1}, D_t). Equal to
 * reverse mode when the trajectory is that straight line traversed at constant speed; otherwise an
 * approximation. Cost: two gradient evaluations per step, like reverse mode.
 */
public final class DrMad implements HypergradientEstimator {
  public static final String NAME = "drmad";
  private final DrMadConfig config;

  @Inject
  public DrMad(DrMadConfig config) {
    this.config = config;
  }

  public DrMadConfig config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public TrajectoryNeeds needs() {
    return TrajectoryNeeds.ENDPOINTS;
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
    int n = window.length();
    if (n > 0 && window.theta0() == null) {
      throw new IllegalArgumentException("The " + NAME + " estimator needs θ_0 of the window"
          + " (TrajectoryNeeds.ENDPOINTS), but the window of " + n + " steps has none.");
    }
    INDArray theta0 = window.theta0();
    INDArray delta = n == 0 ? null : c.theta().sub(theta0);
    // One buffer for every θ̂: the sweep is done with θ̂_t before it asks for θ̂_{t−1}.
    INDArray point = n == 0 ? null : theta0.dup();
    ReverseSweep.Result r = ReverseSweep.run(c, dynamics, window, config.truncate(), i -> {
      point.assign(theta0);
      Vectors.axpy((double) i / n, delta, point);
      return point;
    });
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", r.outerLoss());
    d.put("sweptSteps", (double) r.sweptSteps());
    return new Hypergradient(r.hypergradient(), d);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("truncate", config.truncate() > 0 ? config.truncate() : "full");
    return m;
  }
}
