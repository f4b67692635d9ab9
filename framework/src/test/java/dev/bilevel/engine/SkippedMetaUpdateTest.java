package dev.bilevel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Hypergradient;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.fixtures.Ridge;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class SkippedMetaUpdateTest {

  /** Real gradient on even steps, skip on odd ones. */
  static final class EveryOther implements HypergradientEstimator {
    @Override
    public String name() {
      return "every-other";
    }

    @Override
    public Hypergradient estimate(EstimationContext c) {
      return c.step() % 2 == 0
          ? new Hypergradient(c.oracle().lambdaLayout().zeros().addi(1.0), Map.of())
          : Hypergradient.skip(Map.of());
    }

    @Override
    public Map<String, Object> describe() {
      return Map.of("estimator", name());
    }
  }

  @Test
  void aSkippedMetaUpdateLeavesLambdaAndTheOuterOptimizerAlone() {
    Ridge r = new Ridge(3, 20, 20, true, 1);
    BilevelTrainer trainer = new BilevelTrainer(null, dev.bilevel.backend.Nd4jBackend.start());
    TrainingRun run = trainer.start(r.problem(0.3, 0.05), 1, new EveryOther());

    StepEvent first = run.step(r.train(), r::val);
    INDArray afterFirst = run.lambda();
    int adamIterations = run.outerOptimizer().iteration();
    StepEvent second = run.step(r.train(), r::val);

    assertThat(first.metaUpdated()).isTrue();
    assertThat(second.metaUpdated()).isFalse();
    assertThat(run.lambda()).isEqualTo(afterFirst);
    assertThat(run.outerOptimizer().iteration()).isEqualTo(adamIterations);
  }
}
