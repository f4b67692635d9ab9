package dev.bilevel.secondorder;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Settings of the central differences that stand in for second derivatives (SameDiff cannot
 * differentiate a gradient). The step is h = relativeStep · (1 + ‖θ‖) / ‖v‖: scaled so that the
 * perturbation is small relative to θ whatever the size of v.
 *
 * @param relativeStep the relative step; about the cube root of the dtype's machine epsilon balances
 *     truncation (O(h²)) against rounding (O(ε/h))
 */
public record FiniteDifferences(double relativeStep) {

  public FiniteDifferences {
    if (!(relativeStep > 0 && relativeStep < 1)) {
      throw new IllegalArgumentException("relative step must be in (0, 1), got " + relativeStep);
    }
  }

  /** cbrt(machine epsilon): 6.1e-6 for FP64, 4.9e-3 for FP32. */
  public static FiniteDifferences defaultsFor(DataType dtype) {
    double eps = dtype == DataType.DOUBLE ? Math.ulp(1.0) : Math.ulp(1.0f);
    return new FiniteDifferences(Math.cbrt(eps));
  }
}
