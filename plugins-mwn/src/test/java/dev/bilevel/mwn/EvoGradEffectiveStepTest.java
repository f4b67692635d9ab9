package dev.bilevel.mwn;

import static dev.bilevel.mwn.Estimates.context;
import static dev.bilevel.mwn.Estimates.dot;
import static dev.bilevel.mwn.Estimates.vec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.backend.Nd4jBackend;
import dev.bilevel.data.Batch;
import dev.bilevel.estimator.evograd.EvoGrad;
import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.graph.CompiledProblem;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The premise of the EvoGrad diagnosis in docs/mwn.md: on average over its random candidates,
 * EvoGrad's estimate on the Meta-Weight-Net problem is one-step's hypergradient (an independent
 * estimator: a virtual SGD step and a finite-difference mixed product) scaled by α_e/η, with
 * α_e = σ²(K−1)/(Kτ) the virtual step EvoGrad amounts to.
 */
class EvoGradEffectiveStepTest {
  private static final int D = 6;
  private static final int C = 3;
  private static final int B = 16;

  private static Batch batch(SplittableRandom r, int n) {
    return RandomBatches.batch(r, n, D, C);
  }

  @Test
  void onAverageItEqualsOneStepsHypergradient() {
    var backend = Nd4jBackend.start();
    CompiledProblem p = CompiledProblem.compile(
        MwnProblem.build(D, C, 8, Weighting.NORMALISED, 0.1, 0.9, 0, null, 1e-3, 0), backend);
    INDArray theta = p.initialTheta(11);
    INDArray lambda = p.initialLambda(12);
    SplittableRandom r = new SplittableRandom(13);
    Batch inner = batch(r, B);
    Batch outer = batch(r, B);
    double eta = 1e-3; // small, so one-step's virtual step barely moves ∇θ L_out
    double[] oneStep = vec(new OneStep(OneStepConfig.defaults())
        .estimate(context(p, theta, lambda, inner, outer, eta, 1)).gradient());
    double norm = Math.sqrt(dot(oneStep, oneStep));
    assertThat(norm).isGreaterThan(0);
    double[] u = oneStep.clone();
    for (int i = 0; i < u.length; i++) {
      u[i] /= norm;
    }
    for (int k : new int[] {2, 4}) {
      double sigma = 1e-3;
      double tau = 0.05;
      EvoGrad evo = new EvoGrad(EvoGradConfig.defaults().candidates(k).sigma(sigma).temperature(tau));
      double scale = eta / EvoGradSettings.effectiveStep(k, sigma, tau);
      int n = 400;
      double[] mean = new double[oneStep.length];
      double sumProj = 0;
      double sumProjSq = 0;
      for (int t = 0; t < n; t++) {
        double[] g = vec(evo.estimate(context(p, theta, lambda, inner, outer, eta, 1000L * k + t)).gradient());
        for (int i = 0; i < g.length; i++) {
          g[i] *= scale;
        }
        for (int i = 0; i < g.length; i++) {
          mean[i] += g[i] / n;
        }
        double proj = dot(g, u);
        sumProj += proj;
        sumProjSq += proj * proj;
      }
      double m = sumProj / n;
      double se = Math.sqrt((sumProjSq / n - m * m) / n);
      // The mean's component along one-step's direction is one-step's norm within sampling error
      // (4 standard errors), and that error is small enough for this to say something (< 10%).
      assertThat(se).as("standard error, K=%d", k).isLessThan(0.1 * norm);
      assertThat(Math.abs(m - norm)).as("mean projection %g vs one-step %g, K=%d", m, norm, k)
          .isLessThan(4 * se);
      double cos = dot(mean, oneStep) / (Math.sqrt(dot(mean, mean)) * norm);
      assertThat(cos).as("cosine of the mean with one-step, K=%d", k).isGreaterThan(0.9);
    }
  }
}
