package dev.bilevel.secondorder;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Settings of the finite differences of gradients that stand in for second derivatives (SameDiff
 * cannot differentiate a gradient). The step is h = relativeStep · (1 + ‖θ‖) / ‖v‖: scaled so that
 * the perturbation is small relative to θ whatever the size of v.
 *
 * @param relativeStep the relative step of central differences whose minus side holds the plus
 *     side's activation pattern (error O(h²), plus a bounded error from units that cross their kink
 *     between the base point and the plus side)
 * @param forwardRelativeStep the relative step of forward differences (error O(h))
 * @param pieceRelativeStep the relative step of central differences taken on the base point's own
 *     piece, both sides holding its activation pattern: the function differenced is then smooth
 */
public record FiniteDifferences(double relativeStep, double forwardRelativeStep,
    double pieceRelativeStep) {

  public FiniteDifferences {
    if (!(relativeStep > 0 && relativeStep < 1)) {
      throw new IllegalArgumentException("relative step must be in (0, 1), got " + relativeStep);
    }
    if (!(forwardRelativeStep > 0 && forwardRelativeStep < 1)) {
      throw new IllegalArgumentException("forward relative step must be in (0, 1), got "
          + forwardRelativeStep);
    }
    if (!(pieceRelativeStep > 0 && pieceRelativeStep < 1)) {
      throw new IllegalArgumentException("piece relative step must be in (0, 1), got "
          + pieceRelativeStep);
    }
  }

  /**
   * One central step for both kinds of central difference, and the forward step that balances the
   * same way: the central one to the 3/2.
   */
  public FiniteDifferences(double relativeStep) {
    this(relativeStep, Math.pow(relativeStep, 1.5), relativeStep);
  }

  /**
   * FP64: central cbrt(ε) = 6.1e-6, forward √ε = 1.5e-8, which balance truncation against rounding
   * for smooth functions. FP32: √ε = 3.5e-4 for both. On a ReLU network the smooth-case central
   * step, cbrt(ε) = 4.9e-3, moves θ far enough for many units to cross their kinks, and even with
   * the plus side's activation pattern held (see {@link SecondOrder}) the difference is then taken
   * on a piece further from θ's: on a small Meta-Weight-Net problem one-step's mixed product was 0.7-4.7% off an FP64
   * reference at cbrt(ε) and 0.03-0.25% off at √ε (docs/estimators.md). On θ's own piece nothing
   * crosses, the smooth case holds, and the piece step is cbrt(ε) in both precisions.
   */
  public static FiniteDifferences defaultsFor(DataType dtype) {
    double eps = machineEpsilon(dtype);
    return new FiniteDifferences(dtype == DataType.DOUBLE ? Math.cbrt(eps) : Math.sqrt(eps),
        Math.sqrt(eps), Math.cbrt(eps));
  }

  /** The spacing of floating-point numbers at 1: 2.2e-16 for FP64, 1.2e-7 for FP32 (and below). */
  public static double machineEpsilon(DataType dtype) {
    return dtype == DataType.DOUBLE ? Math.ulp(1.0) : Math.ulp(1.0f);
  }
}
