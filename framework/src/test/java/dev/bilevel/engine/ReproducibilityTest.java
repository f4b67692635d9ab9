package dev.bilevel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import dev.bilevel.estimator.evograd.EvoGradModule;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.inject.BilevelModule;
import org.junit.jupiter.api.Test;

class ReproducibilityTest {
  private final Ridge ridge = new Ridge(6, 40, 30, true, 5);
  private final BilevelTrainer trainer =
      Guice.createInjector(new BilevelModule(), new EvoGradModule()).getInstance(BilevelTrainer.class);

  private TrainingRun run(long seed, int steps) {
    TrainingRun r = trainer.start(ridge.problem(0.3, 0.05), seed);
    for (int i = 0; i < steps; i++) {
      r.step(ridge.train(), ridge::val);
    }
    return r;
  }

  @Test
  void oneSeedFixesTheRun() {
    TrainingRun a = run(3, 6);
    TrainingRun b = run(3, 6);
    TrainingRun c = run(4, 6);

    assertThat(a.theta()).isEqualTo(b.theta());
    assertThat(a.lambda()).isEqualTo(b.lambda());
    assertThat(a.lambda()).isNotEqualTo(c.lambda());
  }

  @Test
  void aRestoredSnapshotContinuesToTheSameResult() {
    TrainingRun whole = run(9, 8);
    RunState half = run(9, 4).snapshot();

    TrainingRun resumed = trainer.start(ridge.problem(0.3, 0.05), 9);
    resumed.restore(half);
    for (int i = 0; i < 4; i++) {
      resumed.step(ridge.train(), ridge::val);
    }

    assertThat(resumed.step()).isEqualTo(8);
    assertThat(resumed.theta()).isEqualTo(whole.theta());
    assertThat(resumed.lambda()).isEqualTo(whole.lambda());
  }
}
