package dev.bilevel.corruption;

import java.util.Locale;

/** The label-noise families of Meta-Weight-Net's reference code. */
public enum NoiseType {
  /** T = r·(1/C)·11ᵀ + (1−r)·I: the label is resampled uniformly with probability r. */
  UNIF,
  /** With probability r, to one fixed other class per class. */
  FLIP,
  /** With probability r/2 each, to one of two fixed other classes per class. */
  FLIP2;

  public static NoiseType parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown noise type '" + s + "'; use unif, flip or flip2");
    }
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
