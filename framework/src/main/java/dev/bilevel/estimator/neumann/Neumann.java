package dev.bilevel.estimator.neumann;

import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Vectors;
import dev.bilevel.graph.Wrt;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The implicit-function-theorem hypergradient with a Neumann series for the inverse Hessian
 * (Lorraine et al., AISTATS 2020). At the current θ, taken as a stationary point of L_in + ½wd‖θ‖²,
 * with H = ∇²θ L_in + wd·I and M = ∂²L_in/∂θ∂λ on the inner batch and b = ∇θ L_out on the outer
 * batch:
 *
 * <pre>
 *   v = p = b;   N times { v ← v − α H v;  p ← p + v }          (p = Σ_{n=0..N} (I − αH)^n b)
 *   dL_out/dλ ≈ ∂L_out/∂λ − α Mᵀ p
 * </pre>
 *
 * Cost: one outer gradient, N Hessian-vector products and one mixed product, 2N + 3 gradient
 * evaluations. Memory: three θ-sized vectors (four with weight decay), whatever the window and N.
 * It ignores the trajectory and works with any inner optimizer. With a last-steps schedule it runs
 * only near the end of each inner optimisation and returns a zero hypergradient elsewhere
 * (diagnostic {@code active} = 0); note that a stateful outer optimizer (momentum, Adam) still moves
 * λ on a zero gradient.
 */
public final class Neumann implements HypergradientEstimator {
  public static final String NAME = "neumann";
  private final NeumannConfig config;

  @Inject
  public Neumann(NeumannConfig config) {
    this.config = config;
  }

  public NeumannConfig config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Hypergradient estimate(EstimationContext c) {
    BilevelOracle oracle = c.oracle();
    if (config.schedule() instanceof NeumannConfig.LastSteps last && !last.active(c.step())) {
      return Hypergradient.skip(Map.of("active", 0.0));
    }
    double alpha = Double.isNaN(config.seriesStep()) ? c.innerLearningRate() : config.seriesStep();
    double wd = c.innerOptimizer().weightDecay();
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluate(Level.OUTER, c.theta(), c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA);
    INDArray g = direct ? out.gradLambda().dup() : oracle.lambdaLayout().zeros();
    double growth = Double.NaN;
    if (oracle.lambdaReaches(Level.INNER)) {
      INDArray v = out.gradTheta(); // a fresh array from evaluate: the series may overwrite it
      INDArray p = v.dup();
      double first = Vectors.norm2(v);
      // Every iteration works in these θ-sized vectors: no allocation per iteration, so memory
      // does not grow with N (MemoryBench).
      INDArray hv = oracle.thetaLayout().zeros();
      INDArray decay = wd != 0 ? oracle.thetaLayout().zeros() : null;
      for (int n = 0; n < config.iterations(); n++) {
        c.products().hessianVectorInto(Level.INNER, c.theta(), c.lambda(), c.innerBatch(), v, hv);
        if (wd != 0) {
          hv.addi(v.mul(wd, decay)); // the same roundings as v.mul(wd), into a kept buffer
        }
        // v − α·Hv and p + v by BLAS: the same roundings as muli, subi and addi (VectorsTest).
        Vectors.scal(alpha, hv);
        Vectors.axpy(-1, hv, v);
        Vectors.axpy(1, v, p);
      }
      // ‖(I − αH)^N b‖ / ‖b‖: above 1 the terms grow and the series diverges on this batch
      // (α·λ_max(H) > 2, or H not positive definite): lower the series step.
      growth = first == 0 ? 0 : Vectors.norm2(v) / first;
      INDArray mixed = c.products().mixedVector(Level.INNER, c.theta(), c.lambda(), c.innerBatch(), p);
      g.subi(mixed.muli(alpha));
    }
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", out.value());
    d.put("active", 1.0);
    d.put("seriesStep", alpha);
    if (!Double.isNaN(growth)) {
      d.put("seriesGrowth", growth);
    }
    return new Hypergradient(g, d);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("iterations", config.iterations());
    m.put("seriesStep", Double.isNaN(config.seriesStep()) ? "inner learning rate"
        : config.seriesStep());
    m.put("schedule", config.schedule() instanceof NeumannConfig.LastSteps l
        ? "last " + l.steps() + " of every " + l.horizon() + " steps" : "every meta-update");
    return m;
  }
}
