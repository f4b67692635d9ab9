package dev.bilevel.estimator.finitedifference;

import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.dsl.Role;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.unroll.Windows;
import dev.bilevel.graph.BilevelOracle;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The hypergradient by perturbing λ itself: with F(λ') = L_out(θ_T(λ'), λ') on the outer batch,
 * where θ_T(λ') replays the window's inner steps from its θ_0 and optimizer state with the engine's
 * own optimizer and the recorded batches,
 *
 * <pre>
 *   dL_out/dλ_j ≈ (F(λ + h_j e_j) − F(λ − h_j e_j)) / 2h_j,    h_j = relativeStep · (1 + |λ_j|)
 * </pre>
 *
 * It differentiates exactly what the engine computes, whatever the inner optimizer (Adam included),
 * and shares no code with the Jacobian-based estimators: an independent oracle for small λ. Cost:
 * 2·dim(λ) replays of T gradient evaluations and one outer value each; memory: the replayed θ and
 * its gradient.
 * With an empty window it differentiates L_out(θ, ·) at fixed θ.
 */
public final class FiniteDifference implements HypergradientEstimator {
  public static final String NAME = "finite-difference";
  private final FiniteDifferenceConfig config;

  @Inject
  public FiniteDifference(FiniteDifferenceConfig config) {
    this.config = config;
  }

  public FiniteDifferenceConfig config() {
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

  /** Too many λ coordinates for {@link FiniteDifferenceConfig#maxLambdaDimension()}. */
  @Override
  public List<Refusal> refusals(BilevelProblem problem) {
    return lambdaRefusals(problem.parameterCount(Role.META));
  }

  private List<Refusal> lambdaRefusals(long lambdaDimension) {
    return Refusal.lambdaDimension(NAME, lambdaDimension, config.maxLambdaDimension(),
        "replays the window twice per λ coordinate", "FiniteDifferenceConfig");
  }

  @Override
  public Hypergradient estimate(EstimationContext c) {
    BilevelOracle oracle = c.oracle();
    long m = oracle.lambdaLayout().size();
    Refusal.throwIfAny(lambdaRefusals(m));
    double rel = Double.isNaN(config.relativeStep()) ? FiniteDifferenceConfig.defaultStep(oracle.dtype())
        : config.relativeStep();
    INDArray g = oracle.lambdaLayout().zeros();
    Windows.Replayer replayer = new Windows.Replayer(oracle, c.innerOptimizer());
    for (int j = 0; j < m; j++) {
      double h = rel * (1 + Math.abs(c.lambda().getDouble(j)));
      INDArray plus = c.lambda().dup();
      plus.putScalar(j, plus.getDouble(j) + h);
      INDArray minus = c.lambda().dup();
      minus.putScalar(j, minus.getDouble(j) - h);
      // The actual distance between the rounded perturbed values.
      double span = plus.getDouble(j) - minus.getDouble(j);
      g.putScalar(j, (outerValue(c, replayer, plus) - outerValue(c, replayer, minus)) / span);
    }
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("relativeStep", rel);
    return new Hypergradient(g, d);
  }

  private static double outerValue(EstimationContext c, Windows.Replayer replayer, INDArray lambda) {
    INDArray theta = c.trajectory().isEmpty() ? c.theta() : replayer.replay(c.trajectory(), lambda);
    return c.oracle().value(Level.OUTER, theta, lambda, c.outerBatch());
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("relativeStep", Double.isNaN(config.relativeStep()) ? "cbrt of the dtype's machine epsilon"
        : config.relativeStep());
    m.put("maxLambdaDimension", config.maxLambdaDimension());
    return m;
  }
}
