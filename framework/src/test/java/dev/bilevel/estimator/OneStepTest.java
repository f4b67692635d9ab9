package dev.bilevel.estimator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.fixtures.Contexts;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.graph.CompiledProblem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

class OneStepTest {

  @ParameterizedTest(name = "per-feature λ: {0}")
  @ValueSource(booleans = {true, false})
  void equalsTheClosedFormOneStepHypergradientOfRidgeRegression(boolean perFeature) {
    Ridge r = new Ridge(7, 60, 40, perFeature, 21);
    CompiledProblem c = r.problem(0.3, 0.05).compile();
    INDArray theta = c.initialTheta(2).addi(0.3);
    INDArray lambda = c.initialLambda(2);
    double eta = 0.05;

    Hypergradient hg = new OneStep(OneStepConfig.defaults())
        .estimate(Contexts.of(c, theta, lambda, r.train(), r.val(), eta, 1));

    INDArray expected = r.oneStepHypergradient(theta, lambda, eta);
    double rel = hg.gradient().sub(expected).norm2Number().doubleValue()
        / expected.norm2Number().doubleValue();
    assertThat(rel).isLessThan(1e-6);
  }

  @ParameterizedTest(name = "η = {0}")
  @ValueSource(doubles = {0.01, 0.2})
  void usesTheOverriddenLearningRateWhenConfigured(double eta) {
    Ridge r = new Ridge(4, 30, 30, true, 5);
    CompiledProblem c = r.problem(0.3, 0.05).compile();
    INDArray theta = c.initialTheta(2);
    INDArray lambda = c.initialLambda(2);

    Hypergradient hg = new OneStep(OneStepConfig.defaults().learningRate(eta))
        .estimate(Contexts.of(c, theta, lambda, r.train(), r.val(), 0.05, 1));

    INDArray expected = r.oneStepHypergradient(theta, lambda, eta);
    assertThat(hg.gradient().sub(expected).norm2Number().doubleValue()
        / expected.norm2Number().doubleValue()).isLessThan(1e-6);
  }

  @ParameterizedTest(name = "per-feature λ: {0}")
  @ValueSource(booleans = {true, false})
  void theForwardMixedProductAlsoEqualsTheClosedFormWithOneGradientEvaluationFewer(boolean perFeature) {
    Ridge r = new Ridge(7, 60, 40, perFeature, 21);
    CompiledProblem c = r.problem(0.3, 0.05).compile();
    INDArray theta = c.initialTheta(2).addi(0.3);
    INDArray lambda = c.initialLambda(2);
    double eta = 0.05;
    var central = new OneStep(OneStepConfig.defaults());
    var forward = new OneStep(OneStepConfig.defaults().mixedProduct(OneStepConfig.MixedProduct.FORWARD));

    var before = c.counts();
    central.estimate(Contexts.of(c, theta, lambda, r.train(), r.val(), eta, 1));
    var centralCounts = c.counts().minus(before);
    before = c.counts();
    Hypergradient hg = forward.estimate(Contexts.of(c, theta, lambda, r.train(), r.val(), eta, 1));
    var forwardCounts = c.counts().minus(before);

    INDArray expected = r.oneStepHypergradient(theta, lambda, eta);
    // O(h) with h ≈ 1.5e-8 relative in FP64: as close as the central difference's 1e-6 bound.
    assertThat(hg.gradient().sub(expected).norm2Number().doubleValue()
        / expected.norm2Number().doubleValue()).isLessThan(1e-6);
    assertThat(forwardCounts.backward()).isEqualTo(centralCounts.backward() - 1);
    assertThat(forward.describe()).containsEntry("mixedProduct", "forward");
    assertThat(central.describe()).doesNotContainKey("mixedProduct");
  }
}
