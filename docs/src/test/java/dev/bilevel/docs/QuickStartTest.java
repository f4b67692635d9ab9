package dev.bilevel.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.dsl.Level;
import dev.bilevel.engine.TrainingRun;
import dev.bilevel.graph.CompiledProblem;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("data")
class QuickStartTest {

  @Test
  void theQuickStartTrainsAndLearnsTheDecay() {
    TrainingRun run = QuickStart.run();

    CompiledProblem c = run.compiled();
    var metaBatch = QuickStart.outerBatches.batch(0, 0);
    double before = c.value(Level.OUTER, c.initialTheta(42), c.initialLambda(42), metaBatch);
    double after = c.value(Level.OUTER, run.theta(), run.lambda(), metaBatch);
    assertThat(run.estimator().name()).isEqualTo("one-step");
    assertThat(run.step()).isEqualTo(5L * QuickStart.innerBatches.batchesPerEpoch());
    assertThat(after).isLessThan(0.7 * before);
    assertThat(run.lambda().getDouble(0)).isNotEqualTo(-9.0);
  }
}
