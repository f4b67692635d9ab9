package dev.bilevel.mwn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The report names every run that collapsed")
class MwnReportTest {

  private static Map<String, Object> row(String run, int epoch, double acc, double ess) {
    return Map.of("run", run, "method", run.substring(3), "epoch", epoch, "test_acc", acc,
        "weight_ess", ess);
  }

  @Test
  void aRunAtChanceWithConcentratedWeightsIsNamedWithTheEpochItBegan() {
    List<Map<String, Object>> rows = new ArrayList<>();
    double[] ess = {0.59, 0.33, 0.109, 0.15, 0.109};
    double[] acc = {0.77, 0.47, 0.10, 0.10, 0.10};
    for (int e = 1; e <= 5; e++) {
      rows.add(row("s1-plain", e, 0.70, 1.0));
      rows.add(row("s3-one-step", e, acc[e - 1], ess[e - 1]));
    }

    assertThat(MwnReport.collapses(rows, 10)).containsExactly("s3-one-step at epoch 5: test"
        + " accuracy 10.00%, chance for 10 classes; weight ESS fraction 0.109, below 0.2 since"
        + " epoch 3: V's weights sit on a few samples.");
  }

  @Test
  void aHealthyRunAndARecoveredOneAreNotNamed() {
    List<Map<String, Object>> rows = List.of(row("s1-one-step", 1, 0.12, 0.1),
        row("s1-one-step", 2, 0.79, 0.6), row("s2-evograd", 1, 0.16, 0.2));

    assertThat(MwnReport.collapses(rows, 10)).isEmpty();
  }
}
