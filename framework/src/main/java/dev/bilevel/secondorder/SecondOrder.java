package dev.bilevel.secondorder;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Scratch;
import dev.bilevel.graph.SmallVectors;
import dev.bilevel.graph.Wrt;
import dev.bilevel.graph.Vectors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Second-order products from first-order gradients by central differences, evaluated on the same
 * batch (hence the same random draws) on both sides:
 *
 * <ul>
 *   <li>H·v = (∇θL(θ+hv) − ∇θL(θ−hv)) / 2h
 *   <li>(∂²L/∂λ∂θ)·v = (∇λL(θ+hv) − ∇λL(θ−hv)) / 2h, a λ-sized vector
 *   <li>(∂²L/∂θ∂λ)·u = (∇θL(λ+hu) − ∇θL(λ−hu)) / 2h, a θ-sized vector
 * </ul>
 *
 * <p>The minus side is evaluated with the plus side's activation pattern held
 * ({@link BilevelOracle#evaluateHoldingPattern}): ReLU masks are piecewise constant, and a unit
 * that crosses its kink between θ + hv and θ − hv would add a jump of O(1) to the gradient
 * difference, O(1/h) to the product, whatever the step. With the pattern held, the difference is
 * that of one smooth piece, the piece of θ + hv; it agrees with the Hessian at θ that automatic
 * differentiation would give (the masks of θ held) except in the units that cross between θ and
 * θ + hv, where the error is bounded instead of O(1/h). A caller that has just evaluated the
 * objective at θ can have both sides hold θ's own pattern ({@link #mixedVectorOnPiece}), which
 * leaves no crossing error at all.
 *
 * <p>Not thread-safe: the shifted θ and the two gradients are built in reused buffers.
 */
public final class SecondOrder {
  private final BilevelOracle oracle;
  private final FiniteDifferences fd;

  public SecondOrder(BilevelOracle oracle, FiniteDifferences fd) {
    this.oracle = oracle;
    this.fd = fd;
  }

  public SecondOrder(BilevelOracle oracle) {
    this(oracle, FiniteDifferences.defaultsFor(oracle.dtype()));
  }

  public BilevelOracle oracle() {
    return oracle;
  }

  /** The finite-difference settings in use. */
  public FiniteDifferences settings() {
    return fd;
  }

  /** H·v, and (∂²L/∂λ∂θ)·v from the same two gradient evaluations. */
  public record Products(INDArray hessianVector, INDArray mixedVector) {}

  private static double step(double relativeStep, INDArray base, INDArray v) {
    double vn = Vectors.norm2(v);
    return vn == 0 ? 0 : relativeStep * (1 + Vectors.norm2(base)) / vn;
  }

  /** Hessian of L with respect to θ, times a θ-sized vector v. */
  public INDArray hessianVector(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray v) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.THETA, null, false).hessianVector();
  }

  /**
   * As {@link #hessianVector}, written into {@code into} (a contiguous θ-sized vector, not v):
   * for callers that take one product per unrolled step and would otherwise leave a θ-sized
   * array of garbage per step, which the process's memory then grows with.
   */
  public INDArray hessianVectorInto(Level level, INDArray theta, INDArray lambda, Batch batch,
      INDArray v, INDArray into) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.THETA, into, false).hessianVector();
  }

  /** (∂²L/∂λ∂θ)·v for a θ-sized v: how ∇λL changes along v. */
  public INDArray mixedVector(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray v) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.LAMBDA, null, false).mixedVector();
  }

  /**
   * (∂²L/∂λ∂θ)·v on θ's own piece: both sides of the central difference hold the activation
   * pattern of this objective's previous evaluation, which the caller must have made at θ on this
   * batch (one-step's virtual step is one). That is the derivative automatic differentiation gives
   * at θ, its masks fixed, whichever units lie on a kink between θ − hv and θ + hv. What is
   * differenced is then smooth, so the step is {@link FiniteDifferences#pieceRelativeStep()},
   * cbrt(ε) by default, and both sides are held.
   */
  public INDArray mixedVectorOnPiece(Level level, INDArray theta, INDArray lambda, Batch batch,
      INDArray v) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.LAMBDA, null, true).mixedVector();
  }

  /**
   * (∂²L/∂λ∂θ)·v by a forward difference from ∇λL already evaluated at θ (e.g. in the same pass as
   * ∇θL): (∇λL(θ + hv) − ∇λL(θ)) / h, one gradient evaluation where {@link #mixedVector} takes two.
   * Its error is O(h) where the central difference's is O(h²), so it has its own relative step,
   * {@link FiniteDifferences#forwardRelativeStep()}: √ε by default, 3.5e-4 in FP32 and 1.5e-8 in FP64.
   *
   * <p>θ + hv is evaluated holding the activation pattern of the objective's previous evaluation.
   * Callers that take ∇λL(θ) from an evaluation of this objective at θ just before (as one-step
   * does) get θ's own pattern, and then the difference has no crossing error at all.
   *
   * @param gradLambdaAtTheta ∇λL(θ, λ) on the same batch; not modified
   */
  public INDArray mixedVectorForward(Level level, INDArray theta, INDArray lambda, Batch batch,
      INDArray v, INDArray gradLambdaAtTheta) {
    double vn = Vectors.norm2(v);
    if (vn == 0) {
      return oracle.lambdaLayout().zeros();
    }
    double h = fd.forwardRelativeStep() * (1 + Vectors.norm2(theta)) / vn;
    // θ's pattern, from the caller's evaluation at θ, when that was this objective's last one.
    Evaluation plus = oracle.evaluateHoldingPattern(level, shifted(scratch(theta), theta, h, v),
        lambda, batch, Wrt.LAMBDA, null);
    return SmallVectors.differenceOver(plus.gradLambda(), gradLambdaAtTheta, h);
  }

  /** Both products along the same θ-direction v, for the price of two gradient evaluations. */
  public Products both(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray v) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.BOTH, null, false);
  }

  /** As {@link #both}, with H·v written into {@code hvInto} (see {@link #hessianVectorInto}). */
  public Products bothInto(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray v,
      INDArray hvInto) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.BOTH, hvInto, false);
  }

  private Products thetaDirection(Level level, INDArray theta, INDArray lambda, Batch batch,
      INDArray v, Wrt wrt, INDArray hvInto, boolean onPiece) {
    double h = step(onPiece ? fd.pieceRelativeStep() : fd.relativeStep(), theta, v);
    if (h == 0) {
      INDArray hv = hvInto == null ? oracle.thetaLayout().zeros() : hvInto.assign(0);
      return new Products(hv, oracle.lambdaLayout().zeros());
    }
    // One scratch θ for both sides, and one kept buffer per side for ∇θ: the oracle is done
    // reading θ and writing ∇θ when it returns, so the buffers can be refilled.
    INDArray shifted = scratch(theta);
    Evaluation plus = evaluate(level, shifted(shifted, theta, h, v), lambda, batch, wrt, 0, onPiece);
    Evaluation minus = evaluate(level, shifted(shifted, theta, -h, v), lambda, batch, wrt, 1, true);
    INDArray hv = null;
    if (wrt != Wrt.LAMBDA) {
      hv = hvInto == null ? plus.gradTheta().sub(minus.gradTheta())
          : plus.gradTheta().sub(minus.gradTheta(), hvInto);
      hv.divi(2 * h);
    }
    INDArray mv = wrt == Wrt.THETA ? null
        : SmallVectors.differenceOver(plus.gradLambda(), minus.gradLambda(), 2 * h);
    return new Products(hv, mv);
  }

  /**
   * The minus side (side 1) holds the previous evaluation's activation pattern: the plus side's,
   * or, when the plus side holds too, θ's (see the class comment).
   */
  private Evaluation evaluate(Level level, INDArray theta, INDArray lambda, Batch batch, Wrt wrt,
      int side, boolean hold) {
    INDArray into = wrt == Wrt.LAMBDA ? null : gradBuffer(side, theta);
    if (!hold) {
      return into == null ? oracle.evaluate(level, theta, lambda, batch, wrt)
          : oracle.evaluateInto(level, theta, lambda, batch, wrt, into);
    }
    return oracle.evaluateHoldingPattern(level, theta, lambda, batch, wrt, into);
  }

  private INDArray scratch;
  private final INDArray[] grads = new INDArray[2];

  private INDArray scratch(INDArray like) {
    scratch = Scratch.fit(scratch, like);
    return scratch;
  }

  private INDArray gradBuffer(int side, INDArray like) {
    grads[side] = Scratch.fit(grads[side], like);
    return grads[side];
  }

  /** into ← base + a·v, without allocating, in one pass (the sums of a copy then axpy). */
  private static INDArray shifted(INDArray into, INDArray base, double a, INDArray v) {
    Vectors.axpyInto(a, v.reshape(into.length()), base.reshape(into.length()), into);
    return into;
  }

  /** (∂²L/∂θ∂λ)·u for a λ-sized u: how ∇θL changes along u. A θ-sized vector. */
  public INDArray crossVector(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray u) {
    return crossVectorInto(level, theta, lambda, batch, u, null);
  }

  /** As {@link #crossVector}, written into {@code into} unless it is null. */
  public INDArray crossVectorInto(Level level, INDArray theta, INDArray lambda, Batch batch,
      INDArray u, INDArray into) {
    double h = step(fd.relativeStep(), lambda, u);
    if (h == 0) {
      return into == null ? oracle.thetaLayout().zeros() : into.assign(0);
    }
    INDArray plus = oracle.evaluateInto(level, theta, lambda.add(u.mul(h)), batch, Wrt.THETA,
        gradBuffer(0, theta)).gradTheta();
    INDArray minus = oracle.evaluateHoldingPattern(level, theta, lambda.sub(u.mul(h)), batch,
        Wrt.THETA, gradBuffer(1, theta)).gradTheta();
    return (into == null ? plus.sub(minus) : plus.sub(minus, into)).divi(2 * h);
  }
}
