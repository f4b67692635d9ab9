package dev.bilevel.estimator.onestep;

/**
 * Settings of the one-step (T1-T2) estimator.
 *
 * @param learningRateOverride the virtual step's η; NaN (the default) uses the inner optimizer's
 *     current learning rate
 * @param mixedProduct how the mixed second derivative times ∇θL_out is differenced
 */
public record OneStepConfig(double learningRateOverride, MixedProduct mixedProduct) {

  /** The finite difference behind (∂²L_in/∂λ∂θ)·v. */
  public enum MixedProduct {
    /**
     * (∇λL_in(θ + hv) − ∇λL_in(θ − hv)) / 2h on θ's own piece (both sides hold θ's activation
     * pattern): two ∇λ evaluations, error O(h²), with
     * {@link dev.bilevel.secondorder.FiniteDifferences#pieceRelativeStep()} (cbrt(ε)). The default.
     */
    CENTRAL,
    /**
     * (∇λL_in(θ + hv) − ∇λL_in(θ)) / h, with ∇λL_in(θ) taken in the same pass as the virtual step's
     * ∇θL_in(θ), θ + hv holding θ's pattern: one ∇λ evaluation fewer, error O(h), with
     * {@link dev.bilevel.secondorder.FiniteDifferences#forwardRelativeStep()} (√ε).
     */
    FORWARD
  }

  public OneStepConfig {
    if (!Double.isNaN(learningRateOverride) && !(learningRateOverride > 0)) {
      throw new IllegalArgumentException("one-step learning rate must be positive, got "
          + learningRateOverride);
    }
    if (mixedProduct == null) {
      throw new IllegalArgumentException("one-step mixedProduct must be CENTRAL or FORWARD, got null");
    }
  }

  public static OneStepConfig defaults() {
    return new OneStepConfig(Double.NaN, MixedProduct.CENTRAL);
  }

  /** A fixed virtual-step learning rate instead of the inner optimizer's. */
  public OneStepConfig learningRate(double eta) {
    return new OneStepConfig(eta, mixedProduct);
  }

  /** How the mixed product is differenced: {@code FORWARD} saves one ∇λ evaluation per estimate. */
  public OneStepConfig mixedProduct(MixedProduct m) {
    return new OneStepConfig(learningRateOverride, m);
  }
}
