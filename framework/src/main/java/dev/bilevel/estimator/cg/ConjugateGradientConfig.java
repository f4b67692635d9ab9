package dev.bilevel.estimator.cg;

/**
 * Settings of the conjugate-gradient implicit hypergradient.
 *
 * @param maxIterations the most CG iterations (Hessian-vector products); CG on a d-dimensional
 *     positive-definite system converges in at most d of them in exact arithmetic
 * @param tolerance stop when ‖r‖ ≤ tolerance · ‖b‖ (relative residual)
 * @param damping δ ≥ 0 added to the Hessian's diagonal, solving (H + δI) x = b: regularises a
 *     singular or indefinite Hessian (Rajeswaran et al.'s iMAML uses it)
 */
public record ConjugateGradientConfig(int maxIterations, double tolerance, double damping) {

  public ConjugateGradientConfig {
    if (maxIterations < 1) {
      throw new IllegalArgumentException("conjugate-gradient maxIterations must be at least 1, got "
          + maxIterations);
    }
    if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
      throw new IllegalArgumentException("conjugate-gradient tolerance must be non-negative and"
          + " finite, got " + tolerance);
    }
    if (!(damping >= 0) || Double.isInfinite(damping)) {
      throw new IllegalArgumentException("conjugate-gradient damping must be non-negative and"
          + " finite, got " + damping);
    }
  }

  /** 50 iterations, relative tolerance 1e-6, no damping. */
  public static ConjugateGradientConfig defaults() {
    return new ConjugateGradientConfig(50, 1e-6, 0);
  }

  public ConjugateGradientConfig maxIterations(int n) {
    return new ConjugateGradientConfig(n, tolerance, damping);
  }

  public ConjugateGradientConfig tolerance(double relativeResidual) {
    return new ConjugateGradientConfig(maxIterations, relativeResidual, damping);
  }

  public ConjugateGradientConfig damping(double delta) {
    return new ConjugateGradientConfig(maxIterations, tolerance, delta);
  }
}
