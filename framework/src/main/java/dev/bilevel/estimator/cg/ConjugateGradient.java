package dev.bilevel.estimator.cg;

import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import dev.bilevel.graph.Vectors;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The implicit-function-theorem hypergradient with the linear system solved by conjugate gradients
 * (Pedregosa 2016; Rajeswaran et al. 2019). At the current θ, taken as a stationary point of L_in +
 * ½wd‖θ‖², with H = ∇²θ L_in + wd·I and M = ∂²L_in/∂θ∂λ on the inner batch and b = ∇θ L_out on the
 * outer batch:
 *
 * <pre>
 *   solve (H + δI) x = b by CG from x = 0, until ‖r‖ ≤ tol·‖b‖ or maxIterations
 *   dL_out/dλ ≈ ∂L_out/∂λ − Mᵀ x
 * </pre>
 *
 * Each iteration is one Hessian-vector product (two gradient evaluations); the mixed product is two
 * more. If CG meets a direction of non-positive curvature (pᵀ(H + δI)p ≤ 0, an indefinite Hessian)
 * it stops there and reports {@code negativeCurvature} = 1; damping avoids that. Diagnostics:
 * {@code iterations}, {@code relativeResidual}, {@code converged}. Works with any inner optimizer.
 */
public final class ConjugateGradient implements HypergradientEstimator {
  public static final String NAME = "conjugate-gradient";
  private final ConjugateGradientConfig config;

  @Inject
  public ConjugateGradient(ConjugateGradientConfig config) {
    this.config = config;
  }

  public ConjugateGradientConfig config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Hypergradient estimate(EstimationContext c) {
    BilevelOracle oracle = c.oracle();
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluate(Level.OUTER, c.theta(), c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA);
    INDArray g = direct ? out.gradLambda().dup() : oracle.lambdaLayout().zeros();
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", out.value());
    if (!oracle.lambdaReaches(Level.INNER)) {
      return new Hypergradient(g, d);
    }
    double shift = c.innerOptimizer().weightDecay() + config.damping();
    INDArray b = out.gradTheta();
    double bNorm = Vectors.norm2(b);
    INDArray x = oracle.thetaLayout().zeros();
    INDArray r = b.dup();
    INDArray p = b.dup();
    double rs = bNorm * bNorm;
    int iterations = 0;
    boolean negativeCurvature = false;
    boolean converged = bNorm == 0;
    // Every iteration works in these four θ-sized vectors: no allocation per iteration.
    INDArray ap = oracle.thetaLayout().zeros();
    while (!converged && iterations < config.maxIterations()) {
      c.products().hessianVectorInto(Level.INNER, c.theta(), c.lambda(), c.innerBatch(), p, ap);
      if (shift != 0) {
        Vectors.axpy(shift, p, ap);
      }
      iterations++;
      double pAp = Vectors.dot(p, ap);
      if (!(pAp > 0)) {
        negativeCurvature = true;
        break;
      }
      double step = rs / pAp;
      Vectors.axpy(step, p, x);
      Vectors.axpy(-step, ap, r);
      double rsNew = Vectors.dot(r, r);
      converged = Math.sqrt(rsNew) <= config.tolerance() * bNorm;
      Vectors.scal(rsNew / rs, p);
      Vectors.axpy(1, r, p);
      rs = rsNew;
    }
    g.subi(c.products().mixedVector(Level.INNER, c.theta(), c.lambda(), c.innerBatch(), x));
    d.put("iterations", (double) iterations);
    d.put("relativeResidual", bNorm == 0 ? 0 : Math.sqrt(rs) / bNorm);
    d.put("converged", converged ? 1.0 : 0.0);
    d.put("negativeCurvature", negativeCurvature ? 1.0 : 0.0);
    return new Hypergradient(g, d);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("maxIterations", config.maxIterations());
    m.put("tolerance", config.tolerance());
    m.put("damping", config.damping());
    return m;
  }
}
