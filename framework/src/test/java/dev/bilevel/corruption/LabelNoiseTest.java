package dev.bilevel.corruption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LabelNoiseTest {
  private static final int C = 10;
  private static final int N = 50_000;

  private static int[] balancedLabels() {
    int[] y = new int[N];
    for (int i = 0; i < N; i++) {
      y[i] = i % C;
    }
    return y;
  }

  /** Four standard errors of a proportion p over n draws. */
  private static double tolerance(double p, int n) {
    return 4 * Math.sqrt(p * (1 - p) / n);
  }

  @Test
  void uniformNoiseFlipsRTimesCMinusOneOverC() {
    NoisyLabels n = LabelNoise.corrupt(balancedLabels(), C, NoiseType.UNIF, 0.4, 7);
    double expected = 0.4 * (C - 1) / C; // 0.36
    assertThat(n.expectedFlipRate()).isCloseTo(expected, within(1e-12));
    assertThat(n.empiricalFlipRate()).isCloseTo(expected, within(tolerance(expected, N)));
    // A changed label is spread uniformly over the other classes.
    int[][] counts = new int[C][C];
    for (int i = 0; i < N; i++) {
      counts[n.clean()[i]][n.labels()[i]]++;
    }
    for (int j = 1; j < C; j++) {
      double p = 0.04;
      assertThat(counts[0][j] / (N / (double) C)).isCloseTo(p, within(tolerance(p, N / C)));
    }
  }

  @Test
  void flipSendsEveryChangedLabelOfAClassToOneOtherClass() {
    NoisyLabels n = LabelNoise.corrupt(balancedLabels(), C, NoiseType.FLIP, 0.4, 3);
    assertThat(n.empiricalFlipRate()).isCloseTo(0.4, within(tolerance(0.4, N)));
    for (int c = 0; c < C; c++) {
      java.util.Set<Integer> targets = new java.util.HashSet<>();
      for (int i = 0; i < N; i++) {
        if (n.clean()[i] == c && n.corrupted(i)) {
          targets.add(n.labels()[i]);
        }
      }
      assertThat(targets).hasSize(1).doesNotContain(c);
      assertThat(n.transition()[c][targets.iterator().next()]).isEqualTo(0.4);
    }
  }

  @Test
  void flip2SplitsTheRateOverTwoOtherClasses() {
    NoisyLabels n = LabelNoise.corrupt(balancedLabels(), C, NoiseType.FLIP2, 0.4, 5);
    assertThat(n.empiricalFlipRate()).isCloseTo(0.4, within(tolerance(0.4, N)));
    for (int c = 0; c < C; c++) {
      int[] to = new int[C];
      int total = 0;
      for (int i = 0; i < N; i++) {
        if (n.clean()[i] == c) {
          to[n.labels()[i]]++;
          total++;
        }
      }
      int nonzero = 0;
      for (int j = 0; j < C; j++) {
        if (j != c && to[j] > 0) {
          nonzero++;
          assertThat(to[j] / (double) total).isCloseTo(0.2, within(tolerance(0.2, total)));
        }
      }
      assertThat(nonzero).isEqualTo(2);
    }
  }

  @Test
  void rowsOfTheTransitionMatrixSumToOneAndMaskMatchesChanges() {
    for (NoiseType t : NoiseType.values()) {
      double[][] m = LabelNoise.transition(t, 0.3, C, 1);
      for (double[] row : m) {
        assertThat(java.util.Arrays.stream(row).sum()).isCloseTo(1.0, within(1e-12));
      }
      NoisyLabels n = LabelNoise.corrupt(balancedLabels(), C, t, 0.3, 9);
      boolean[] mask = n.corruptedMask();
      for (int i = 0; i < N; i++) {
        assertThat(mask[i]).isEqualTo(n.labels()[i] != n.clean()[i]);
      }
    }
    assertThat(LabelNoise.corrupt(balancedLabels(), C, NoiseType.UNIF, 0.0, 1).empiricalFlipRate()).isZero();
  }

  @Test
  void sameSeedSameNoise() {
    int[] a = LabelNoise.corrupt(balancedLabels(), C, NoiseType.FLIP, 0.4, 11).labels();
    int[] b = LabelNoise.corrupt(balancedLabels(), C, NoiseType.FLIP, 0.4, 11).labels();
    assertThat(a).isEqualTo(b);
  }
}
