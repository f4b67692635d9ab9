package dev.bilevel.estimator.unroll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.optim.Adam;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.optim.Sgd;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

@DisplayName("A reused replayer")
class ReplayerTest {
  private final QuadraticWindow q = new QuadraticWindow(4, 10, 16, 0.3, 21);

  static List<Object[]> optimizers() {
    return List.of(new Object[] {Sgd.of(0.05).momentum(0.9).weightDecay(0.01), 2},
        new Object[] {Sgd.of(0.1), 0}, new Object[] {Adam.of(0.01), 2});
  }

  @ParameterizedTest
  @MethodSource("optimizers")
  @DisplayName("reaches Windows.replay's θ_T bit for bit, replay after replay at alternating λ,"
      + " from a restored or a fresh optimizer state")
  void matchesAFreshReplayEveryTime(OptimizerSpec spec, int warmup) {
    var s = q.setup(spec, 0.3, warmup, 5);
    var replayer = new Windows.Replayer(s.oracle(), s.spec());
    INDArray other = s.lambda().add(0.2);
    for (INDArray lambda : List.of(s.lambda(), other, s.lambda(), other)) {
      INDArray want = Windows.replay(s.oracle(), s.spec(), s.trajectory(), lambda, null);
      assertThat(replayer.replay(s.trajectory(), lambda).toDoubleVector())
          .containsExactly(want.toDoubleVector());
    }
    // At the recorded λ it ends where the recorded window did.
    assertThat(replayer.replay(s.trajectory(), s.lambda()).toDoubleVector())
        .containsExactly(s.trajectory().thetaT().toDoubleVector());
  }
}
