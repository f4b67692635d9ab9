package dev.bilevel.estimator.forward;

/**
 * Settings of forward-mode differentiation.
 *
 * @param maxLambdaDimension the largest λ dimension accepted: forward mode carries one θ-sized
 *     tangent per λ coordinate and costs about four gradient evaluations per coordinate and step
 */
public record ForwardConfig(int maxLambdaDimension) {

  public ForwardConfig {
    if (maxLambdaDimension < 1) {
      throw new IllegalArgumentException("forward maxLambdaDimension must be at least 1, got "
          + maxLambdaDimension);
    }
  }

  /** At most 32 λ coordinates. */
  public static ForwardConfig defaults() {
    return new ForwardConfig(32);
  }

  /** Accept up to {@code n} λ coordinates. */
  public ForwardConfig maxLambdaDimension(int n) {
    return new ForwardConfig(n);
  }
}
