package dev.bilevel.estimator.evograd;

import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.ParameterLayout;
import dev.bilevel.graph.Wrt;
import jakarta.inject.Inject;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * EvoGrad: K candidates θ_k = θ + ε_k, weights w = softmax(−ℓ/τ) of their inner losses
 * ℓ_k = L_in(θ_k, λ), the evolved θ* = Σ_k w_k θ_k, and the hypergradient of L_out(θ*, λ) through w
 * only. Its closed form needs first-order gradients alone:
 *
 * <pre>
 *   dL_out/dλ = ∂L_out(θ*, λ)/∂λ − (1/τ) Σ_k w_k (a_k − ā) g_k,
 *   g_k = ∇λ L_in(θ_k, λ),  a_k = ∇θ L_out(θ*, λ) · ε_k,  ā = Σ_k w_k a_k,
 * </pre>
 *
 * which is the paper's −(1/τ) Σ_k w_k a_k (g_k − ḡ) with ḡ = Σ_k w_k g_k, regrouped so that only
 * λ-sized vectors are combined. Candidates are evaluated one after another on the one compiled
 * graph, never K graphs at once. The perturbations of a meta-iteration are drawn from its seed
 * ({@link SignPerturbations}, {@link GaussianPerturbations}).
 */
public final class EvoGrad implements HypergradientEstimator {
  public static final String NAME = "evograd";
  private final EvoGradConfig config;

  @Inject
  public EvoGrad(EvoGradConfig config) {
    this.config = config;
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
    Buffers b = buffers(oracle.thetaLayout());
    INDArray theta = contiguous(c.theta());
    b.noise.draw(c.seed());
    double[] losses = new double[k];
    INDArray[] g = new INDArray[k];
    for (int i = 0; i < k; i++) {
      b.noise.candidate(i, theta, b.candidate);
      Evaluation e = oracle.evaluate(Level.INNER, b.candidate, c.lambda(), c.innerBatch(),
          Wrt.LAMBDA);
      losses[i] = e.value();
      g[i] = e.gradLambda();
    }
    double[] w = softmaxOfNegative(losses, config.temperature());
    b.noise.evolve(w, theta, b.star);
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluateInto(Level.OUTER, b.star, c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA, b.outerGrad);
    double[] a = b.noise.dots(out.gradTheta());
    double aBar = 0;
    for (int i = 0; i < k; i++) {
      aBar += w[i] * a[i];
    }
    INDArray hg = direct ? out.gradLambda().dup() : oracle.lambdaLayout().zeros();
    for (int i = 0; i < k; i++) {
      Nd4j.getBlasWrapper().level1().axpy(hg.length(),
          -w[i] * (a[i] - aBar) / config.temperature(), g[i], hg);
    }
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("outerLoss", out.value());
    d.put("weightMax", max(w));
    d.put("candidateLossSpread", max(losses) - min(losses));
    return new Hypergradient(hg, d);
  }

  /** θ as the perturbations read it: one contiguous vector (a copy only if it is not). */
  private static INDArray contiguous(INDArray theta) {
    return theta.elementWiseStride() == 1 ? theta : theta.dup();
  }

  /**
   * θ-sized work arrays kept between meta-iterations: allocating a fresh native buffer costs
   * about as much as a pass over it.
   */
  private static final class Buffers {
    final ParameterLayout layout;
    final Perturbations noise;
    final INDArray candidate;
    final INDArray star;
    final INDArray outerGrad;

    Buffers(ParameterLayout layout, Perturbations noise) {
      this.layout = layout;
      this.noise = noise;
      this.candidate = Nd4j.createUninitialized(layout.dtype(), layout.size());
      this.star = Nd4j.createUninitialized(layout.dtype(), layout.size());
      this.outerGrad = Nd4j.createUninitialized(layout.dtype(), layout.size());
    }
  }

  // Kept between meta-iterations; it makes an instance unsafe to share between threads, like the
  // compiled graphs.
  private Buffers buffers;

  private Buffers buffers(ParameterLayout layout) {
    if (buffers == null || buffers.layout != layout) {
      buffers = new Buffers(layout, perturbations(layout));
    }
    return buffers;
  }

  private Perturbations perturbations(ParameterLayout layout) {
    Set<String> unknown = new HashSet<>(config.perturbedGroups());
    unknown.removeAll(layout.groups());
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("EvoGrad is configured to perturb " + unknown
          + ", which are not inner groups of this problem; inner groups are " + layout.groups());
    }
    if (config.noise() == EvoGradConfig.Noise.SIGN) {
      return new SignPerturbations(layout, config.perturbedGroups(), config.candidates(),
          config.sigma());
    }
    INDArray mask = config.perturbedGroups().isEmpty() ? null
        : layout.mask(config.perturbedGroups());
    return new GaussianPerturbations(layout, mask, config.candidates(), config.sigma());
  }

  /**
   * θ*(λ) with the noise of the meta-update seeded by {@code seed}: the function whose derivative
   * the closed form computes. Exposed so the closed form can be checked against finite differences.
   */
  public INDArray evolvedTheta(EstimationContext c, INDArray lambda) {
    ParameterLayout layout = c.oracle().thetaLayout();
    Perturbations noise = perturbations(layout);
    INDArray theta = contiguous(c.theta());
    noise.draw(c.seed());
    double[] losses = new double[config.candidates()];
    INDArray candidate = layout.zeros();
    for (int i = 0; i < losses.length; i++) {
      noise.candidate(i, theta, candidate);
      losses[i] = c.oracle().value(Level.INNER, candidate, lambda, c.innerBatch());
    }
    INDArray star = layout.zeros();
    noise.evolve(softmaxOfNegative(losses, config.temperature()), theta, star);
    return star;
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
