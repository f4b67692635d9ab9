package dev.bilevel.mwn;

import dev.bilevel.corruption.Imbalance;
import dev.bilevel.corruption.LabelNoise;
import dev.bilevel.corruption.NoiseType;
import dev.bilevel.corruption.NoisyLabels;
import dev.bilevel.data.LabelledImages;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The splits of one seed: a clean, balanced meta set taken out of the training images, a training
 * subset (balanced, or long-tailed) with injected label noise, and the clean test set.
 *
 * @param train training images with the observed (noisy) labels
 * @param noise observed and true labels of {@code train}, and the transition matrix
 * @param meta the clean meta set
 * @param test the clean test set
 */
public record MwnData(LabelledImages train, NoisyLabels noise, LabelledImages meta, LabelledImages test) {

  /**
   * @param perClass training images per class for a balanced set, or n_max when long-tailed
   * @param imbalance n_max / n_min (1 = balanced)
   */
  public static MwnData prepare(LabelledImages fullTrain, LabelledImages test, int metaPerClass,
      int perClass, double imbalance, NoiseType noiseType, double rate, long seed) {
    int c = fullTrain.numClasses();
    int[] labels = fullTrain.labels();
    int[] all = new int[labels.length];
    Arrays.setAll(all, i -> i);
    int[] metaCounts = new int[c];
    Arrays.fill(metaCounts, metaPerClass);
    int[] metaIdx = Imbalance.select(labels, all, metaCounts, seed * 1_000_003L + 11);
    boolean[] used = new boolean[labels.length];
    for (int i : metaIdx) {
      used[i] = true;
    }
    int[] rest = Arrays.stream(all).filter(i -> !used[i]).toArray();
    int[] counts = Imbalance.counts(perClass, c, imbalance);
    int[] trainIdx = Imbalance.select(labels, rest, counts, seed * 1_000_003L + 23);
    // Interleave classes so that no batch order artefact comes from the class-by-class layout.
    shuffle(trainIdx, seed * 1_000_003L + 29);
    LabelledImages train = fullTrain.subset(trainIdx);
    NoisyLabels noise = LabelNoise.corrupt(train.labels(), c, noiseType, rate, seed * 1_000_003L + 37);
    return new MwnData(train.withLabels(noise.labels()), noise, fullTrain.subset(metaIdx), test);
  }

  private static void shuffle(int[] a, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
