package dev.bilevel.estimator.cg;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.unroll.RidgeAtOptimum;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class ConjugateGradientTest {
  private static final int D = 6;
  private final RidgeAtOptimum r = new RidgeAtOptimum(D, 3);

  @Test
  void theClosedFormIsTheDerivativeOfTheOptimalOuterLoss() {
    // The reference itself, against central differences of L_out(θ*(λ)).
    INDArray closed = r.implicitHypergradient(0, 0);
    double[] fd = new double[D];
    for (int j = 0; j < D; j++) {
      double h = 1e-5;
      INDArray plus = r.lambda.dup();
      plus.putScalar(j, plus.getDouble(j) + h);
      INDArray minus = r.lambda.dup();
      minus.putScalar(j, minus.getDouble(j) - h);
      fd[j] = (r.outerAtOptimum(plus) - r.outerAtOptimum(minus)) / (2 * h);
    }
    assertThat(relativeError(closed, fd)).isLessThan(1e-6);
  }

  @Test
  void matchesTheImplicitClosedFormWithinDimThetaIterations() {
    Hypergradient hg = new ConjugateGradient(ConjugateGradientConfig.defaults().maxIterations(D)
        .tolerance(1e-12)).estimate(r.context(Sgd.of(0.1), 0));

    assertThat(relativeError(hg.gradient(), r.implicitHypergradient(0, 0))).isLessThan(1e-6);
    assertThat(hg.diagnostics().get("iterations")).isLessThanOrEqualTo(D);
    assertThat(hg.diagnostics()).containsEntry("converged", 1.0).containsEntry("negativeCurvature", 0.0);
  }

  @Test
  void stopsAtMaxIterationsBeforeConverging() {
    Hypergradient hg = new ConjugateGradient(ConjugateGradientConfig.defaults().maxIterations(2)
        .tolerance(1e-12)).estimate(r.context(Sgd.of(0.1), 0));

    assertThat(hg.diagnostics()).containsEntry("iterations", 2.0).containsEntry("converged", 0.0);
    assertThat(relativeError(hg.gradient(), r.implicitHypergradient(0, 0))).isGreaterThan(1e-4);
  }

  @Test
  void innerWeightDecayAndDampingEnterTheSolve() {
    double wd = 0.03;
    double damping = 0.2;
    Hypergradient hg = new ConjugateGradient(ConjugateGradientConfig.defaults().maxIterations(D)
        .tolerance(1e-12).damping(damping)).estimate(r.context(Sgd.of(0.1).weightDecay(wd), wd));

    assertThat(relativeError(hg.gradient(), r.implicitHypergradient(wd, damping))).isLessThan(1e-6);
    assertThat(relativeError(hg.gradient(), r.implicitHypergradient(wd, 0))).isGreaterThan(1e-3);
  }

  @Test
  void configurationIsValidated() {
    var c = ConjugateGradientConfig.defaults().maxIterations(7).tolerance(1e-9).damping(0.5);
    assertThat(c).isEqualTo(new ConjugateGradientConfig(7, 1e-9, 0.5));
    assertThatThrownBy(() -> c.maxIterations(0))
        .hasMessage("conjugate-gradient maxIterations must be at least 1, got 0");
    assertThatThrownBy(() -> c.tolerance(-1))
        .hasMessage("conjugate-gradient tolerance must be non-negative and finite, got -1.0");
    assertThatThrownBy(() -> c.damping(Double.NaN))
        .hasMessage("conjugate-gradient damping must be non-negative and finite, got NaN");
  }
}
