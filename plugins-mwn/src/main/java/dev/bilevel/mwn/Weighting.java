package dev.bilevel.mwn;

import java.util.Locale;

/** How the per-sample weights v_i = V(ℓ_i) enter the inner loss. */
public enum Weighting {
  /** Σ v_i ℓ_i / Σ v_i (the WRN script and the class-imbalance repository). */
  NORMALISED,
  /** (1/n) Σ v_i ℓ_i (the "stable" MW-Net.py). */
  MEAN,
  /** (1/n) Σ ℓ_i: plain training; V is evaluated for diagnostics only and gets no gradient. */
  UNIFORM;

  public static Weighting parse(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "normalised", "normalized", "sum" -> NORMALISED;
      case "mean" -> MEAN;
      case "uniform", "none" -> UNIFORM;
      default -> throw new IllegalArgumentException(
          "unknown weighting '" + s + "'; use normalised or mean");
    };
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
