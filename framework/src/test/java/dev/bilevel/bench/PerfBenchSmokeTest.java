package dev.bilevel.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.backend.ChildJvm;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The benchmark harness runs, and reports an estimator that refuses a problem as a row")
class PerfBenchSmokeTest {

  @Test
  void aRefusedEstimatorIsARowAndIsMeasuredOnTheWeightDecayProblemInstead() throws Exception {
    // forward caps dim λ at 32, and the Meta-Weight-Net problem's λ has 301 coordinates.
    ChildJvm.Result r = ChildJvm.run(PerfBench.class, List.of("-Xmx2g"), "--sections", "meta",
        "--estimators", "forward", "--models", "mlp", "--quick");

    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("forward                   5      -      refused          -          -            -"
            + " IllegalArgumentException: The forward estimator carries one θ-sized tangent per λ"
            + " coordinate, and this problem has 301 λ coordinates, more than the configured maximum"
            + " of 32.")
        .containsPattern("forward \\(wd\\) +5 +\\d+ +[0-9.]+ +[0-9.]+x")
        .contains("one-step fwd-diff = inner ∇θ and ∇λ + outer + ∇λ =", "PerfBench done in");
  }
}
