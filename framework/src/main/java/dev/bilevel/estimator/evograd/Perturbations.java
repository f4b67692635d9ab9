package dev.bilevel.estimator.evograd;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The K perturbations ε_1 … ε_K of one meta-iteration, and the three θ-sized things EvoGrad does
 * with them. Drawn once per meta-iteration from its seed, so the same seed gives the same ε_k.
 */
interface Perturbations {
  /** Draws ε_1 … ε_K for a meta-iteration seeded by {@code seed}, replacing the previous ones. */
  void draw(long seed);

  /** into ← θ + ε_k. */
  void candidate(int k, INDArray theta, INDArray into);

  /** into ← θ + Σ_k w_k ε_k. */
  void evolve(double[] w, INDArray theta, INDArray into);

  /** The K dot products g · ε_k. */
  double[] dots(INDArray g);
}
