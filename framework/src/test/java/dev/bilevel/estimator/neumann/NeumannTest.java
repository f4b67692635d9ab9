package dev.bilevel.estimator.neumann;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.unroll.RidgeAtOptimum;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NeumannTest {
  private static final int D = 5;
  private final RidgeAtOptimum r = new RidgeAtOptimum(D, 4);

  /** The largest eigenvalue of the inner Hessian, by power iteration. */
  private double largestEigenvalue() {
    INDArray h = r.hessian(0);
    INDArray v = Nd4j.ones(h.dataType(), D, 1);
    double l = 0;
    for (int i = 0; i < 2000; i++) {
      INDArray w = h.mmul(v);
      l = w.norm2Number().doubleValue() / v.norm2Number().doubleValue();
      v = w.div(w.norm2Number());
    }
    return l;
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.5, 1.0, 1.9})
  void errorFallsMonotonicallyWithTheNumberOfTerms(double stepTimesL) {
    double alpha = stepTimesL / largestEigenvalue();
    EstimationContext c = r.context(Sgd.of(0.1), 0);
    INDArray exact = r.implicitHypergradient(0, 0);
    double previous = Double.POSITIVE_INFINITY;
    for (int n = 0; n <= 12; n++) {
      Hypergradient hg = new Neumann(NeumannConfig.defaults().iterations(n).seriesStep(alpha))
          .estimate(c);
      double err = relativeError(hg.gradient(), exact);
      assertThat(err).as("N = %d, α·L = %s", n, stepTimesL).isLessThan(previous);
      previous = err;
    }
    assertThat(previous).isLessThan(0.5);
  }

  @Test
  void aSeriesStepAboveTwoOverLDiverges() {
    double alpha = 2.2 / largestEigenvalue();
    EstimationContext c = r.context(Sgd.of(0.1), 0);
    INDArray exact = r.implicitHypergradient(0, 0);
    double few = relativeError(new Neumann(NeumannConfig.defaults().iterations(2).seriesStep(alpha))
        .estimate(c).gradient(), exact);
    double many = relativeError(new Neumann(NeumannConfig.defaults().iterations(40)
        .seriesStep(alpha)).estimate(c).gradient(), exact);
    assertThat(many).isGreaterThan(10 * few);
  }

  @Test
  void seriesGrowthTellsAConvergingSeriesFromADivergingOne() {
    double l = largestEigenvalue();
    EstimationContext c = r.context(Sgd.of(0.1), 0);
    double converging = new Neumann(NeumannConfig.defaults().iterations(20).seriesStep(1.0 / l))
        .estimate(c).diagnostics().get("seriesGrowth");
    double diverging = new Neumann(NeumannConfig.defaults().iterations(20).seriesStep(2.5 / l))
        .estimate(c).diagnostics().get("seriesGrowth");
    assertThat(converging).isLessThan(1);
    assertThat(diverging).isGreaterThan(1);
  }

  @Test
  void manyTermsReachTheImplicitHypergradient() {
    double alpha = 1.9 / largestEigenvalue();
    Hypergradient hg = new Neumann(NeumannConfig.defaults().iterations(200).seriesStep(alpha))
        .estimate(r.context(Sgd.of(0.1), 0));
    assertThat(relativeError(hg.gradient(), r.implicitHypergradient(0, 0))).isLessThan(1e-6);
  }

  @Test
  void theInnerOptimizersWeightDecayJoinsTheHessian() {
    double wd = 0.3;
    double alpha = 1.9 / (largestEigenvalue() + wd);
    EstimationContext c = r.context(Sgd.of(0.1).weightDecay(wd), wd);
    Hypergradient hg = new Neumann(NeumannConfig.defaults().iterations(200).seriesStep(alpha))
        .estimate(c);
    assertThat(relativeError(hg.gradient(), r.implicitHypergradient(wd, 0))).isLessThan(1e-6);
    // Without the decay term the series solves with the wrong Hessian.
    assertThat(relativeError(hg.gradient(), r.implicitHypergradient(0, 0))).isGreaterThan(1e-2);
  }

  @Test
  void defaultSeriesStepIsTheInnerLearningRate() {
    var c = r.context(Sgd.of(0.07), 0);
    Hypergradient byDefault = new Neumann(NeumannConfig.defaults()).estimate(c);
    Hypergradient explicit = new Neumann(NeumannConfig.defaults().seriesStep(0.07)).estimate(c);
    assertThat(byDefault.gradient().toDoubleVector())
        .containsExactly(explicit.gradient().toDoubleVector());
    assertThat(byDefault.diagnostics()).containsEntry("seriesStep", 0.07);
  }

  @Test
  void lastStepsScheduleRunsOnlyNearTheEndOfEachInnerOptimisation() {
    var schedule = new NeumannConfig.LastSteps(3, 10);
    assertThat(java.util.stream.LongStream.range(0, 21).filter(schedule::active).toArray())
        .containsExactly(7, 8, 9, 17, 18, 19);

    var neumann = new Neumann(NeumannConfig.defaults().onlyInLastSteps(3, 10));
    var base = r.context(Sgd.of(0.1), 0);
    var counts = r.oracle.counts();
    Hypergradient idle = neumann.estimate(withStep(base, 4));
    assertThat(r.oracle.counts().minus(counts).forward()).isZero();
    assertThat(idle.skipped()).isTrue();
    assertThat(idle.diagnostics()).containsEntry("active", 0.0);

    Hypergradient active = neumann.estimate(withStep(base, 8));
    Hypergradient always = new Neumann(NeumannConfig.defaults()).estimate(base);
    assertThat(active.gradient().toDoubleVector()).containsExactly(always.gradient().toDoubleVector());
  }

  private static EstimationContext withStep(EstimationContext c, long step) {
    return new EstimationContext(c.oracle(), c.products(), c.theta(), c.lambda(), c.innerBatch(),
        c.outerBatch(), c.innerOptimizer(), c.innerLearningRate(), c.trajectory(), c.seed(), step);
  }

  @Test
  void configurationIsValidated() {
    assertThatThrownBy(() -> NeumannConfig.defaults().iterations(-1))
        .hasMessage("neumann iterations must be non-negative, got -1");
    assertThatThrownBy(() -> NeumannConfig.defaults().seriesStep(0))
        .hasMessage("neumann series step must be positive and finite, got 0.0");
    assertThatThrownBy(() -> NeumannConfig.defaults().onlyInLastSteps(5, 4))
        .hasMessage("neumann: the last-steps schedule needs 1 ≤ steps ≤ horizon, got steps 5 and"
            + " horizon 4");
    assertThat(NeumannConfig.defaults().onlyInLastSteps(5, 40).everyMetaUpdate().schedule())
        .isEqualTo(new NeumannConfig.EveryMetaUpdate());
  }
}
