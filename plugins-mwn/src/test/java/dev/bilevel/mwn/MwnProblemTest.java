package dev.bilevel.mwn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.bilevel.backend.Nd4jBackend;
import dev.bilevel.data.Batch;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The weighted loss and both its gradients against a computation by hand. */
class MwnProblemTest {
  private static final int D = 6;
  private static final int C = 3;
  private static final int B = 8;

  private static BilevelProblem problem(Weighting w) {
    return MwnProblem.build(D, C, 5, w, 0.1, 0.9, 0, null, 1e-3, 0);
  }

  private static Batch batch(SplittableRandom r, int n) {
    return RandomBatches.batch(r, n, D, C);
  }

  private static Batch row(Batch b, int i) {
    return Batch.of(Map.of("x", b.get("x").getRow(i, true).dup(), "y", b.get("y").getRow(i, true).dup()));
  }

  private static double[] vec(INDArray a) {
    return a.castTo(DataType.DOUBLE).reshape(a.length()).toDoubleVector();
  }

  /** ∂v/∂λ for one loss value, by the chain rule through V: W1, b1, W2, b2. */
  private static double[] dV(double[] p, double l) {
    int h = MwnProblem.V_HIDDEN;
    double s = p[3 * h];
    for (int j = 0; j < h; j++) {
      s += p[2 * h + j] * Math.max(0, p[j] * l + p[h + j]);
    }
    double v = 1 / (1 + Math.exp(-s));
    double dv = v * (1 - v);
    double[] g = new double[3 * h + 1];
    for (int j = 0; j < h; j++) {
      double pre = p[j] * l + p[h + j];
      double on = pre > 0 ? 1 : 0;
      g[j] = dv * p[2 * h + j] * on * l;
      g[h + j] = dv * p[2 * h + j] * on;
      g[2 * h + j] = dv * Math.max(0, pre);
    }
    g[3 * h] = dv;
    return g;
  }

  @Test
  void lambdaSizeIsTheCompiledWeightingNetsSize() {
    CompiledProblem p = CompiledProblem.compile(problem(Weighting.NORMALISED), Nd4jBackend.start());
    assertThat(p.lambdaLayout().size()).isEqualTo(MwnProblem.LAMBDA_SIZE);
  }

