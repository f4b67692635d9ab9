package dev.bilevel.corruption;

import java.util.SplittableRandom;

/**
 * Injects label noise as in Meta-Weight-Net's reference code. Each family is a transition matrix
 * T (row = true class, column = observed class), and every label is drawn from its row with one
 * seeded generator, so the corruption is a pure function of (labels, type, rate, seed).
 *
 * <ul>
 *   <li>{@code unif}: T = r·(1/C)·11ᵀ + (1−r)·I, so a label actually changes with probability
 *       r·(C−1)/C;
 *   <li>{@code flip}: T[c][c] = 1−r and T[c][p(c)] = r for one other class p(c) chosen at random
 *       per class;
 *   <li>{@code flip2}: T[c][c] = 1−r and r/2 to each of two distinct other classes.
 * </ul>
 */
public final class LabelNoise {
  private LabelNoise() {}

  /** The transition matrix of a family; the random targets of flip/flip2 come from {@code seed}. */
  public static double[][] transition(NoiseType type, double rate, int numClasses, long seed) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("noise rate must be in [0, 1], got " + rate);
    }
    if (numClasses < (type == NoiseType.FLIP2 ? 3 : 2)) {
      throw new IllegalArgumentException(type.id() + " noise needs more classes than " + numClasses);
    }
    int c = numClasses;
    double[][] t = new double[c][c];
    SplittableRandom random = new SplittableRandom(seed ^ 0x7F4A7C159E3779B9L);
    for (int i = 0; i < c; i++) {
      switch (type) {
        case UNIF -> {
          for (int j = 0; j < c; j++) {
            t[i][j] = rate / c;
          }
          t[i][i] += 1 - rate;
        }
        case FLIP -> {
          int other = otherClass(random, c, i, -1);
          t[i][i] = 1 - rate;
          t[i][other] = rate;
        }
        case FLIP2 -> {
          int a = otherClass(random, c, i, -1);
          int b = otherClass(random, c, i, a);
          t[i][i] = 1 - rate;
          t[i][a] = rate / 2;
          t[i][b] = rate / 2;
        }
      }
    }
    return t;
  }

  private static int otherClass(SplittableRandom random, int c, int not1, int not2) {
    while (true) {
      int k = random.nextInt(c);
      if (k != not1 && k != not2) {
        return k;
      }
    }
  }

  /** Draws noisy labels for {@code clean} from the family's transition matrix. */
  public static NoisyLabels corrupt(int[] clean, int numClasses, NoiseType type, double rate, long seed) {
    double[][] t = transition(type, rate, numClasses, seed);
    SplittableRandom random = new SplittableRandom(seed);
    int[] noisy = new int[clean.length];
    for (int i = 0; i < clean.length; i++) {
      double u = random.nextDouble();
      double[] row = t[clean[i]];
      int j = 0;
      double acc = row[0];
      while (u >= acc && j < numClasses - 1) {
        j++;
        acc += row[j];
      }
      noisy[i] = j;
    }
    return new NoisyLabels(noisy, clean.clone(), t);
  }
}
