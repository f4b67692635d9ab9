package dev.bilevel.estimator.evograd;

import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.GroupSpec;
import dev.bilevel.dsl.Level;
import dev.bilevel.dsl.Role;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.ParameterLayout;
import dev.bilevel.graph.Wrt;
import dev.bilevel.graph.Vectors;
import jakarta.inject.Inject;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.factory.Nd4j;

/**
 * EvoGrad: K candidates θ_k = θ + ε_k, weights w = softmax(−ℓ/τ) of their inner losses
 * ℓ_k = L_in(θ_k, λ), the evolved θ* = Σ_k w_k θ_k, and the hypergradient of L_out(θ*, λ) through w
 * only. Its closed form needs first-order gradients alone:
 *
 * <pre>
 *   dL_out/dλ = ∂L_out(θ*, λ)/∂λ − (1/τ) Σ_k w_k a_k (g_k − ḡ),
 *   g_k = ∇λ L_in(θ_k, λ),  ḡ = Σ_k w_k g_k,  a_k = ∇θ L_out(θ*, λ) · ε_k.
 * </pre>
 *
 * Candidates are evaluated one after another on the one compiled graph, never K graphs at once.
 * Each ε_k comes from its own seed; the K perturbations are kept for the update when they are small
 * (K·|θ| ≤ 2^26 scalars) and redrawn from their seeds otherwise, bounding memory for large K.
 */
public final class EvoGrad implements HypergradientEstimator {
  public static final String NAME = "evograd";
  // Below this many scalars in all K perturbations together, ε_k are kept rather than redrawn.
  private static final long CACHE_LIMIT = 1L << 26;
  private final EvoGradConfig config;
  private static final int CHUNK = 1 << 14;
  // One reusable native generator for sign noise, reseeded per draw (creating one per draw costs
  // more than the draw), and staging arrays for Gaussian draws. With the θ-sized buffers below
  // they make an instance unsafe to share between threads, like the compiled graphs.
  private final org.nd4j.linalg.api.rng.Random rng;
  private final float[] chunkF = new float[CHUNK];
  private final double[] chunkD = new double[CHUNK];

  private final long keepLimit;

  @Inject
  public EvoGrad(EvoGradConfig config) {
    this(config, CACHE_LIMIT);
  }

  /** With ε_k kept only while K·|θ| ≤ {@code keepLimit}: 0 makes every estimate redraw them. */
  EvoGrad(EvoGradConfig config, long keepLimit) {
    this.config = config;
    this.keepLimit = keepLimit;
    this.rng = Nd4j.getRandomFactory().getNewRandomInstance(0, 16);
  }

  @Override
  public String name() {
    return NAME;
  }

  public EvoGradConfig config() {
    return config;
  }

  @Override
  public Hypergradient estimate(EstimationContext c) {
    var oracle = c.oracle();
    int k = config.candidates();
    long[] seeds = noiseSeeds(c.seed(), k);
    Buffers b = buffers(oracle.thetaLayout());
    double[] losses = new double[k];
    INDArray[] g = new INDArray[k];
    for (int i = 0; i < k; i++) {
      INDArray eps = b.eps(i);
      noise(seeds[i], eps, b.mask);
      // θ + ε in one pass: the same sums as ND4J's add (VectorsTest).
      Vectors.axpyInto(1, eps, c.theta().reshape(eps.length()), b.candidate);
      Evaluation e = oracle.evaluate(Level.INNER, b.candidate, c.lambda(), c.innerBatch(),
          Wrt.LAMBDA);
      losses[i] = e.value();
      g[i] = e.gradLambda();
    }
    double[] w = softmaxOfNegative(losses, config.temperature());
    INDArray thetaStar = b.star;
    Vectors.axpyInto(w[0], b.epsAgain(0, seeds, this), c.theta().reshape(thetaStar.length()),
        thetaStar);
    for (int i = 1; i < k; i++) {
      Vectors.axpy(w[i], b.epsAgain(i, seeds, this), thetaStar);
    }
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluateInto(Level.OUTER, thetaStar, c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA, b.outerGrad);
    double[] scale = new double[k];
    for (int i = 0; i < k; i++) {
      double a = Vectors.dot(out.gradTheta(), b.epsAgain(i, seeds, this));
      scale[i] = -w[i] * a / config.temperature();
    }
    INDArray hg = combine(g, w, scale, direct ? out.gradLambda() : null);
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", out.value());
    d.put("weightMax", max(w));
    d.put("candidateLossSpread", max(losses) - min(losses));
    return new Hypergradient(hg, d);
  }