  @Test
  void weightedLossAndGradientsMatchAHandComputation() {
    var backend = Nd4jBackend.start();
    for (Weighting weighting : new Weighting[] {Weighting.NORMALISED, Weighting.MEAN}) {
      CompiledProblem p = CompiledProblem.compile(problem(weighting), backend);
      CompiledProblem uniform = CompiledProblem.compile(problem(Weighting.UNIFORM), backend);
      INDArray theta = p.initialTheta(3);
      INDArray lambda = p.initialLambda(4);
      Batch b = batch(new SplittableRandom(5), B);
      Map<String, INDArray> out = p.outputs(Level.INNER, theta, lambda, b, "losses", "weights");
      double[] l = vec(out.get("losses"));
      double[] w = vec(out.get("weights"));
      // V evaluated by hand from λ.
      double[] wHand = MwnProblem.weightFunction(lambda, l);
      for (int i = 0; i < B; i++) {
        assertThat(w[i]).isCloseTo(wHand[i], within(1e-5));
      }
      double sw = 0;
      double swl = 0;
      for (int i = 0; i < B; i++) {
        sw += w[i];
        swl += w[i] * l[i];
      }
      double expected = weighting == Weighting.NORMALISED ? swl / sw : swl / B;
      Evaluation e = p.evaluate(Level.INNER, theta, lambda, b, Wrt.BOTH);
      assertThat(e.value()).isCloseTo(expected, within(1e-5 * Math.max(1, Math.abs(expected))));

      // ∇θ: V's input is detached, so ∇θ L = Σ c_i ∇θ ℓ_i with c_i = w_i/Σw (or w_i/n); each
      // ∇θ ℓ_i comes from the uniform problem on a batch of that one sample.
      double[] gHand = new double[(int) theta.length()];
      for (int i = 0; i < B; i++) {
        double ci = weighting == Weighting.NORMALISED ? w[i] / sw : w[i] / B;
        double[] gi = vec(uniform.evaluate(Level.INNER, theta, lambda, row(b, i), Wrt.THETA).gradTheta());
        for (int k = 0; k < gHand.length; k++) {
          gHand[k] += ci * gi[k];
        }
      }
      double[] g = vec(e.gradTheta());
      double scale = java.util.Arrays.stream(gHand).map(Math::abs).max().orElse(1);
      for (int k = 0; k < g.length; k++) {
        assertThat(g[k]).as("dθ[%d] %s", k, weighting).isCloseTo(gHand[k], within(1e-4 * scale + 1e-7));
      }

      // ∇λ: normalised Σ_i (ℓ_i − L) ∂v_i/∂λ / Σv; mean (1/n) Σ_i ℓ_i ∂v_i/∂λ.
      double[] pl = vec(lambda);
      double[] hl = new double[pl.length];
      for (int i = 0; i < B; i++) {
        double[] dv = dV(pl, l[i]);
        double f = weighting == Weighting.NORMALISED ? (l[i] - expected) / sw : l[i] / B;
        for (int k = 0; k < hl.length; k++) {
          hl[k] += f * dv[k];
        }
      }
      double[] gl = vec(e.gradLambda());
      double lscale = java.util.Arrays.stream(hl).map(Math::abs).max().orElse(1);
      for (int k = 0; k < gl.length; k++) {
        assertThat(gl[k]).as("dλ[%d] %s", k, weighting).isCloseTo(hl[k], within(1e-3 * lscale + 1e-8));
      }
    }
  }

  /**
   * When every V(ℓ) underflows to 0 (a very negative output bias), the normalised loss and both
   * gradients stay finite (no 0/0): the NaN of EvoGrad's diverged runs does not come from Σv = 0.
   */
  @Test
  void weightedLossStaysFiniteWhenAllWeightsUnderflow() {
    var backend = Nd4jBackend.start();
    for (Weighting weighting : new Weighting[] {Weighting.NORMALISED, Weighting.MEAN}) {
      CompiledProblem p = CompiledProblem.compile(problem(weighting), backend);
      INDArray theta = p.initialTheta(3);
      INDArray lambda = p.initialLambda(4);
      lambda.putScalar(lambda.length() - 1, -1e4);
      Batch b = batch(new SplittableRandom(5), B);
      double[] w = vec(p.outputs(Level.INNER, theta, lambda, b, "weights").get("weights"));
      assertThat(w).as("weights underflow to 0").containsOnly(0.0);
      Evaluation e = p.evaluate(Level.INNER, theta, lambda, b, Wrt.BOTH);
      assertThat(e.value()).as("loss, %s", weighting).isFinite();
      assertThat(java.util.Arrays.stream(vec(e.gradTheta())).allMatch(Double::isFinite)).as("dθ finite, %s", weighting)
          .isTrue();
      assertThat(java.util.Arrays.stream(vec(e.gradLambda())).allMatch(Double::isFinite)).as("dλ finite, %s", weighting)
          .isTrue();
    }
  }

