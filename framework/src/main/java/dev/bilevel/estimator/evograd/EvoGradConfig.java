package dev.bilevel.estimator.evograd;

import java.util.Set;

/**
 * Settings of EvoGrad (Bohdal et al., NeurIPS 2021).
 *
 * @param candidates K, the number of perturbed copies of θ (at least 2)
 * @param sigma σ, the perturbation size
 * @param temperature τ of the softmax over candidate losses
 * @param noise ±σ per scalar (the paper's real experiments) or σ·N(0, 1) (its 1-D illustration)
 * @param perturbedGroups the inner groups perturbed; empty means all of them
 */
public record EvoGradConfig(int candidates, double sigma, double temperature, Noise noise,
    Set<String> perturbedGroups) {

  /** How candidates are drawn around θ. */
  public enum Noise {
    /** ε = σ·sign(N(0, 1)): ±σ with probability ½ each. */
    SIGN,
    /** ε = σ·N(0, 1). */
    GAUSSIAN
  }

  public EvoGradConfig {
    if (candidates < 2) {
      throw new IllegalArgumentException("EvoGrad needs at least 2 candidates, got " + candidates);
    }
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException("EvoGrad sigma must be positive and finite, got " + sigma);
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("EvoGrad temperature must be positive and finite, got "
          + temperature);
    }
    java.util.Objects.requireNonNull(noise, "noise");
    perturbedGroups = Set.copyOf(perturbedGroups);
  }

  /** K = 2, σ = 1e-3, τ = 0.05, sign noise, every inner group: the paper's settings. */
  public static EvoGradConfig defaults() {
    return new EvoGradConfig(2, 1e-3, 0.05, Noise.SIGN, Set.of());
  }

  public EvoGradConfig candidates(int k) {
    return new EvoGradConfig(k, sigma, temperature, noise, perturbedGroups);
  }

  public EvoGradConfig sigma(double s) {
    return new EvoGradConfig(candidates, s, temperature, noise, perturbedGroups);
  }

  public EvoGradConfig temperature(double t) {
    return new EvoGradConfig(candidates, sigma, t, noise, perturbedGroups);
  }

  public EvoGradConfig noise(Noise n) {
    return new EvoGradConfig(candidates, sigma, temperature, n, perturbedGroups);
  }

  /** Perturb only these inner groups (MetaXL perturbs only the classifier head). */
  public EvoGradConfig perturb(String... groups) {
    return new EvoGradConfig(candidates, sigma, temperature, noise, Set.of(groups));
  }
}
