package dev.bilevel.estimator.evograd;

import dev.bilevel.graph.ParameterLayout;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Set;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sign perturbations ε_k = ±σ per coordinate (0 outside the perturbed groups), stored as one byte
 * per coordinate for each group of up to seven candidates: bit j is the sign of candidate 7g + j,
 * bit 7 says whether the coordinate is perturbed at all. Forming a candidate, the evolved θ* or
 * the K dot products is then one pass that reads a byte and a 256-entry table per coordinate.
 * Drawn through ND4J as arrays of ±σ, the same work took about ten θ-sized passes and K stored
 * θ-sized arrays, enough traffic to evict the classifier's weights from the caches between its
 * evaluations (docs/performance.md, item 14).
 */
final class SignPerturbations implements Perturbations {
  private static final int PER_BYTE = 7;
  private static final int PERTURBED = 0x80;
  private static final int CHUNK = 1 << 14;
  private final int candidates;
  private final double sigma;
  private final int n;
  private final DataType dtype;
  private final byte[] perturbed;
  private final byte[][] signs;
  private final float[] chunkF = new float[CHUNK];
  private final double[] chunkD = new double[CHUNK];

  SignPerturbations(ParameterLayout layout, Set<String> groups, int candidates, double sigma) {
    if (layout.size() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("EvoGrad's sign noise handles up to 2^31 − 1 inner"
          + " parameters, got " + layout.size());
    }
    this.candidates = candidates;
    this.sigma = sigma;
    this.n = (int) layout.size();
    this.dtype = layout.dtype();
    this.perturbed = new byte[n];
    for (ParameterLayout.Entry e : layout.entries()) {
      if (groups.isEmpty() || groups.contains(e.group())) {
        java.util.Arrays.fill(perturbed, (int) e.offset(), (int) (e.offset() + e.length()),
            (byte) PERTURBED);
      }
    }
    this.signs = new byte[(candidates + PER_BYTE - 1) / PER_BYTE][n];
  }

  /** Each group of seven candidates draws its signs from its own stream of the seed. */
  @Override
  public void draw(long seed) {
    SplittableRandom root = new SplittableRandom(seed);
    for (int g = 0; g < signs.length; g++) {
      byte[] s = signs[g];
      new SplittableRandom(root.nextLong()).nextBytes(s);
      int bits = (1 << width(g)) - 1;
      for (int i = 0; i < n; i++) {
        s[i] = (byte) ((s[i] & bits) | perturbed[i]);
      }
    }
  }

  private int width(int group) {
    return Math.min(PER_BYTE, candidates - PER_BYTE * group);
  }

  @Override
  public void candidate(int k, INDArray theta, INDArray into) {
    int bit = k % PER_BYTE;
    double[] table = new double[256];
    for (int b = PERTURBED; b < 256; b++) {
      table[b] = ((b >>> bit) & 1) != 0 ? sigma : -sigma;
    }
    add(theta, signs[k / PER_BYTE], table, into);
  }

  @Override
  public void evolve(double[] w, INDArray theta, INDArray into) {
    INDArray from = theta;
    for (int g = 0; g < signs.length; g++) {
      double[] table = new double[256];
      for (int b = PERTURBED; b < 256; b++) {
        double sum = 0;
        for (int j = 0; j < width(g); j++) {
          sum += ((b >>> j) & 1) != 0 ? w[PER_BYTE * g + j] : -w[PER_BYTE * g + j];
        }
        table[b] = sigma * sum;
      }
      add(from, signs[g], table, into);
      from = into;
    }
  }

  @Override
  public double[] dots(INDArray g) {
    double[] a = new double[candidates];
    for (int grp = 0; grp < signs.length; grp++) {
      // Σ_i g_i by sign pattern, then each candidate's dot product from the 128 patterns.
      double[] byPattern = sums(g, signs[grp]);
      for (int j = 0; j < width(grp); j++) {
        double dot = 0;
        for (int b = PERTURBED; b < 256; b++) {
          dot += ((b >>> j) & 1) != 0 ? byPattern[b] : -byPattern[b];
        }
        a[PER_BYTE * grp + j] = sigma * dot;
      }
    }
    return a;
  }

  /** into ← from + table[s_i] per coordinate; into may be from. */
  private void add(INDArray from, byte[] s, double[] table, INDArray into) {
    int src = offset(from);
    int dst = offset(into);
    if (dtype == DataType.FLOAT) {
      float[] t = new float[256];
      for (int b = 0; b < 256; b++) {
        t[b] = (float) table[b];
      }
      FloatBuffer in = from.data().asNioFloat();
      FloatBuffer out = into.data().asNioFloat();
      float[] c = chunkF;
      for (int start = 0; start < n; start += CHUNK) {
        int len = Math.min(CHUNK, n - start);
        in.get(src + start, c, 0, len);
        for (int j = 0; j < len; j++) {
          c[j] += t[s[start + j] & 0xff];
        }
        out.put(dst + start, c, 0, len);
      }
    } else {
      DoubleBuffer in = from.data().asNioDouble();
      DoubleBuffer out = into.data().asNioDouble();
      double[] c = chunkD;
      for (int start = 0; start < n; start += CHUNK) {
        int len = Math.min(CHUNK, n - start);
        in.get(src + start, c, 0, len);
        for (int j = 0; j < len; j++) {
          c[j] += table[s[start + j] & 0xff];
        }
        out.put(dst + start, c, 0, len);
      }
    }
  }

  private double[] sums(INDArray g, byte[] s) {
    double[] byPattern = new double[256];
    int src = offset(g);
    if (dtype == DataType.FLOAT) {
      FloatBuffer in = g.data().asNioFloat();
      float[] c = chunkF;
      for (int start = 0; start < n; start += CHUNK) {
        int len = Math.min(CHUNK, n - start);
        in.get(src + start, c, 0, len);
        for (int j = 0; j < len; j++) {
          byPattern[s[start + j] & 0xff] += c[j];
        }
      }
    } else {
      DoubleBuffer in = g.data().asNioDouble();
      double[] c = chunkD;
      for (int start = 0; start < n; start += CHUNK) {
        int len = Math.min(CHUNK, n - start);
        in.get(src + start, c, 0, len);
        for (int j = 0; j < len; j++) {
          byPattern[s[start + j] & 0xff] += c[j];
        }
      }
    }
    return byPattern;
  }

  /** Where a contiguous θ-sized vector of this layout's type starts in its buffer. */
  private int offset(INDArray a) {
    if (a.length() != n || a.elementWiseStride() != 1 || a.dataType() != dtype) {
      throw new IllegalArgumentException("EvoGrad expected a contiguous " + dtype + " vector of "
          + n + " inner parameters, got " + a.dataType() + " " + a.shapeInfoToString().trim());
    }
    return (int) a.offset();
  }
}
