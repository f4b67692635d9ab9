package dev.bilevel.estimator.evograd;

import dev.bilevel.graph.ParameterLayout;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gaussian perturbations ε_k = σ·N(0, I) (masked to the perturbed groups), each from its own seed.
 * They are kept as K θ-sized arrays while K·|θ| ≤ 2^26 scalars, and redrawn from their seeds
 * otherwise, which bounds memory for large K.
 *
 * <p>The normal deviates come from a {@link SplittableRandom}, written in chunks into the native
 * buffer: ND4J 1.0.0-M2.1's native Gaussian op took 8 ms for the 269,322 weights of the MWN MLP,
 * Java's ziggurat plus the copy 2.5 ms.
 */
final class GaussianPerturbations implements Perturbations {
  private static final long CACHE_LIMIT = 1L << 26;
  private static final int CHUNK = 1 << 14;
  private final double sigma;
  private final INDArray mask;
  private final INDArray[] kept; // one per candidate while K·|θ| is small, else one redraw buffer
  private final long[] seeds;
  private final float[] chunkF = new float[CHUNK];
  private final double[] chunkD = new double[CHUNK];

  /** @param mask 1 on perturbed coordinates and 0 elsewhere, or null for all of them */
  GaussianPerturbations(ParameterLayout layout, INDArray mask, int candidates, double sigma) {
    if (layout.dtype() != DataType.FLOAT && layout.dtype() != DataType.DOUBLE) {
      throw new IllegalStateException("EvoGrad draws Gaussian noise for FLOAT or DOUBLE"
          + " parameters, not " + layout.dtype());
    }
    this.sigma = sigma;
    this.mask = mask;
    this.seeds = new long[candidates];
    boolean keep = (long) candidates * layout.size() <= CACHE_LIMIT;
    this.kept = new INDArray[keep ? candidates : 1];
    for (int i = 0; i < kept.length; i++) {
      kept[i] = Nd4j.createUninitialized(layout.dtype(), layout.size());
    }
  }

  @Override
  public void draw(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = r.nextLong();
    }
    if (kept.length > 1) {
      for (int i = 0; i < seeds.length; i++) {
        fill(seeds[i], kept[i]);
      }
    }
  }

  /** ε_k: the kept array, or redrawn from its seed into the single buffer. */
  private INDArray eps(int k) {
    if (kept.length > 1) {
      return kept[k];
    }
    return fill(seeds[k], kept[0]);
  }

  @Override
  public void candidate(int k, INDArray theta, INDArray into) {
    theta.add(eps(k), into);
  }

  @Override
  public void evolve(double[] w, INDArray theta, INDArray into) {
    into.assign(theta);
    for (int k = 0; k < w.length; k++) {
      Nd4j.getBlasWrapper().level1().axpy(into.length(), w[k], eps(k), into);
    }
  }

  @Override
  public double[] dots(INDArray g) {
    double[] a = new double[seeds.length];
    for (int k = 0; k < a.length; k++) {
      a[k] = Nd4j.getBlasWrapper().dot(g, eps(k));
    }
    return a;
  }

  private INDArray fill(long seed, INDArray eps) {
    SplittableRandom r = new SplittableRandom(seed);
    long n = eps.length();
    int base = (int) eps.offset();
    if (eps.dataType() == DataType.DOUBLE) {
      DoubleBuffer out = eps.data().asNioDouble();
      for (long done = 0; done < n; done += CHUNK) {
        int len = (int) Math.min(CHUNK, n - done);
        for (int i = 0; i < len; i++) {
          chunkD[i] = sigma * r.nextGaussian();
        }
        out.put(base + (int) done, chunkD, 0, len);
      }
    } else {
      FloatBuffer out = eps.data().asNioFloat();
      for (long done = 0; done < n; done += CHUNK) {
        int len = (int) Math.min(CHUNK, n - done);
        for (int i = 0; i < len; i++) {
          chunkF[i] = (float) (sigma * r.nextGaussian());
        }
        out.put(base + (int) done, chunkF, 0, len);
      }
    }
    return mask == null ? eps : eps.muli(mask);
  }
}
