package dev.bilevel.corruption;

/**
 * Labels after injecting noise, with the ground truth kept for diagnostics.
 *
 * @param labels the observed (possibly corrupted) labels
 * @param clean the true labels
 * @param transition T[i][j] = P(observed j | true i), the matrix the labels were drawn from
 */
public record NoisyLabels(int[] labels, int[] clean, double[][] transition) {

  /** Whether sample i's observed label differs from its true one. */
  public boolean corrupted(int i) {
    return labels[i] != clean[i];
  }

  /** A mask: true where the label was changed. */
  public boolean[] corruptedMask() {
    boolean[] m = new boolean[labels.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = corrupted(i);
    }
    return m;
  }

  /** The fraction of labels that were changed. */
  public double empiricalFlipRate() {
    int n = 0;
    for (int i = 0; i < labels.length; i++) {
      if (corrupted(i)) {
        n++;
      }
    }
    return labels.length == 0 ? 0 : (double) n / labels.length;
  }

  /**
   * The flip rate implied by the transition matrix for the true labels' class frequencies:
   * Σ_i p(i)·(1 − T[i][i]).
   */
  public double expectedFlipRate() {
    double s = 0;
    for (int y : clean) {
      s += 1 - transition[y][y];
    }
    return clean.length == 0 ? 0 : s / clean.length;
  }
}
