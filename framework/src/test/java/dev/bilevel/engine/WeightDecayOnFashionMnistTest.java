package dev.bilevel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import com.google.inject.Module;
import dev.bilevel.data.Batch;
import dev.bilevel.data.Batches;
import dev.bilevel.data.DatasetLocator;
import dev.bilevel.data.KnownDataset;
import dev.bilevel.data.LabelledImages;
import dev.bilevel.data.Split;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.firstorder.FirstOrderModule;
import dev.bilevel.estimator.onestep.OneStepModule;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.Iterator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-layer weight decay of an MLP on a small Fashion-MNIST subset that overfits: learning the decay
 * must lower the validation loss below that of the starting decay. λ_l is the log of layer l's
 * decay, so L_in = CE + Σ_l exp(λ_l)·‖W_l‖² and the outer objective is validation CE.
 *
 * <p>The validation loss is averaged over the last ten epochs: at lr 0.1 with momentum 0.9 on 500
 * samples, the last epoch's alone moves by up to 0.5 between seeds, enough to flip a comparison of
 * two single runs. Over seeds 11 to 16 one-step's ten-epoch mean was 0.06 to 0.13 below the fixed
 * decay's. EvoGrad at the paper's settings is not tested here: its estimate is about 1e-4 of
 * one-step's on this problem (docs/estimators.md), and it beat the fixed decay in 3 of those 6 seeds.
 */
@Tag("data")
@DisplayName("Learned per-layer weight decay on Fashion-MNIST")
class WeightDecayOnFashionMnistTest {
  private static final double LOG_DECAY0 = Math.log(1e-4);
  private static Batches train;
  private static Batches meta;
  private static Batch validation;

  @BeforeAll
  static void loadData() {
    LabelledImages all = DatasetLocator.fromEnvironment().load(KnownDataset.FASHION_MNIST, Split.TRAIN);
    LabelledImages trainSet = all.subset(IntStream.range(0, 500).toArray());
    LabelledImages metaSet = all.subset(IntStream.range(500, 1000).toArray());
    LabelledImages valSet = all.subset(IntStream.range(50_000, 52_000).toArray());
    train = Batches.of(trainSet, 50, 1);
    meta = Batches.of(metaSet, 100, 2);
    validation = Batches.of(valSet, valSet.size(), 3).shuffle(false).batch(0, 0);
  }

  static BilevelProblem problem() {
    return Bilevel.problem("mlp-weight-decay")
        .input("x", -1, 784).input("y", -1, 10)
        .inner("mlp", n -> n.dense(784, 128).relu().dense(128, 10))
        .metaParams("logDecay", p -> p.param("layer", Init.constant(LOG_DECAY0), 2))
        .innerObjective(f -> {
          var mlp = f.inner("mlp");
          var decay = f.sd().math().exp(f.meta("logDecay").param("layer"));
          var sq1 = f.sd().math().square(mlp.param("0.W")).sum();
          var sq2 = f.sd().math().square(mlp.param("2.W")).sum();
          var penalty = f.sd().stack(0, sq1, sq2).mul(decay).sum();
          return f.meanCrossEntropy(mlp.apply(f.input("x")), f.input("y")).add(penalty);
        })
        .outerObjective(f -> f.meanCrossEntropy(f.inner("mlp").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1).momentum(0.9))
        .outerOptimizer(Adam.of(0.1))
        .build();
  }

  /** A finished run and its validation loss averaged over the last ten of its 25 epochs. */
  record Trained(TrainingRun run, double lateValidationLoss) {}

  static Trained train(Module estimator) {
    BilevelTrainer trainer = Guice.createInjector(new BilevelModule(), estimator)
        .getInstance(BilevelTrainer.class);
    Iterator<Batch> metaBatches = meta.cursor(0, 0);
    double[] sum = new double[1];
    TrainingListener lastTen = new TrainingListener() {
      @Override
      public void onEpochEnd(TrainingRun run, int epoch) {
        if (epoch >= 15) {
          sum[0] += validationLoss(run);
        }
      }
    };
    TrainingRun run = trainer.train(problem(), 11, 25, e -> train.epoch(e).iterator(),
        metaBatches::next, java.util.List.of(lastTen));
    return new Trained(run, sum[0] / 10);
  }

  static double validationLoss(TrainingRun run) {
    return run.compiled().value(Level.OUTER, run.theta(), run.lambda(), validation);
  }

  @Test
  @DisplayName("one-step raises the decay and lowers validation loss over the last ten epochs")
  void oneStepLowersValidationLossBelowTheStartingDecay() {
    Trained fixed = train(new FirstOrderModule());
    Trained oneStep = train(new OneStepModule());

    // First-order sees no direct term (λ reaches L_out only through θ), so λ stays where it began:
    // that run is plain training at the starting decay.
    INDArray lambda = fixed.run().lambda();
    assertThat(lambda.getDouble(0)).isEqualTo(LOG_DECAY0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(lambda.getDouble(1)).isEqualTo(LOG_DECAY0, org.assertj.core.data.Offset.offset(1e-6));
    System.out.printf("validation CE, mean of the last ten epochs: fixed decay %.4f, one-step %.4f"
        + " (λ=%s)%n", fixed.lateValidationLoss(), oneStep.lateValidationLoss(),
        oneStep.run().lambda());
    assertThat(oneStep.run().lambda().minNumber().doubleValue()).isGreaterThan(LOG_DECAY0 + 1);
    assertThat(oneStep.lateValidationLoss()).isLessThan(fixed.lateValidationLoss() - 0.02);
  }
}
