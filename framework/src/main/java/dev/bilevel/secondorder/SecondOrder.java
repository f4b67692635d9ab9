package dev.bilevel.secondorder;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
 * Not thread-safe: the shifted θ is built in one reused buffer.
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

  private double step(INDArray base, INDArray v) {
    double vn = v.norm2Number().doubleValue();
    return vn == 0 ? 0 : fd.relativeStep() * (1 + base.norm2Number().doubleValue()) / vn;
  }

  /** Hessian of L with respect to θ, times a θ-sized vector v. */
  public INDArray hessianVector(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray v) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.THETA).hessianVector();
  }

  /** (∂²L/∂λ∂θ)·v for a θ-sized v: how ∇λL changes along v. */
  public INDArray mixedVector(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray v) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.LAMBDA).mixedVector();
  }

  /** Both products along the same θ-direction v, for the price of two gradient evaluations. */
  public Products both(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray v) {
    return thetaDirection(level, theta, lambda, batch, v, Wrt.BOTH);
  }

  private Products thetaDirection(Level level, INDArray theta, INDArray lambda, Batch batch,
      INDArray v, Wrt wrt) {
    double h = step(theta, v);
    if (h == 0) {
      return new Products(oracle.thetaLayout().zeros(), oracle.lambdaLayout().zeros());
    }
    // One scratch θ for both sides: the oracle copies θ in, so the buffer can be refilled.
    INDArray shifted = scratch(theta);
    Evaluation plus = oracle.evaluate(level, shifted(shifted, theta, h, v), lambda, batch, wrt);
    Evaluation minus = oracle.evaluate(level, shifted(shifted, theta, -h, v), lambda, batch, wrt);
    INDArray hv = wrt == Wrt.LAMBDA ? null
        : plus.gradTheta().sub(minus.gradTheta()).divi(2 * h);
    INDArray mv = wrt == Wrt.THETA ? null
        : plus.gradLambda().sub(minus.gradLambda()).divi(2 * h);
    return new Products(hv, mv);
  }

  private INDArray scratch;

  private INDArray scratch(INDArray like) {
    if (scratch == null || scratch.length() != like.length() || scratch.dataType() != like.dataType()) {
      scratch = Nd4j.createUninitialized(like.dataType(), like.length());
    }
    return scratch;
  }

  /** into ← base + a·v, without allocating. */
  private static INDArray shifted(INDArray into, INDArray base, double a, INDArray v) {
    into.assign(base.reshape(into.length()));
    Nd4j.getBlasWrapper().level1().axpy(into.length(), a, v.reshape(into.length()), into);
    return into;
  }

  /** (∂²L/∂θ∂λ)·u for a λ-sized u: how ∇θL changes along u. A θ-sized vector. */
  public INDArray crossVector(Level level, INDArray theta, INDArray lambda, Batch batch, INDArray u) {
    double h = step(lambda, u);
    if (h == 0) {
      return oracle.thetaLayout().zeros();
    }
    INDArray plus = oracle.gradTheta(level, theta, lambda.add(u.mul(h)), batch);
    INDArray minus = oracle.gradTheta(level, theta, lambda.sub(u.mul(h)), batch);
    return plus.subi(minus).divi(2 * h);
  }
}
