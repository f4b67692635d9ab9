package dev.bilevel.corruption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImbalanceTest {
  @Test
  void countsFollowTheExponentialProfile() {
    int[] n = Imbalance.counts(500, 10, 100);
    for (int c = 0; c < 10; c++) {
      assertThat(n[c]).isEqualTo((int) Math.floor(500 * Math.pow(0.01, c / 9.0) + 1e-9));
    }
    assertThat(n[0]).isEqualTo(500);
    assertThat(n[9]).isEqualTo(5);
    assertThat(n).isSortedAccordingTo((a, b) -> Integer.compare(b, a));
    assertThat(Imbalance.counts(300, 10, 1)).containsOnly(300);
  }

  @Test
  void selectPicksThatManyDistinctExamplesOfEachClass() {
    int[] labels = new int[10_000];
    int[] candidates = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 10;
      candidates[i] = i;
    }
    int[] counts = Imbalance.counts(500, 10, 100);
    int[] idx = Imbalance.select(labels, candidates, counts, 4);
    int[] got = new int[10];
    for (int i : idx) {
      got[labels[i]]++;
    }
    assertThat(got).isEqualTo(counts);
    assertThat(java.util.Arrays.stream(idx).distinct().count()).isEqualTo(idx.length);
    assertThatThrownBy(() -> Imbalance.select(labels, candidates, new int[] {2000, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1))
        .hasMessageContaining("class 0 has 1000");
  }
}