  /**
   * Cross-entropy stays finite and exact when logits differ by far more than ≈ 104 (where ND4J
   * M2.1's logSoftmax underflows to −∞ in float32 and −Σ y log p became NaN, killing one-step runs
   * with 100 meta images per class; docs/mwn.md): the inner per-sample losses against log Σ exp −
   * logit_y by hand, the outer loss and every gradient finite.
   */
  @Test
  void crossEntropyIsFiniteAndExactForWidelySpreadLogits() {
    var backend = Nd4jBackend.start();
    CompiledProblem p = CompiledProblem.compile(problem(Weighting.NORMALISED), backend);
    INDArray theta = p.initialTheta(3).muli(20);
    INDArray lambda = p.initialLambda(4);
    Batch b = batch(new SplittableRandom(5), B);
    Map<String, INDArray> out = p.outputs(Level.INNER, theta, lambda, b, "logits", "losses");
    double[] logits = vec(out.get("logits"));
    double[] l = vec(out.get("losses"));
    double[] y = vec(b.get("y"));
    double spread = 0;
    for (int i = 0; i < B; i++) {
      double max = Double.NEGATIVE_INFINITY;
      double min = Double.POSITIVE_INFINITY;
      int label = 0;
      for (int k = 0; k < C; k++) {
        max = Math.max(max, logits[i * C + k]);
        min = Math.min(min, logits[i * C + k]);
        label = y[i * C + k] > 0.5 ? k : label;
      }
      spread = Math.max(spread, max - min);
      double sum = 0;
      for (int k = 0; k < C; k++) {
        sum += Math.exp(logits[i * C + k] - max);
      }
      double expected = max + Math.log(sum) - logits[i * C + label];
      assertThat(l[i]).as("loss of sample %d", i).isCloseTo(expected, within(1e-5 * Math.max(1, expected)));
    }
    assertThat(spread).as("the test reaches the regime where logSoftmax underflowed").isGreaterThan(200);
    for (Level level : new Level[] {Level.INNER, Level.OUTER}) {
      Evaluation e = p.evaluate(level, theta, lambda, b, Wrt.THETA);
      assertThat(e.value()).as("%s loss", level).isFinite();
      assertThat(java.util.Arrays.stream(vec(e.gradTheta())).allMatch(Double::isFinite)).as("%s dθ finite", level)
          .isTrue();
    }
    assertThat(java.util.Arrays.stream(vec(p.evaluate(Level.INNER, theta, lambda, b, Wrt.BOTH).gradLambda()))
        .allMatch(Double::isFinite)).as("dλ finite").isTrue();
  }

  @Test
  void effectiveSampleFractionAndCorrelationOnHandCases() {
    assertThat(MwnExperiment.effectiveSampleFraction(new double[] {0.3, 0.3, 0.3, 0.3})).isCloseTo(1, within(1e-12));
    assertThat(MwnExperiment.effectiveSampleFraction(new double[] {0.7, 0, 0, 0})).isCloseTo(0.25, within(1e-12));
    assertThat(MwnExperiment.effectiveSampleFraction(new double[] {2, 1})).isCloseTo(9.0 / 10, within(1e-12));
    assertThat(MwnExperiment.effectiveSampleFraction(new double[] {0, 0})).isNaN();
    assertThat(MwnExperiment.correlation(new double[] {1, 2, 3}, new double[] {5, 7, 9})).isCloseTo(1, within(1e-12));
    assertThat(MwnExperiment.correlation(new double[] {1, 2, 3}, new double[] {3, 2, 1})).isCloseTo(-1, within(1e-12));
    // (−1, 0, 1)·(1, −2, 1) = 0
    assertThat(MwnExperiment.correlation(new double[] {1, 2, 3}, new double[] {1, -2, 1})).isCloseTo(0, within(1e-12));
  }

  @Test
  void aurocCountsTiesHalf() {
    assertThat(Auroc.of(new double[] {0.9, 0.8, 0.1, 0.2}, new boolean[] {true, true, false, false})).isEqualTo(1.0);
    assertThat(Auroc.of(new double[] {0.1, 0.2, 0.9, 0.8}, new boolean[] {true, true, false, false})).isEqualTo(0.0);
    assertThat(Auroc.of(new double[] {0.5, 0.5}, new boolean[] {true, false})).isEqualTo(0.5);
    assertThat(Auroc.of(new double[] {0.3, 0.7, 0.5}, new boolean[] {true, true, false})).isEqualTo(0.5);
  }
}
