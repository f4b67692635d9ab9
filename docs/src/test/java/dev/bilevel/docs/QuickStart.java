package dev.bilevel.docs;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.bilevel.data.Batches;
import dev.bilevel.data.DatasetLocator;
import dev.bilevel.data.KnownDataset;
import dev.bilevel.data.LabelledImages;
import dev.bilevel.data.Split;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.engine.BilevelTrainer;
import dev.bilevel.engine.Listeners;
import dev.bilevel.engine.TrainingRun;
import dev.bilevel.estimator.onestep.OneStepModule;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import dev.bilevel.report.Progress;
import java.util.stream.IntStream;

/** The README's quick start, verbatim between the markers; {@code ReadmeTest} keeps them equal. */
final class QuickStart {
  private QuickStart() {}

  static BilevelProblem problem;
  static Batches innerBatches;
  static Batches outerBatches;

  static TrainingRun run() {
    // README-START
    LabelledImages data = DatasetLocator.fromEnvironment().load(KnownDataset.FASHION_MNIST, Split.TRAIN);
    Batches train = Batches.of(data.subset(IntStream.range(0, 1000).toArray()), 100, 1);
    Batches meta = Batches.of(data.subset(IntStream.range(1000, 2000).toArray()), 100, 2);

    BilevelProblem problem = Bilevel.problem("learned-weight-decay")
        .input("x", -1, 784).input("y", -1, 10)
        .inner("mlp", net -> net.dense(784, 64).relu().dense(64, 10))          // θ
        .metaParams("decay", p -> p.param("log", Init.constant(-9), 1))       // λ
        .innerObjective(f -> f.meanCrossEntropy(f.inner("mlp").apply(f.input("x")), f.input("y"))
            .add(f.sd().math().exp(f.meta("decay").param("log")).mul(f.squaredNorm(f.inner("mlp"))).sum()))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("mlp").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1).momentum(0.9))
        .outerOptimizer(Adam.of(0.05))
        .build();                                     // every problem of the spec, reported at once

    // The estimator is the installed module: swap OneStepModule for EvoGradModule, NeumannModule, ...
    Injector injector = Guice.createInjector(new BilevelModule(), new OneStepModule());
    BilevelTrainer trainer = injector.getInstance(BilevelTrainer.class);
    TrainingRun run = trainer.train(problem, 42, 5, train, meta,
        Listeners.progressBar(Progress.Factory.auto(), "quick start", 5L * train.batchesPerEpoch()));
    // README-END
    QuickStart.problem = problem;
    innerBatches = train;
    outerBatches = meta;
    return run;
  }
}
