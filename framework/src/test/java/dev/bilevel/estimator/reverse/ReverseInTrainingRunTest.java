package dev.bilevel.estimator.reverse;

import static dev.bilevel.estimator.unroll.Vectors.relativeError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import dev.bilevel.engine.BilevelTrainer;
import dev.bilevel.engine.TrainingRun;
import dev.bilevel.estimator.unroll.QuadraticWindow;
import dev.bilevel.fixtures.Capturing;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reverse mode on the window the engine itself records between meta-updates. */
class ReverseInTrainingRunTest {

  @Test
  void theEngineWindowGivesTheClosedFormWithMomentum() {
    int t = 6;
    QuadraticWindow q = new QuadraticWindow(4, t, 16, 0.0, 7);
    var spec = Sgd.of(0.05).momentum(0.9);
    BilevelTrainer trainer = Guice.createInjector(new BilevelModule(), new ReverseModule())
        .getInstance(BilevelTrainer.class);
    assertThat(trainer.estimator()).isInstanceOf(Reverse.class);
    Capturing capture = new Capturing(trainer.estimator());
    TrainingRun run = trainer.start(q.problem(spec, 0.2, t), 5, capture);
    INDArray theta0 = run.theta();
    INDArray lambda = run.lambda();
    double[] lrs = new double[t];
    for (int i = 0; i < t; i++) {
      lrs[i] = run.innerOptimizer().currentLearningRate();
      run.step(q.batches.get(i), () -> q.val);
    }

    assertThat(capture.windowLengths).containsExactly(t);
    var exact = q.exact(theta0.toDoubleVector(), null, lambda.toDoubleVector(), lrs, 0.9, 0, 0, t, 0);
    assertThat(relativeError(capture.results.get(0).gradient(), exact.hypergradient()))
        .isLessThan(1e-6);
  }
}