  /**
   * ∂L_out/∂λ (when given) + Σ_k scale_k (g_k − ḡ) with ḡ = Σ_k w_k g_k: λ-sized arithmetic,
   * done in Java arrays because as a dozen ND4J ops on MWN's 301 numbers it took about 0.5 ms, a
   * fifth of a plain MLP step, for no work. It keeps ND4J's order and precision (each product and
   * sum rounded to the parameters' type, factors cast first), so estimates are the same to the bit.
   */
  private static INDArray combine(INDArray[] g, double[] w, double[] scale, INDArray direct) {
    int k = g.length;
    if (g[0].dataType() == DataType.FLOAT) {
      float[][] gk = new float[k][];
      for (int i = 0; i < k; i++) {
        gk[i] = g[i].toFloatVector();
      }
      float[] hg = direct == null ? new float[gk[0].length] : direct.toFloatVector();
      for (int j = 0; j < hg.length; j++) {
        float gBar = 0f;
        for (int i = 0; i < k; i++) {
          gBar += gk[i][j] * (float) w[i];
        }
        for (int i = 0; i < k; i++) {
          hg[j] += (gk[i][j] - gBar) * (float) scale[i];
        }
      }
      return Nd4j.createFromArray(hg);
    }
    double[][] gk = new double[k][];
    for (int i = 0; i < k; i++) {
      gk[i] = g[i].toDoubleVector();
    }
    double[] hg = direct == null ? new double[gk[0].length] : direct.toDoubleVector();
    for (int j = 0; j < hg.length; j++) {
      double gBar = 0;
      for (int i = 0; i < k; i++) {
        gBar += gk[i][j] * w[i];
      }
      for (int i = 0; i < k; i++) {
        hg[j] += (gk[i][j] - gBar) * scale[i];
      }
    }
    return Nd4j.createFromArray(hg); // problems are FLOAT or DOUBLE (ProblemBuilder.dtype)
  }

  /**
   * θ-sized work arrays kept between meta-iterations: allocating a fresh native buffer costs
   * about as much as a pass over it, and an estimate needs K + 3 of them.
   */
  private static final class Buffers {
    final ParameterLayout layout;
    final INDArray mask;
    final INDArray candidate;
    final INDArray star;
    final INDArray outerGrad;
    final INDArray[] kept; // one per candidate while K·|θ| is small, else a single redraw buffer

    Buffers(ParameterLayout layout, INDArray mask, int k, boolean keep) {
      this.layout = layout;
      this.mask = mask;
      this.candidate = Nd4j.createUninitialized(layout.dtype(), layout.size());
      this.star = Nd4j.createUninitialized(layout.dtype(), layout.size());
      this.outerGrad = Nd4j.createUninitialized(layout.dtype(), layout.size());
      this.kept = new INDArray[keep ? k : 1];
      for (int i = 0; i < kept.length; i++) {
        kept[i] = Nd4j.createUninitialized(layout.dtype(), layout.size());
      }
    }

    INDArray eps(int i) {
      return kept[kept.length == 1 ? 0 : i];
    }

    /** ε_i again: the kept array, or redrawn from its seed into the single buffer. */
    INDArray epsAgain(int i, long[] seeds, EvoGrad owner) {
      if (kept.length > 1 || seeds.length == 1) {
        return kept[kept.length == 1 ? 0 : i];
      }
      owner.noise(seeds[i], kept[0], mask);
      return kept[0];
    }
  }

  private Buffers buffers;

  private Buffers buffers(ParameterLayout layout) {
    if (buffers == null || buffers.layout != layout) {
      int k = config.candidates();
      boolean keep = (long) k * layout.size() <= keepLimit;
      buffers = new Buffers(layout, mask(layout), k, keep);
    }
    return buffers;
  }

  /**
   * θ*(λ) with the noise of the meta-update seeded by {@code seed}: the function whose derivative
   * the closed form computes. Exposed so the closed form can be checked against finite differences.
   */
  public INDArray evolvedTheta(EstimationContext c, INDArray lambda) {
    long[] seeds = noiseSeeds(c.seed(), config.candidates());
    INDArray mask = mask(c.oracle().thetaLayout());
    double[] losses = new double[seeds.length];
    for (int i = 0; i < seeds.length; i++) {
      losses[i] = c.oracle().value(Level.INNER, c.theta().add(noise(seeds[i], c.oracle().thetaLayout(), mask)), lambda,
          c.innerBatch());
    }
    return evolve(c.theta(), seeds, softmaxOfNegative(losses, config.temperature()),
        c.oracle().thetaLayout(), mask);
  }

