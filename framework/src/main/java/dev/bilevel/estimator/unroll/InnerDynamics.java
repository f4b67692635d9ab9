package dev.bilevel.estimator.unroll;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.graph.Scratch;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.optim.Sgd;
import dev.bilevel.secondorder.SecondOrder;
import dev.bilevel.graph.Vectors;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The inner update map the engine applies, for the optimizers whose Jacobians the unrolled
 * estimators implement: SGD, and SGD with ND4J's Nesterov momentum, both with coupled L2 weight
 * decay wd. With the effective gradient g_t = ∇θ L_in(θ_{t−1}, λ; D_t) + wd·θ_{t−1}, ND4J's
 * {@code Nesterovs} updater computes
 *
 * <pre>
 *   v_t = μ v_{t−1} − η_t g_t
 *   θ_t = θ_{t−1} − μ v_{t−1} + (1 + μ) v_t  =  θ_{t−1} + μ² v_{t−1} − (1 + μ) η_t g_t
 * </pre>
 *
 * (μ = 0 is plain SGD: v plays no part). The state is s = (θ, v); with H_t = ∇²θ L_in + wd·I and
 * M_t = ∂²L_in/∂θ∂λ, both at (θ_{t−1}, λ; D_t), the Jacobians of that joint map are
 *
 * <pre>
 *   A_t = [[I − (1+μ)η_t H_t, μ² I], [−η_t H_t, μ I]]      B_t = [−(1+μ)η_t M_t ; −η_t M_t]
 * </pre>
 *
 * <p>Every product is a central difference of first-order gradients ({@link SecondOrder}).
 * Internal: public only so that the {@code reverse}, {@code forward} and {@code drmad} packages can
 * share it. An instance keeps θ-sized work vectors between calls: one per estimate, or per run for
 * an estimator that follows the steps online.
 */
public final class InnerDynamics {
  private final double momentum;
  private final double weightDecay;

