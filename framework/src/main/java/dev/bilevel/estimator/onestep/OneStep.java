package dev.bilevel.estimator.onestep;

import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Scratch;
import dev.bilevel.graph.SmallVectors;
import dev.bilevel.graph.Vectors;
import dev.bilevel.graph.Wrt;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One-step lookahead (T1-T2, Luketina et al. 2016; the second-order Meta-Weight-Net update):
 *
 * <pre>
 *   θ' = θ − η ∇θ L_in(θ, λ)
 *   dL_out/dλ ≈ ∂L_out(θ', λ)/∂λ − η (∂²L_in(θ, λ)/∂λ∂θ) · ∇θ L_out(θ', λ)
 * </pre>
 *
 * The virtual step is plain SGD with the inner optimizer's current η (no momentum, no weight decay),
 * as in the reference implementations. The mixed product is a central difference of ∇λ L_in on
 * θ's own piece (both sides hold the activation pattern of the virtual step's evaluation at θ, so
 * that on a ReLU network it is the product automatic differentiation would give), or, with
 * {@link OneStepConfig.MixedProduct#FORWARD}, a forward difference from the ∇λ L_in(θ) taken with
 * the virtual step's gradient: one gradient evaluation fewer.
 */
public final class OneStep implements HypergradientEstimator {
  public static final String NAME = "one-step";
  private final OneStepConfig config;
  // θ-sized buffers kept between meta-iterations (∇θL_in, then θ'; and ∇θL_out): a fresh native
  // array costs about as much as a pass over it. They make an instance unsafe to share between
  // threads, like the compiled graphs.
  private INDArray work;
  private INDArray outerGrad;

  @Inject
  public OneStep(OneStepConfig config) {
    this.config = config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Hypergradient estimate(EstimationContext c) {
    double eta = Double.isNaN(config.learningRateOverride())
        ? c.innerLearningRate() : config.learningRateOverride();
    var oracle = c.oracle();
    work = Scratch.fit(work, c.theta());
    outerGrad = Scratch.fit(outerGrad, c.theta());
    boolean forward = config.mixedProduct() == OneStepConfig.MixedProduct.FORWARD
        && oracle.lambdaReaches(Level.INNER);
    Evaluation in = oracle.evaluateInto(Level.INNER, c.theta(), c.lambda(), c.innerBatch(),
        forward ? Wrt.BOTH : Wrt.THETA, work);
    // A copy: the oracle may reuse its ∇λ buffer for the next evaluation of this objective.
    INDArray gLambdaAtTheta = forward ? in.gradLambda().dup() : null;
    INDArray gIn = in.gradTheta();
    // θ − η∇θL_in in gIn's buffer: by BLAS, the same roundings as muli then addi, a third the time.
    Vectors.scal(-eta, gIn);
    Vectors.axpy(1, c.theta(), gIn);
    INDArray thetaPrime = gIn;
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluateInto(Level.OUTER, thetaPrime, c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA, outerGrad);
    INDArray hg = direct ? out.gradLambda() : oracle.lambdaLayout().zeros();
    if (oracle.lambdaReaches(Level.INNER)) {
      INDArray mixed = forward
          ? c.products().mixedVectorForward(Level.INNER, c.theta(), c.lambda(), c.innerBatch(),
              out.gradTheta(), gLambdaAtTheta)
          // θ's pattern: the inner objective's last evaluation was `in`, at θ on this batch.
          : c.products().mixedVectorOnPiece(Level.INNER, c.theta(), c.lambda(), c.innerBatch(),
              out.gradTheta());
      hg = SmallVectors.minusScaled(hg, mixed, eta); // a new vector: ∂L_out/∂λ is left as it is
    } else if (direct) {
      hg = hg.dup();
    }
    return new Hypergradient(hg, Map.of("outerLoss", out.value(), "eta", eta));
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("learningRate", Double.isNaN(config.learningRateOverride()) ? "inner optimizer's"
        : config.learningRateOverride());
    // Absent at the default, so that run folders made before the option still resume.
    if (config.mixedProduct() != OneStepConfig.MixedProduct.CENTRAL) {
      m.put("mixedProduct", config.mixedProduct().name().toLowerCase(java.util.Locale.ROOT));
    }
    return m;
  }
}
