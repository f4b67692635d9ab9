package dev.bilevel.estimator.forward;

import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.dsl.Role;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.InnerStep;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.WindowAccumulator;
import dev.bilevel.estimator.unroll.InnerDynamics;
import dev.bilevel.estimator.unroll.Windows;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import dev.bilevel.graph.Vectors;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * InnerDynamics}) at θ_{t−1}. Run by the engine it is online: the run's {@link Tangents} ({@link
 * #newAccumulator()}) advance Z at each inner step, at the engine's own θ_{t−1}, and the engine
 * records nothing, so memory is the dim(λ) tangents (twice that with momentum, for the velocity
 * part), whatever T. Called with a recorded window instead ({@link #needs()}: its endpoints and
 * batches), it replays the window from θ_0 with the engine's optimizer (one more gradient
 * evaluation per step) or uses the recorded θ_t when the window has them; the result is the same.
 * Each step costs four gradient evaluations per λ coordinate: it is for low-dimensional λ, and
 * refuses a λ larger than {@link ForwardConfig#maxLambdaDimension()}. It gives the same result as
 * {@code reverse}; its advantage is memory that does not grow with T.
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

  /** Too many λ coordinates for {@link ForwardConfig#maxLambdaDimension()}; an inner optimizer other than SGD. */
  @Override
  public List<Refusal> refusals(BilevelProblem problem) {
    List<Refusal> r = new ArrayList<>(lambdaRefusals(problem.parameterCount(Role.META), config));
    r.addAll(InnerDynamics.refusals(problem.innerOptimizer(), NAME));
    return r;
  }

  static List<Refusal> lambdaRefusals(long lambdaDimension, ForwardConfig config) {
    return Refusal.lambdaDimension(NAME, lambdaDimension, config.maxLambdaDimension(),
        "carries one θ-sized tangent per λ coordinate", "ForwardConfig");
  }

  /** What a recorded window must hold; the engine records none, it uses {@link #newAccumulator()}. */
  @Override
  public TrajectoryNeeds needs() {
    return TrajectoryNeeds.ENDPOINTS;
  }

  /** The tangents of one run, which the engine advances at every inner step. */
  @Override
  public WindowAccumulator newAccumulator() {
    return new Tangents(config);
  }

  /**
   * The hypergradient from the context's accumulator when it is this estimator's (the engine's
   * online window), else from its recorded trajectory. The diagnostic {@code replayDrift} is the
   * replayed θ_T's relative distance to the context's θ, 0 when nothing was replayed.
   */
  @Override
  public Hypergradient estimate(EstimationContext c) {
    BilevelOracle oracle = c.oracle();
    Tangents.check(oracle, c.innerOptimizer(), config);
    double drift = 0;
    Tangents z;
    if (c.accumulator() instanceof Tangents online) {
      z = online;
    } else {
      z = new Tangents(config);
      drift = follow(c, z);
    }
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluate(Level.OUTER, c.theta(), c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA);
    INDArray g = direct ? out.gradLambda().dup() : oracle.lambdaLayout().zeros();
    z.addTransposedTimes(out.gradTheta(), g);
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", out.value());
    d.put("replayDrift", drift);
    return new Hypergradient(g, d);
  }

  /**
   * Feeds the recorded window's steps to {@code z}: at the recorded θ_{t−1} when the window has
   * every one, else replayed from θ_0.
   *
   * @return the replay's drift, 0 without a replay
   */
  private static double follow(EstimationContext c, Tangents z) {
    Trajectory window = c.trajectory();
    if (!c.oracle().lambdaReaches(Level.INNER) || window.isEmpty()) {
      return 0;
    }
    if (hasEveryTheta(window)) {
      Windows.follow(z, c.oracle(), c.products(), c.innerOptimizer(), window, c.lambda(), NAME);
      return 0;
    }
    Windows.StepVisitor advance = (i, s, thetaBefore) -> z.accept(new InnerStep(c.oracle(),
        c.products(), thetaBefore, c.lambda(), s.batch(), s.learningRate(), c.innerOptimizer()));
    INDArray replayed = Windows.replay(c.oracle(), c.innerOptimizer(), window, c.lambda(), advance);
    return Vectors.norm2(replayed.subi(c.theta()))
        / Math.max(Vectors.norm2(c.theta()), Double.MIN_NORMAL);
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
