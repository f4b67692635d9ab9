package dev.bilevel.dsl;

/** Whether a meta-update happens before or after the inner update of the same step. */
public enum UpdateOrder {
  /** Meta-Weight-Net, MetaXL: hypergradient at the pre-update θ, then the inner step with the new λ. */
  META_FIRST,
  /** LFT, rotation: inner step first, then the hypergradient at the updated θ. */
  BASE_FIRST
}
