package dev.bilevel.corruption;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Long-tailed class imbalance: n_c = ⌊n_max·μ^(c/(C−1))⌋ with μ = 1 / factor. */
public final class Imbalance {
  private Imbalance() {}

  /** The per-class counts for an imbalance factor n_0/n_{C−1} (1 = balanced). */
  public static int[] counts(int nMax, int numClasses, double factor) {
    if (!(factor >= 1)) {
      throw new IllegalArgumentException("imbalance factor must be ≥ 1, got " + factor);
    }
    int[] n = new int[numClasses];
    double mu = 1.0 / factor;
    for (int c = 0; c < numClasses; c++) {
      double e = numClasses == 1 ? 0 : (double) c / (numClasses - 1);
      n[c] = Math.max(1, (int) Math.floor(nMax * Math.pow(mu, e) + 1e-9));
    }
    return n;
  }

  /**
   * Picks, for each class c, {@code counts[c]} examples at random among those of {@code
   * candidates} (indices into {@code labels}) that have label c.
   *
   * @return the chosen indices, class after class
   * @throws IllegalArgumentException if a class has too few candidates
   */
  public static int[] select(int[] labels, int[] candidates, int[] counts, long seed) {
    List<List<Integer>> byClass = new ArrayList<>();
    for (int c = 0; c < counts.length; c++) {
      byClass.add(new ArrayList<>());
    }
    for (int i : candidates) {
      byClass.get(labels[i]).add(i);
    }
    SplittableRandom random = new SplittableRandom(seed);
    int total = 0;
    for (int n : counts) {
      total += n;
    }
    int[] out = new int[total];
    int k = 0;
    for (int c = 0; c < counts.length; c++) {
      List<Integer> pool = byClass.get(c);
      if (pool.size() < counts[c]) {
        throw new IllegalArgumentException("class " + c + " has " + pool.size()
            + " examples, fewer than the " + counts[c] + " asked for");
      }
      for (int i = 0; i < counts[c]; i++) { // partial Fisher-Yates
        int j = i + random.nextInt(pool.size() - i);
        Integer t = pool.get(i);
        pool.set(i, pool.get(j));
        pool.set(j, t);
        out[k++] = pool.get(i);
      }
    }
    return out;
  }
}