  private InnerDynamics(double momentum, double weightDecay) {
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  /**
   * The dynamics of an inner optimizer.
   *
   * @param estimator the estimator's name, for the message
   * @throws IllegalArgumentException naming the optimizer when it is not SGD or SGD with momentum
   */
  public static InnerDynamics of(OptimizerSpec spec, String estimator) {
    Refusal.throwIfAny(refusals(spec, estimator));
    Sgd sgd = (Sgd) spec;
    return new InnerDynamics(sgd.momentum(), sgd.weightDecay());
  }

  /** Empty for the optimizers this map models; otherwise the refusal that names the optimizer. */
  public static List<Refusal> refusals(OptimizerSpec spec, String estimator) {
    if (spec instanceof Sgd) {
      return List.of();
    }
    return List.of(new Refusal(estimator, "cannot differentiate through the inner optimizer "
        + spec.getClass().getSimpleName() + ": it supports SGD and SGD with momentum"
        + " (Sgd.of(lr).momentum(mu))", "Train the inner level with Sgd, or choose an estimator that"
        + " does not unroll the optimizer: finite-difference, neumann or conjugate-gradient.", Map.of()));
  }

  public double momentum() {
    return momentum;
  }

  public double weightDecay() {
    return weightDecay;
  }

  /**
   * The adjoint (row vector) of the state s = (θ, v), updated in place by {@link #pullBack}. At the
   * end of the window it is (∇θ L_out(θ_T), 0).
   */
  public static final class Adjoint {
    private INDArray theta;
    private INDArray velocity;

    public Adjoint(INDArray outerGradTheta) {
      this.theta = outerGradTheta.dup();
      this.velocity = null;
    }

    /** The θ part, α_θ. */
    public INDArray theta() {
      return theta;
    }
  }

  /**
   * One reverse step at step t: returns α·B_t (λ-sized) and replaces α by α·A_t unless {@code last}.
   * With w = (1+μ) α_θ + α_v:
   *
   * <pre>
   *   α·B_t = −η_t M_tᵀ w
   *   α_θ ← α_θ − η_t H_t w,   α_v ← μ² α_θ + μ α_v
   * </pre>
   *
   * Costs two gradient evaluations of L_in (one central difference along w).
   *
   * @param thetaBefore θ_{t−1} at which A_t and B_t are evaluated
   * @param last true for the last step of the sweep: α is not needed afterwards, so only M_tᵀ w
   *     is computed
   */
  public INDArray pullBack(SecondOrder products, INDArray thetaBefore, INDArray lambda, Batch batch,
      double learningRate, Adjoint a, boolean last) {
    // Every θ-sized vector below lives in a buffer kept for the whole sweep: a sweep of T steps
    // would otherwise leave about six θ-sized arrays of garbage per step, and the process's peak
    // memory grew with T although the live data did not (docs/performance.md).
    // scal and axpy(1) round as muli and addi did (VectorsTest), without ND4J's op dispatch.
    INDArray w = scratch(0, a.theta).assign(a.theta);
    Vectors.scal(1 + momentum, w);
    if (a.velocity != null) {
      Vectors.axpy(1, a.velocity, w);
    }
    INDArray contribution;
    if (last) {
      contribution = products.mixedVector(Level.INNER, thetaBefore, lambda, batch, w);
    } else {
      INDArray hw = scratch(1, a.theta);
      contribution = products.bothInto(Level.INNER, thetaBefore, lambda, batch, w, hw)
          .mixedVector();
      if (weightDecay != 0) {
        Vectors.axpy(weightDecay, w, hw);
      }
      if (momentum != 0) {
        // v ← μ² α_θ + μ v, from the α_θ before its update
        if (a.velocity == null) {
          a.velocity = a.theta.mul(momentum * momentum);
        } else {
          Vectors.scal(momentum, a.velocity);
          Vectors.axpy(momentum * momentum, a.theta, a.velocity);
        }
      }
      Vectors.axpy(-learningRate, hw, a.theta);
    }
    return contribution.muli(-learningRate);
  }

  private final INDArray[] scratch = new INDArray[3];

  /** A θ-sized work vector kept by this instance, contents undefined. */
  private INDArray scratch(int i, INDArray like) {
    scratch[i] = Scratch.fit(scratch[i], like);
    return scratch[i];
  }

  /**
   * The tangent Z = ds/dλ_j of one λ coordinate (θ and v parts), advanced in place by {@link
   * #pushForward}. It starts at zero: the window's θ_0 and v_0 are constants.
   */
  public static final class Tangent {
    private INDArray theta;
    private INDArray velocity;

    private Tangent(INDArray zeros, boolean withVelocity) {
      this.theta = zeros.dup();
      this.velocity = withVelocity ? zeros.dup() : null;
    }

    /** dθ/dλ_j. */
    public INDArray theta() {
      return theta;
    }

    /** Back to zero for a new window, in the same buffers. */
    public void reset() {
      theta.assign(0);
      if (velocity != null) {
        velocity.assign(0);
      }
    }
  }

  /** A zero tangent; its v part exists only with momentum. */
  public Tangent zeroTangent(INDArray zeros) {
    return new Tangent(zeros, momentum != 0);
  }

  /**
   * One forward step: Z ← A_t Z + B_t e_j. With u = H_t Z_θ + M_t e_j (the change of the effective
   * gradient along (Z_θ, e_j)):
   *
   * <pre>
   *   Z_θ ← Z_θ + μ² Z_v − (1+μ) η_t u,   Z_v ← μ Z_v − η_t u
   * </pre>
   *
   * Costs two gradient evaluations of L_in for H_t·Z_θ (none while Z_θ = 0), on top of the two
   * the caller spends on M_t e_j.
   *
   * @param mixedColumn M_t e_j ({@link SecondOrder#crossVector}), or null when λ does not reach L_in
   */
  public void pushForward(SecondOrder products, INDArray thetaBefore, INDArray lambda, Batch batch,
      double learningRate, Tangent z, INDArray mixedColumn) {
    INDArray u = products.hessianVectorInto(Level.INNER, thetaBefore, lambda, batch, z.theta,
        scratch(2, z.theta));
    if (weightDecay != 0) {
      Vectors.axpy(weightDecay, z.theta, u);
    }
    if (mixedColumn != null) {
      Vectors.axpy(1, mixedColumn, u);
    }
    // In place, the old Z_v read before it changes: Z_θ += μ² Z_v − (1+μ)η u; Z_v ← μ Z_v − η u.
    Vectors.axpy(-(1 + momentum) * learningRate, u, z.theta);
    if (momentum != 0) {
      Vectors.axpy(momentum * momentum, z.velocity, z.theta);
      Vectors.scal(momentum, z.velocity);
      Vectors.axpy(-learningRate, u, z.velocity);
    }
  }
}
