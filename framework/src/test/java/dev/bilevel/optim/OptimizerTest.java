package dev.bilevel.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

class OptimizerTest {

  private static INDArray vec(double... v) {
    return Nd4j.createFromArray(v);
  }

  @Test
  void sgdWithWeightDecayTakesTheCoupledL2Step() {
    Optimizer o = Sgd.of(0.1).weightDecay(0.5).create(2, DataType.DOUBLE);
    INDArray p = vec(1.0, -2.0);

    o.step(p, vec(0.3, 0.4));

    // p − lr·(g + wd·p)
    assertThat(p.getDouble(0)).isCloseTo(1.0 - 0.1 * (0.3 + 0.5), offset(1e-12));
    assertThat(p.getDouble(1)).isCloseTo(-2.0 - 0.1 * (0.4 - 1.0), offset(1e-12));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  void anSgdStepIsTheNd4jUpdateSubtractedBitForBit(DataType dtype) {
    // The step subtracts by BLAS since the ND4J op it replaced cost a tenth of a training step;
    // recorded runs reproduce only if every bit stays.
    Nd4j.getRandom().setSeed(3);
    INDArray p = Nd4j.randn(dtype, 10_000).muli(0.3);
    INDArray g = Nd4j.randn(dtype, 10_000).muli(0.01);
    INDArray expected = p.dup().subi(g.dup().muli(0.05));

    Sgd.of(0.05).create(10_000, dtype).step(p, g);

    assertThat(p.toDoubleVector()).containsExactly(expected.toDoubleVector());
  }

  @Test
  void momentumIsNesterovMomentumAsPyTorchDefinesIt() {
    // PyTorch (nesterov=True): b ← μb + g; p ← p − lr·(g + μb).
    double lr = 0.1;
    double mu = 0.9;
    Optimizer o = Sgd.of(lr).momentum(mu).create(1, DataType.DOUBLE);
    INDArray p = vec(2.0);
    double ref = 2.0;
    double buf = 0;
    double[] grads = {0.5, -0.2, 0.7};
    for (double g : grads) {
      o.step(p, vec(g));
      buf = mu * buf + g;
      ref -= lr * (g + mu * buf);
      assertThat(p.getDouble(0)).isCloseTo(ref, offset(1e-12));
    }
  }

  @Test
  void aStepScheduleChangesTheLearningRateByIteration() {
    Optimizer o = Sgd.of(0.1).schedule(new StepSchedule(ScheduleType.ITERATION, 0.1, 0.5, 2))
        .create(1, DataType.DOUBLE);
    double[] seen = new double[5];
    INDArray p = vec(0.0);
    for (int i = 0; i < 5; i++) {
      seen[i] = o.currentLearningRate();
      o.step(p, vec(1.0));
    }

    assertThat(seen).containsExactly(new double[] {0.1, 0.1, 0.05, 0.05, 0.025}, offset(1e-12));
    assertThat(p.getDouble(0)).isCloseTo(-(0.1 + 0.1 + 0.05 + 0.05 + 0.025), offset(1e-12));
  }

  @Test
  void aRestoredAdamContinuesExactlyAsTheOriginal() {
    Optimizer a = Adam.of(0.01).create(3, DataType.DOUBLE);
    INDArray p = vec(1, 2, 3);
    for (int i = 0; i < 3; i++) {
      a.step(p, vec(0.1 * i, -0.2, 0.3));
    }
    Optimizer.Snapshot s = a.snapshot();
    INDArray q = p.dup();
    a.step(p, vec(0.5, 0.5, 0.5));

    Optimizer b = Adam.of(0.01).create(3, DataType.DOUBLE);
    b.restore(s);
    b.step(q, vec(0.5, 0.5, 0.5));

    assertThat(q).isEqualTo(p);
    assertThat(b.iteration()).isEqualTo(4);
  }

  @Test
  void aConsumingStepMovesLikeAStepAndOnlyStepKeepsTheGradient() {
    Optimizer a = Adam.of(0.01).weightDecay(0.1).create(3, DataType.DOUBLE);
    Optimizer b = Adam.of(0.01).weightDecay(0.1).create(3, DataType.DOUBLE);
    INDArray pa = vec(1, 2, 3);
    INDArray pb = vec(1, 2, 3);
    for (int i = 0; i < 3; i++) {
      INDArray g = vec(0.5, -1, 2 + i);
      a.step(pa, g);
      assertThat(g.getDouble(2)).isEqualTo(2.0 + i);
      INDArray consumed = vec(0.5, -1, 2 + i);
      b.stepConsuming(pb, consumed);
      assertThat(consumed.getDouble(2)).isNotEqualTo(2.0 + i);
    }
    assertThat(pb.toDoubleVector()).containsExactly(pa.toDoubleVector());
  }

  @Test
  void invalidSettingsAreRejectedWhenGiven() {
    assertThatThrownBy(() -> Sgd.of(0.1).momentum(1.0))
        .hasMessage("Sgd momentum must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> Adam.of(-1))
        .hasMessage("Adam learning rate must be positive and finite, got -1.0");
  }
}
