package dev.bilevel.mwn;

import dev.bilevel.corruption.Imbalance;
import dev.bilevel.corruption.LabelNoise;
import dev.bilevel.corruption.NoiseType;
import dev.bilevel.corruption.NoisyLabels;
import dev.bilevel.data.LabelledImages;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The splits of one seed: a clean, balanced meta set taken out of the training images, optionally a
 * clean, balanced validation set taken out of what is left (for selecting hyperparameters without
 * the test set), a training subset (balanced, or long-tailed) of the rest with injected label
 * noise, and the clean test set.
 *
 * @param train training images with the observed (noisy) labels
 * @param noise observed and true labels of {@code train}, and the transition matrix
 * @param meta the clean meta set
 * @param val the clean validation set (true labels, never trained on), or null when there is none
 * @param test the clean test set
 */
public record MwnData(LabelledImages train, NoisyLabels noise, LabelledImages meta, LabelledImages val,
    LabelledImages test) {

  /**
   * Indices into the full training split of the three disjoint parts.
   *
   * @param meta the meta set, {@code metaPerClass} of each class
   * @param val the validation set, {@code valPerClass} of each class (empty when 0)
   * @param train the training set, shuffled
   */
  record Indices(int[] meta, int[] val, int[] train) {}

  /**
   * @param perClass training images per class for a balanced set, or n_max when long-tailed
   * @param imbalance n_max / n_min (1 = balanced)
   * @param valPerClass clean validation images per class (0 = none, and the other splits exactly as
   *     without this option)
   */
  public static MwnData prepare(LabelledImages fullTrain, LabelledImages test, int metaPerClass,
      int valPerClass, int perClass, double imbalance, NoiseType noiseType, double rate, long seed) {
    int c = fullTrain.numClasses();
    Indices idx = split(fullTrain.labels(), c, metaPerClass, valPerClass, perClass, imbalance, seed);
    LabelledImages train = fullTrain.subset(idx.train());
    NoisyLabels noise = LabelNoise.corrupt(train.labels(), c, noiseType, rate, seed * 1_000_003L + 37);
    return new MwnData(train.withLabels(noise.labels()), noise, fullTrain.subset(idx.meta()),
        idx.val().length == 0 ? null : fullTrain.subset(idx.val()), test);
  }

  /**
   * The meta set is drawn first (the same with or without a validation set), then the validation
   * set from the rest, then the training set from what is left; with {@code valPerClass} 0 no random
   * number is drawn for the validation set, so the training set is the one drawn without it.
   */
  static Indices split(int[] labels, int c, int metaPerClass, int valPerClass, int perClass, double imbalance,
      long seed) {
    if (valPerClass < 0) {
      throw new IllegalArgumentException("val-per-class must be non-negative, got " + valPerClass);
    }
    int[] all = new int[labels.length];
    Arrays.setAll(all, i -> i);
    int[] metaCounts = new int[c];
    Arrays.fill(metaCounts, metaPerClass);
    int[] metaIdx = Imbalance.select(labels, all, metaCounts, seed * 1_000_003L + 11);
    int[] rest = without(all, metaIdx, labels.length);
    int[] valIdx = new int[0];
    if (valPerClass > 0) {
      int[] valCounts = new int[c];
      Arrays.fill(valCounts, valPerClass);
      valIdx = Imbalance.select(labels, rest, valCounts, seed * 1_000_003L + 17);
      rest = without(rest, valIdx, labels.length);
    }
    int[] counts = Imbalance.counts(perClass, c, imbalance);
    int[] trainIdx = Imbalance.select(labels, rest, counts, seed * 1_000_003L + 23);
    // Interleave classes so that no batch order artefact comes from the class-by-class layout.
    shuffle(trainIdx, seed * 1_000_003L + 29);
    return new Indices(metaIdx, valIdx, trainIdx);
  }

  private static int[] without(int[] from, int[] drop, int n) {
    boolean[] used = new boolean[n];
    for (int i : drop) {
      used[i] = true;
    }
    return Arrays.stream(from).filter(i -> !used[i]).toArray();
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
