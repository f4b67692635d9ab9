package dev.bilevel.estimator.forward;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.unroll.InnerDynamics;
import dev.bilevel.estimator.unroll.Windows;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import dev.bilevel.graph.Vectors;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward-mode differentiation through the inner trajectory (FMD; Franceschi et al. 2017). It
 * carries the tangent Z_t = ds_t/dλ of the inner state s = (θ, v), one column per λ coordinate:
 *
 * <pre>
 *   Z_0 = 0;   Z_t = A_t Z_{t−1} + B_t;   dL_out/dλ = ∂L_out(θ_T, λ)/∂λ + Z_{T,θ}ᵀ ∇θ L_out(θ_T, λ)
 * </pre>
 *
 * with A_t, B_t the Jacobians of the inner update (SGD or SGD with Nesterov momentum, see {@link
 * InnerDynamics}). The θ_{t−1} at which they are evaluated are replayed from θ_0 with the engine's
 * optimizer (one gradient evaluation per step), so memory is the dim(λ) tangents (twice that with
 * momentum, for the velocity part), whatever T. Each
 * step costs four gradient evaluations per λ coordinate: it is for low-dimensional λ, and refuses
 * a λ larger than {@link ForwardConfig#maxLambdaDimension()}. It gives the same result as {@code
 * reverse}; its advantage is memory that does not grow with T.
 */
public final class Forward implements HypergradientEstimator {
  public static final String NAME = "forward";
  private final ForwardConfig config;

  @Inject
  public Forward(ForwardConfig config) {
    this.config = config;
  }

  public ForwardConfig config() {
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

  @Override
  public Hypergradient estimate(EstimationContext c) {
    BilevelOracle oracle = c.oracle();
    long m = oracle.lambdaLayout().size();
    Windows.requireLambdaDimension(NAME, m, config.maxLambdaDimension(),
        "carries one θ-sized tangent per λ coordinate", "ForwardConfig");
    InnerDynamics dynamics = InnerDynamics.of(c.innerOptimizer(), NAME);
    Trajectory window = c.trajectory();
    int dim = Math.toIntExact(m);
    InnerDynamics.Tangent[] z = new InnerDynamics.Tangent[dim];
    boolean lambdaInner = oracle.lambdaReaches(Level.INNER);
    double drift = 0;
    if (lambdaInner && !window.isEmpty()) {
      INDArray zeros = oracle.thetaLayout().zeros();
      for (int j = 0; j < dim; j++) {
        z[j] = dynamics.zeroTangent(zeros);
      }
      INDArray column = zeros.dup(); // M_t e_j, one column at a time
      Windows.StepVisitor advance = (i, s, thetaBefore) ->
          advance(c, dynamics, z, thetaBefore, s.batch(), s.learningRate(), column);
      if (hasEveryTheta(window)) {
        for (int i = 0; i < window.length(); i++) {
          Trajectory.Step s = window.steps().get(i);
          advance.visit(i, s, s.thetaBefore());
        }
      } else {
        INDArray replayed = Windows.replay(oracle, c.innerOptimizer(), window, c.lambda(), advance);
        drift = Vectors.norm2(replayed.subi(c.theta()))
            / Math.max(Vectors.norm2(c.theta()), Double.MIN_NORMAL);
      }
    }
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluate(Level.OUTER, c.theta(), c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA);
    INDArray g = direct ? out.gradLambda().dup() : oracle.lambdaLayout().zeros();
    if (z.length > 0 && z[0] != null) {
      for (int j = 0; j < dim; j++) {
        g.putScalar(j, g.getDouble(j) + z[j].theta().mul(out.gradTheta()).sumNumber().doubleValue());
      }
    }
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", out.value());
    d.put("replayDrift", drift);
    return new Hypergradient(g, d);
  }

  private static void advance(EstimationContext c, InnerDynamics dynamics,
      InnerDynamics.Tangent[] z, INDArray thetaBefore, Batch batch, double learningRate,
      INDArray column) {
    for (int j = 0; j < z.length; j++) {
      INDArray e = c.oracle().lambdaLayout().zeros();
      e.putScalar(j, 1.0);
      INDArray mixedColumn = c.products().crossVectorInto(Level.INNER, thetaBefore, c.lambda(),
          batch, e, column);
      dynamics.pushForward(c.products(), thetaBefore, c.lambda(), batch, learningRate, z[j],
          mixedColumn);
    }
  }

  private static boolean hasEveryTheta(Trajectory window) {
    return window.steps().stream().allMatch(s -> s.thetaBefore() != null);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("maxLambdaDimension", config.maxLambdaDimension());
    return m;
  }
}
