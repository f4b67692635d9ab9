package dev.bilevel.mwn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.corruption.Imbalance;
import dev.bilevel.corruption.NoiseType;
import dev.bilevel.data.ImageShape;
import dev.bilevel.data.LabelledImages;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The meta / validation / training split of {@link MwnData}. */
class MwnDataTest {
  private static final int C = 10;
  private static final int PER_CLASS = 200;

  /** 2,000 labels, 200 per class, in a shuffled order. */
  private static int[] labels() {
    int[] l = new int[C * PER_CLASS];
    Arrays.setAll(l, i -> i % C);
    SplittableRandom r = new SplittableRandom(99);
    for (int i = l.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = l[i];
      l[i] = l[j];
      l[j] = t;
    }
    return l;
  }

  /** 1×2 images whose two pixels are the image's index, so that a subset's images can be traced back. */
  private static LabelledImages images(int[] labels) {
    byte[] px = new byte[2 * labels.length];
    for (int i = 0; i < labels.length; i++) {
      px[2 * i] = (byte) (i >>> 8);
      px[2 * i + 1] = (byte) i;
    }
    return LabelledImages.of(px, labels, C, ImageShape.grey(1, 2));
  }

  private static int[] origin(LabelledImages s) {
    int[] idx = new int[s.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = (s.pixel(i, 0) << 8) | s.pixel(i, 1);
    }
    return idx;
  }

  private static int[] countPerClass(int[] labels, int[] idx) {
    int[] n = new int[C];
    for (int i : idx) {
      n[labels[i]]++;
    }
    return n;
  }

  @Test
  void withoutValidationTheSplitIsTheOneDrawnBeforeTheOption() {
    int[] labels = labels();
    for (double imbalance : new double[] {1, 100}) {
      for (long seed : new long[] {1, 2, 5}) {
        // The split as MwnData drew it before --val-per-class existed.
        int[] all = new int[labels.length];
        Arrays.setAll(all, i -> i);
        int[] metaCounts = new int[C];
        Arrays.fill(metaCounts, 10);
        int[] meta = Imbalance.select(labels, all, metaCounts, seed * 1_000_003L + 11);
        Set<Integer> m = new HashSet<>();
        Arrays.stream(meta).forEach(m::add);
        int[] rest = Arrays.stream(all).filter(i -> !m.contains(i)).toArray();
        int[] train = Imbalance.select(labels, rest, Imbalance.counts(150, C, imbalance), seed * 1_000_003L + 23);
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + 29);
        for (int i = train.length - 1; i > 0; i--) {
          int j = r.nextInt(i + 1);
          int t = train[i];
          train[i] = train[j];
          train[j] = t;
        }
        MwnData.Indices s = MwnData.split(labels, C, 10, 0, 150, imbalance, seed);
        assertThat(s.meta()).isEqualTo(meta);
        assertThat(s.train()).as("imbalance %s seed %d", imbalance, seed).isEqualTo(train);
        assertThat(s.val()).isEmpty();
      }
    }
  }

  @Test
  void validationIsDisjointBalancedAndLeavesTheMetaSetAlone() {
    int[] labels = labels();
    for (double imbalance : new double[] {1, 100}) {
      MwnData.Indices none = MwnData.split(labels, C, 10, 0, 150, imbalance, 4);
      MwnData.Indices s = MwnData.split(labels, C, 10, 30, 150, imbalance, 4);
      assertThat(s.meta()).as("meta set unchanged by the validation set").isEqualTo(none.meta());
      int[] valCounts = new int[C];
      Arrays.fill(valCounts, 30);
      assertThat(countPerClass(labels, s.val())).as("validation per class, imbalance %s", imbalance)
          .isEqualTo(valCounts);
      assertThat(countPerClass(labels, s.train())).isEqualTo(Imbalance.counts(150, C, imbalance));
      Set<Integer> seen = new HashSet<>();
      for (int[] part : new int[][] {s.meta(), s.val(), s.train()}) {
        for (int i : part) {
          assertThat(seen.add(i)).as("index %d in two parts", i).isTrue();
        }
      }
      assertThat(seen).hasSize(s.meta().length + 30 * C + Arrays.stream(Imbalance.counts(150, C, imbalance)).sum());
    }
    // 200 per class cannot hold 10 meta + 60 validation + 150 training images of class 0.
    assertThatThrownBy(() -> MwnData.split(labels, C, 10, 60, 150, 1, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MwnData.split(labels, C, 10, -1, 150, 1, 4)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void preparedValidationImagesKeepTheirTrueLabelsAndAreNeverTrainingImages() {
    int[] labels = labels();
    LabelledImages full = images(labels);
    MwnData none = MwnData.prepare(full, full, 10, 0, 150, 1, NoiseType.UNIF, 0.4, 3);
    assertThat(none.val()).isNull();
    MwnData d = MwnData.prepare(full, full, 10, 20, 150, 1, NoiseType.UNIF, 0.4, 3);
    int[] val = origin(d.val());
    int[] train = origin(d.train());
    int[] meta = origin(d.meta());
    assertThat(val).hasSize(20 * C).doesNotContain(train).doesNotContain(meta);
    for (int i = 0; i < val.length; i++) {
      assertThat(d.val().label(i)).isEqualTo(labels[val[i]]);
    }
    // The training labels are noisy (about 36% changed at unif 0.4), the clean ones are the true labels.
    int changed = 0;
    for (int i = 0; i < train.length; i++) {
      assertThat(d.noise().clean()[i]).isEqualTo(labels[train[i]]);
      changed += d.train().label(i) != labels[train[i]] ? 1 : 0;
    }
    assertThat(changed).isBetween(400, 680);
  }
}