  private INDArray evolve(INDArray theta, long[] seeds, double[] w, ParameterLayout layout,
      INDArray mask) {
    INDArray star = theta.dup();
    for (int i = 0; i < seeds.length; i++) {
      star.addi(noise(seeds[i], layout, mask).muli(w[i]));
    }
    return star;
  }

  private static long[] noiseSeeds(long seed, int k) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] s = new long[k];
    for (int i = 0; i < k; i++) {
      s[i] = r.nextLong();
    }
    return s;
  }

  private INDArray mask(ParameterLayout layout) {
    if (config.perturbedGroups().isEmpty()) {
      return null;
    }
    Refusal.throwIfAny(groupRefusals(layout.groups()));
    return layout.mask(config.perturbedGroups());
  }

  /** Perturbed groups the problem does not have as inner groups. */
  @Override
  public List<Refusal> refusals(BilevelProblem problem) {
    return groupRefusals(problem.groups(Role.INNER).stream().map(GroupSpec::name).toList());
  }

  private List<Refusal> groupRefusals(List<String> innerGroups) {
    Set<String> unknown = new TreeSet<>(config.perturbedGroups());
    unknown.removeAll(innerGroups);
    if (unknown.isEmpty()) {
      return List.of();
    }
    return List.of(new Refusal(NAME, "is configured to perturb " + unknown + ", which are not inner"
        + " groups of this problem; inner groups are " + innerGroups, "Name inner groups in"
        + " EvoGradConfig.perturb(...), or leave it out to perturb all of them.", Map.of()));
  }

  /** ε for one candidate: the generator is reseeded per draw, so the same seed gives the same ε. */
  private INDArray noise(long seed, ParameterLayout layout, INDArray mask) {
    return noise(seed, Nd4j.createUninitialized(layout.dtype(), layout.size()), mask);
  }

  /**
   * Draws ε into {@code eps} (a contiguous vector), overwriting it. Sign noise comes from ND4J's
   * native Bernoulli op on a generator reseeded per draw. Gaussian noise comes from a
   * {@link SplittableRandom} seeded by {@code seed}, written in chunks into the native buffer:
   * ND4J 1.0.0-M2.1's native Gaussian op took 8 ms for the 269,322 weights of the MWN MLP here,
   * Java's ziggurat plus the copy 2.5 ms, more than a forward pass saved per candidate.
   */
  private INDArray noise(long seed, INDArray eps, INDArray mask) {
    if (config.noise() == EvoGradConfig.Noise.SIGN) {
      rng.setSeed(seed);
      Nd4j.getExecutioner().exec(new BernoulliDistribution(eps, 0.5), rng);
      Vectors.scal(2 * config.sigma(), eps); // as muli, at half the time
      eps.subi(config.sigma());
    } else {
      gaussian(new SplittableRandom(seed), config.sigma(), eps);
    }
    return mask == null ? eps : eps.muli(mask);
  }

  private void gaussian(SplittableRandom r, double sigma, INDArray eps) {
    if (eps.elementWiseStride() != 1) {
      throw new IllegalArgumentException("EvoGrad's noise buffer must be contiguous");
    }
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
    } else if (eps.dataType() == DataType.FLOAT) {
      FloatBuffer out = eps.data().asNioFloat();
      for (long done = 0; done < n; done += CHUNK) {
        int len = (int) Math.min(CHUNK, n - done);
        for (int i = 0; i < len; i++) {
          chunkF[i] = (float) (sigma * r.nextGaussian());
        }
        out.put(base + (int) done, chunkF, 0, len);
      }
    } else {
      throw new IllegalStateException("EvoGrad draws Gaussian noise for FLOAT or DOUBLE"
          + " parameters, not " + eps.dataType());
    }
  }

  private static double[] softmaxOfNegative(double[] losses, double tau) {
    double best = min(losses);
    double[] w = new double[losses.length];
    double sum = 0;
    for (int i = 0; i < losses.length; i++) {
      w[i] = Math.exp(-(losses[i] - best) / tau);
      sum += w[i];
    }
    for (int i = 0; i < w.length; i++) {
      w[i] /= sum;
    }
    return w;
  }

  private static double min(double[] a) {
    double m = Double.POSITIVE_INFINITY;
    for (double v : a) {
      m = Math.min(m, v);
    }
    return m;
  }

  private static double max(double[] a) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : a) {
      m = Math.max(m, v);
    }
    return m;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", NAME);
    m.put("candidates", config.candidates());
    m.put("sigma", config.sigma());
    m.put("temperature", config.temperature());
    m.put("noise", config.noise().name());
    m.put("perturbedGroups", config.perturbedGroups().isEmpty() ? "all inner groups"
        : config.perturbedGroups().stream().sorted().toList());
    return m;
  }
}
