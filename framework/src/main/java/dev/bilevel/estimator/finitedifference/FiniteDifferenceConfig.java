package dev.bilevel.estimator.finitedifference;

import dev.bilevel.secondorder.FiniteDifferences;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Settings of the finite-difference hypergradient.
 *
 * @param relativeStep h_j = relativeStep · (1 + |λ_j|); NaN (the default) uses the cube root of the
 *     problem dtype's machine epsilon (6.1e-6 for FP64, 4.9e-3 for FP32), which balances the O(h²)
 *     truncation error of a central difference of values against its O(ε/h) rounding error
 * @param maxLambdaDimension the largest λ dimension accepted: each coordinate costs two replays of
 *     the window
 */
public record FiniteDifferenceConfig(double relativeStep, int maxLambdaDimension) {

  public FiniteDifferenceConfig {
    if (!Double.isNaN(relativeStep) && !(relativeStep > 0 && relativeStep < 1)) {
      throw new IllegalArgumentException("finite-difference relative step must be in (0, 1), got "
          + relativeStep);
    }
    if (maxLambdaDimension < 1) {
      throw new IllegalArgumentException("finite-difference maxLambdaDimension must be at least 1,"
          + " got " + maxLambdaDimension);
    }
  }

  /** The dtype's default step, at most 64 λ coordinates. */
  public static FiniteDifferenceConfig defaults() {
    return new FiniteDifferenceConfig(Double.NaN, 64);
  }

  /** The step used when none is set: cbrt(machine epsilon) of the problem's dtype. */
  public static double defaultStep(DataType dtype) {
    return Math.cbrt(FiniteDifferences.machineEpsilon(dtype));
  }

  public FiniteDifferenceConfig relativeStep(double step) {
    return new FiniteDifferenceConfig(step, maxLambdaDimension);
  }

  public FiniteDifferenceConfig maxLambdaDimension(int n) {
    return new FiniteDifferenceConfig(relativeStep, n);
  }
}
