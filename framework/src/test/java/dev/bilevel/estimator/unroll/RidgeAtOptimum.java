package dev.bilevel.estimator.unroll;

import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.optim.Sgd;
import dev.bilevel.secondorder.SecondOrder;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.inverse.InvertMatrix;

/**
 * Ridge regression (per-feature λ) solved to convergence, with the implicit-function-theorem
 * hypergradient in closed form: θ* = (H)⁻¹ Xᵀy/n with H = XᵀX/n + diag(λ) + wd·I, and
 * dL_out(θ*(λ))/dλ = −diag(θ*) H⁻¹ ∇L_out(θ*) (with damping δ, H + δI in the solve).
 */
public final class RidgeAtOptimum {
  public final Ridge ridge;
  public final CompiledProblem oracle;
  public final INDArray lambda;

  public RidgeAtOptimum(int features, long seed) {
    ridge = new Ridge(features, 4 * features, 3 * features, true, seed);
    oracle = ridge.problem(0.1, 0.1).compile();
    double[] l = new double[features];
    for (int i = 0; i < features; i++) {
      l[i] = 0.05 * (i + 1);
    }
    lambda = Nd4j.createFromArray(l);
  }

  /** H + (wd + δ)·I. */
  public INDArray hessian(double shift) {
    INDArray h = ridge.hessian(lambda);
    for (int i = 0; i < ridge.features; i++) {
      h.putScalar(i, i, h.getDouble(i, i) + shift);
    }
    return h;
  }

  /** θ*(λ) for an inner weight decay wd. */
  public INDArray optimum(INDArray lam, double wd) {
    INDArray h = ridge.hessian(lam);
    for (int i = 0; i < ridge.features; i++) {
      h.putScalar(i, i, h.getDouble(i, i) + wd);
    }
    INDArray rhs = ridge.xTrain.transpose().mmul(ridge.yTrain).div(ridge.xTrain.rows());
    return InvertMatrix.invert(h, false).mmul(rhs).reshape(ridge.features);
  }

  /** The implicit hypergradient at θ*, the solve done with H + wd·I + δ·I. */
  public INDArray implicitHypergradient(double wd, double damping) {
    INDArray theta = optimum(lambda, wd);
    INDArray b = ridge.outerGradient(theta).reshape(ridge.features, 1);
    INDArray x = InvertMatrix.invert(hessian(wd + damping), false).mmul(b).reshape(ridge.features);
    return theta.mul(x).negi();
  }

  /** The outer loss at θ*(λ), to check the closed form against finite differences. */
  public double outerAtOptimum(INDArray lam) {
    INDArray theta = optimum(lam, 0).reshape(ridge.features, 1);
    INDArray r = ridge.xVal.mmul(theta).sub(ridge.yVal);
    return r.mul(r).meanNumber().doubleValue() * 0.5;
  }

  /** A context at θ* with the full training set as the inner batch. */
  public EstimationContext context(OptimizerSpec spec, double wd) {
    return new EstimationContext(oracle, new SecondOrder(oracle), optimum(lambda, wd), lambda,
        ridge.train(), ridge.val(), spec, ((Sgd) spec).learningRate(), Trajectory.empty(), 1, 0);
  }
}
