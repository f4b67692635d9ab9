package dev.bilevel.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.fixtures.ReluSum;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Replay plans give SameDiff's results: the same problem compiled with and without them must agree
 * on values, gradients and outputs, as θ, λ and batches change between evaluations.
 */
@DisplayName("Graph replay plans")
class GraphPlanTest {

  /**
   * Meta-Weight-Net's shape over every block kind: a conv classifier with batch norm, pooling and a
   * residual; per-sample losses weighted by a net of their stopped values; a normalised weighted sum
   * inside and a mean cross-entropy plus an MSE term outside.
   */
  private static BilevelProblem problem() {
    return Bilevel.problem("replay").dtype(DataType.DOUBLE)
        .input("x", -1, 2, 6, 6).input("y", -1, 3)
        .inner("net", n -> n.conv2d(2, 4, 3).batchNorm(4).relu()
            .residual(b -> b.conv2d(4, 4, 3).tanh()).maxPool(2).flatten()
            .dense(36, 8).leakyRelu(0.1).dense(8, 3))
        .meta("vnet", n -> n.dense(1, 5).relu().dense(5, 1).sigmoid())
        .innerObjective(f -> {
          var losses = f.perSampleCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y"));
          var w = f.meta("vnet").apply(f.stopGradient(losses).reshape(-1, 1));
          f.expose("weights", w);
          return f.normalizedWeightedSum(losses, w);
        })
        .outerObjective(f -> {
          var logits = f.inner("net").apply(f.input("x"));
          return f.meanCrossEntropy(logits, f.input("y"))
              .add(f.meanSquaredError(f.sd().nn().softmax(logits), f.input("y")));
        })
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.01))
        .build();
  }

  private static Batch batch(int n, long seed) {
    Nd4j.getRandom().setSeed(seed);
    INDArray x = Nd4j.randn(DataType.DOUBLE, n, 2, 6, 6);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, n, 3);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, (i + seed) % 3, 1.0);
    }
    return Batch.of(Map.of("x", x, "y", y));
  }

  private static void assertClose(INDArray got, INDArray want) {
    assertThat(got.shape()).isEqualTo(want.shape());
    double scale = Math.max(1e-12, want.amaxNumber().doubleValue());
    assertThat(got.sub(want).amaxNumber().doubleValue()).isLessThanOrEqualTo(1e-10 * scale);
  }

  /**
   * The plans' evaluation equals SameDiff's executor's: the value within {@code valueOffset}, ∇θ and
   * (where there is one) ∇λ within {@link #assertClose}. Returns the reference evaluation.
   */
  private static Evaluation assertAgree(CompiledProblem replay, CompiledProblem reference,
      Level level, INDArray theta, INDArray lambda, Batch batch, double valueOffset) {
    Evaluation got = replay.evaluate(level, theta, lambda, batch, Wrt.BOTH);
    Evaluation want = reference.evaluate(level, theta, lambda, batch, Wrt.BOTH);
    assertThat(got.value()).isCloseTo(want.value(), org.assertj.core.data.Offset.offset(valueOffset));
    assertClose(got.gradTheta(), want.gradTheta());
    if (want.gradLambda() != null) {
      assertClose(got.gradLambda(), want.gradLambda());
    }
    return want;
  }

  @Test
  @DisplayName("agree with SameDiff's executor as θ, λ, batches and batch sizes change")
  void agreeWithSameDiff() {
    BilevelProblem p = problem();
    CompiledProblem replay = CompiledProblem.compile(p, Backends.current(), true);
    CompiledProblem reference = CompiledProblem.compile(p, Backends.current(), false);
    INDArray theta = replay.initialTheta(1);
    INDArray lambda = replay.initialLambda(1);
    int[] sizes = {5, 5, 5, 7, 5};
    for (int step = 0; step < sizes.length; step++) {
      Batch b = batch(sizes[step], step);
      for (Level level : Level.values()) {
        assertAgree(replay, reference, level, theta, lambda, b, 1e-10);
      }
      Map<String, INDArray> w = replay.outputs(Level.INNER, theta, lambda, b, "weights");
      assertClose(w.get("weights"),
          reference.outputs(Level.INNER, theta, lambda, b, "weights").get("weights"));
      // Move θ and λ so the next round checks that plans read the new values.
      theta.addi(Nd4j.randn(DataType.DOUBLE, theta.length()).muli(0.05));
      lambda.addi(Nd4j.randn(DataType.DOUBLE, lambda.length()).muli(0.05));
    }
    for (Level level : Level.values()) {
      assertThat(replay.graph(level).replayRefused()).isNull();
      assertThat(replay.graph(level).planCount()).isGreaterThanOrEqualTo(2);
      assertThat(reference.graph(level).planCount()).isZero();
    }
  }

  /**
   * A classifier whose logits a one-number λ scales inside (CE(s·net(x))), with plain CE outside:
   * the smallest λ that reaches the inner objective.
   */
  private static BilevelProblem scaledLogits(String name, long[] xShape, int classes, double s0,
      java.util.function.Consumer<dev.bilevel.dsl.Net> net) {
    return Bilevel.problem(name).dtype(DataType.DOUBLE)
        .input("x", xShape).input("y", -1, classes)
        .inner("net", net)
        .metaParams("s", g -> g.param("s", Init.constant(s0), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x"))
            .mul(f.meta("s").param("s")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.01))
        .build();
  }

  /** An MLP on raw 6-dimensional inputs; λ scales θ's squared norm, which legacy ops compute. */
  private static BilevelProblem mlpWithWeightDecay() {
    return Bilevel.problem("mlp").dtype(DataType.DOUBLE)
        .input("x", -1, 6).input("y", -1, 3)
        .inner("net", n -> n.dense(6, 8).relu().dense(8, 3))
        .metaParams("wd", g -> g.param("wd", Init.constant(0.01), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y"))
            .add(f.squaredNorm(f.inner("net")).mul(f.meta("wd").param("wd"))))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.01))
        .build();
  }

  private static Batch rawBatch(long seed) {
    Nd4j.getRandom().setSeed(seed);
    return Batch.of(Map.of("x", Nd4j.randn(DataType.DOUBLE, 5, 6),
        "y", Nd4j.eye(5).getColumns(0, 1, 2).castTo(DataType.DOUBLE)));
  }

  @Test
  @DisplayName("agree on an MLP whose first layer skips the unused gradient of its input")
  void mlpOnRawInputs() {
    BilevelProblem p = mlpWithWeightDecay();
    CompiledProblem replay = CompiledProblem.compile(p, Backends.current(), true);
    CompiledProblem reference = CompiledProblem.compile(p, Backends.current(), false);
    INDArray theta = replay.initialTheta(4);
    INDArray lambda = replay.initialLambda(4);
    for (int step = 0; step < 3; step++) {
      Batch b = rawBatch(step);
      for (Level level : Level.values()) {
        Evaluation got = replay.evaluate(level, theta, lambda, b, Wrt.BOTH);
        Evaluation want = reference.evaluate(level, theta, lambda, b, Wrt.BOTH);
        assertClose(got.gradTheta(), want.gradTheta());
      }
      theta.addi(0.1);
    }
    assertThat(replay.graph(Level.INNER).planCount()).isEqualTo(1);
    assertThat(replay.graph(Level.INNER).replayRefused()).isNull();
  }

  @Test
  @DisplayName("plan for λ's gradient alone without the classifier's backward pass")
  void lambdaOnlyPlansSkipTheClassifierBackward() {
    CompiledProblem c = CompiledProblem.compile(problem());
    Batch b = batch(4, 2);
    c.evaluate(Level.INNER, c.initialTheta(1), c.initialLambda(1), b, Wrt.LAMBDA);
    List<String> lambdaOnly = c.graph(Level.INNER).plans().get(0).opNames();
    c.evaluate(Level.INNER, c.initialTheta(1), c.initialLambda(1), b, Wrt.THETA);
    List<String> thetaToo = c.graph(Level.INNER).plans().get(1).opNames();
    assertThat(thetaToo).anyMatch(op -> op.startsWith("conv2d_bp"));
    assertThat(lambdaOnly).noneMatch(op -> op.startsWith("conv2d_bp"))
        .anyMatch(op -> op.startsWith("sigmoid_bp"));
  }

  @Test
  @DisplayName("reuse the buffers of activations once the backward pass has read them")
  void buffersAreReused() {
    BilevelProblem p = scaledLogits("deep", new long[] {-1, 32}, 4, 1.0,
        n -> n.dense(32, 64).tanh().dense(64, 64).tanh().dense(64, 64).tanh()
            .dense(64, 64).tanh().dense(64, 4));
    CompiledProblem c = CompiledProblem.compile(p);
    Nd4j.getRandom().setSeed(3);
    Batch b = Batch.of(Map.of("x", Nd4j.randn(DataType.DOUBLE, 50, 32),
        "y", Nd4j.eye(50).getColumns(0, 1, 2, 3).castTo(DataType.DOUBLE)));
    c.evaluate(Level.INNER, c.initialTheta(1), c.initialLambda(1), b, Wrt.BOTH);
    GraphPlan plan = c.graph(Level.INNER).plans().get(0);
    assertThat(plan.allocatedBytes()).isPositive()
        .isLessThan(plan.requestedBytes() * 3 / 4);
  }

  @Test
  @DisplayName("write ∇θ into a reused buffer, zeroing what the objective does not touch")
  void evaluateIntoReusesTheBuffer() {
    BilevelProblem p = problem();
    CompiledProblem c = CompiledProblem.compile(p);
    INDArray theta = c.initialTheta(2);
    INDArray lambda = c.initialLambda(2);
    Batch b = batch(6, 3);
    INDArray buffer = Nd4j.valueArrayOf(new long[] {theta.length()}, 123.0, DataType.DOUBLE);
    Evaluation into = c.evaluateInto(Level.INNER, theta, lambda, b, Wrt.THETA, buffer);
    Evaluation fresh = c.evaluate(Level.INNER, theta, lambda, b, Wrt.THETA);
    assertThat(into.gradTheta()).isSameAs(buffer);
    assertClose(buffer, fresh.gradTheta());
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0} input channel(s), stride {1}, padding {2}")
  @org.junit.jupiter.params.provider.CsvSource({"1, 1, 1", "2, 2, 1", "3, 1, 0"})
  @DisplayName("plan a first convolution's backward without the input gradient, and relu's without the mask's, to SameDiff's values")
  void firstConvolutionSkipsTheInputGradient(int channels, int stride, int padding) {
    BilevelProblem p = scaledLogits("cnn", new long[] {-1, 7, 7, channels}, 3, 0.7,
        n -> n.layout(dev.bilevel.blocks.ImageLayout.NHWC)
            .conv2d(channels, 4, 3, stride, padding).relu().conv2d(4, 5, 3).globalAvgPool()
            .dense(5, 3));
    CompiledProblem replay = CompiledProblem.compile(p);
    CompiledProblem sameDiff = CompiledProblem.compile(p, Backends.current(), Executor.SAMEDIFF);
    INDArray theta = replay.initialTheta(4);
    INDArray lambda = replay.initialLambda(4);
    Nd4j.getRandom().setSeed(3);
    Batch b = Batch.of(Map.of("x", Nd4j.randn(DataType.DOUBLE, 6, 7, 7, channels),
        "y", Nd4j.eye(6).getColumns(0, 1, 2).castTo(DataType.DOUBLE)));

    Evaluation planned = replay.evaluate(Level.INNER, theta, lambda, b, Wrt.BOTH);
    Evaluation reference = sameDiff.evaluate(Level.INNER, theta, lambda, b, Wrt.BOTH);

    assertThat(replay.graph(Level.INNER).plans()).hasSize(1);
    // One of the two convolutions: the second one's input gradient feeds the first one.
    List<String> rewrites = replay.graph(Level.INNER).plans().get(0).rewrites();
    assertThat(rewrites).filteredOn(r -> r.endsWith(": weight and bias gradients only"))
        .hasSize(1);
    // The relu block's backward: the mask's gradient is never read, its zero gradient not added.
    assertThat(rewrites).anyMatch(r -> r.endsWith(": one multiply"))
        .anyMatch(r -> r.endsWith(": zero term dropped"));
    assertThat(planned.value()).isCloseTo(reference.value(),
        org.assertj.core.data.Offset.offset(1e-12));
    assertClose(planned.gradTheta(), reference.gradTheta());
    assertClose(planned.gradLambda(), reference.gradLambda());
  }

  @Test
  @DisplayName("read θ's current values when the same buffer comes back changed in place")
  void sameThetaBufferWithNewValues() {
    CompiledProblem c = CompiledProblem.compile(problem());
    INDArray theta = c.initialTheta(2);
    INDArray lambda = c.initialLambda(2);
    INDArray other = c.initialTheta(5);
    Batch b = batch(6, 3);
    INDArray buffer = Nd4j.zeros(DataType.DOUBLE, theta.length());
    Evaluation first = c.evaluateInto(Level.INNER, theta, lambda, b, Wrt.BOTH, buffer);
    double firstValue = first.value();

    theta.assign(other); // same objects, new contents
    lambda.muli(1.5);
    Evaluation second = c.evaluateInto(Level.INNER, theta, lambda, b, Wrt.BOTH, buffer);
    Evaluation fresh = c.evaluate(Level.INNER, other.dup(), lambda.dup(), b, Wrt.BOTH);

    assertThat(second.value()).isEqualTo(fresh.value()).isNotEqualTo(firstValue);
    assertClose(buffer, fresh.gradTheta());
    assertClose(second.gradLambda(), fresh.gradLambda());
  }

  @Test
  @DisplayName("read the right θ when callers alternate between buffers, changed in place")
  void alternatingThetaBuffers() {
    CompiledProblem c = CompiledProblem.compile(problem());
    INDArray a = c.initialTheta(2);
    INDArray b = c.initialTheta(5);
    INDArray third = c.initialTheta(7);
    INDArray lambda = c.initialLambda(2);
    Batch batch = batch(6, 3);
    c.evaluate(Level.INNER, a, lambda, batch, Wrt.THETA);
    c.evaluate(Level.INNER, b, lambda, batch, Wrt.THETA);
    c.evaluate(Level.INNER, third, lambda, batch, Wrt.THETA); // pushes a out of the views kept

    b.addi(0.01);
    for (INDArray theta : List.of(a, b, third, b)) {
      assertThat(c.evaluate(Level.INNER, theta, lambda, batch, Wrt.THETA).value())
          .isEqualTo(c.evaluate(Level.INNER, theta.dup(), lambda, batch, Wrt.THETA).value());
    }
  }

  @Test
  @DisplayName("agree with SameDiff's executor through many rebinds of θ and of ∇θ buffers, past"
      + " the purges that reset the op contexts")
  void manyRebindsAcrossPurges() {
    BilevelProblem p = problem();
    CompiledProblem replay = CompiledProblem.compile(p, Backends.current(), true);
    CompiledProblem reference = CompiledProblem.compile(p, Backends.current(), false);
    INDArray lambda = replay.initialLambda(1);
    Batch batch = batch(6, 3);
    INDArray[] thetas = {replay.initialTheta(1), replay.initialTheta(2), replay.initialTheta(3)};
    INDArray[] buffers = {Nd4j.zeros(DataType.DOUBLE, thetas[0].length()),
        Nd4j.zeros(DataType.DOUBLE, thetas[0].length())};
    for (int round = 0; round < 4 * GraphPlan.REBINDS_BEFORE_PURGE; round++) {
      // a kept θ, or a fresh one as a replayed window passes
      INDArray theta = round % 3 == 2 ? thetas[round % 2].add(0.01 * round) : thetas[round % 3];
      INDArray into = buffers[round % 2];
      Evaluation got = replay.evaluateInto(Level.INNER, theta, lambda, batch, Wrt.BOTH, into);
      Evaluation want = reference.evaluate(Level.INNER, theta, lambda, batch, Wrt.BOTH);
      assertThat(got.value()).isCloseTo(want.value(), org.assertj.core.data.Offset.offset(1e-12));
      assertClose(into, want.gradTheta());
      assertClose(got.gradLambda(), want.gradLambda());
    }
    assertThat(replay.graph(Level.INNER).plans()).anySatisfy(plan ->
        assertThat(plan.purges()).isPositive());
  }

  @Test
  @DisplayName("keep no θ alive once callers stop passing it: evaluating at a fresh θ each time"
      + " leaves the process's memory flat (it grew by one θ per evaluation)")
  void freshThetasDoNotAccumulate() throws Exception {
    // 784 × 256 in FP64: 1.6 MB per θ, so 300 retained θ would add 480 MB.
    BilevelProblem p = Bilevel.problem("wide").dtype(DataType.DOUBLE)
        .input("x", -1, 784).input("y", -1, 3)
        .inner("net", n -> n.dense(784, 256).relu().dense(256, 3))
        .metaParams("s", g -> g.param("s", Init.constant(1), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x"))
            .mul(f.meta("s").param("s")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.01))
        .build();
    CompiledProblem c = CompiledProblem.compile(p);
    INDArray theta = c.initialTheta(1);
    INDArray lambda = c.initialLambda(1);
    Nd4j.getRandom().setSeed(1);
    Batch batch = Batch.of(Map.of("x", Nd4j.randn(DataType.DOUBLE, 4, 784),
        "y", Nd4j.eye(4).getColumns(0, 1, 2).castTo(DataType.DOUBLE)));
    INDArray grad = Nd4j.zeros(DataType.DOUBLE, theta.length());
    long thetaBytes = theta.length() * 8;
    int n = 300;
    evaluateFresh(c, theta, lambda, batch, grad, 50); // plans built, pools warm
    long before = residentBytes();
    evaluateFresh(c, theta, lambda, batch, grad, n);
    long growth = residentBytes() - before;
    assertThat(growth).as("resident growth over %d evaluations at fresh θ of %d bytes", n,
        thetaBytes).isLessThan(n * thetaBytes / 4);
  }

  private static void evaluateFresh(CompiledProblem c, INDArray theta, INDArray lambda, Batch batch,
      INDArray grad, int n) throws InterruptedException {
    for (int i = 0; i < n; i++) {
      c.evaluateInto(Level.INNER, theta.dup(), lambda, batch, Wrt.THETA, grad);
      if (i % 25 == 24) {
        System.gc(); // native buffers go when their arrays are collected
        Thread.sleep(20);
      }
    }
    System.gc();
    Thread.sleep(100);
  }

  private static long residentBytes() throws java.io.IOException {
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  @DisplayName("read θ in place where ops take it through their contexts, and copy it where a"
      + " legacy op (the squared norm's square) holds the graph's own array")
  void boundAndCopiedParametersBothReadRight() {
    BilevelProblem p = mlpWithWeightDecay();
    CompiledProblem replay = CompiledProblem.compile(p, Backends.current(), true);
    CompiledProblem reference = CompiledProblem.compile(p, Backends.current(), false);
    INDArray a = replay.initialTheta(1);
    INDArray b = replay.initialTheta(2);
    INDArray lambda = replay.initialLambda(1);
    Batch batch = rawBatch(1);
    for (int round = 0; round < 3; round++) {
      for (INDArray theta : List.of(a, b)) {
        assertThat(assertAgree(replay, reference, Level.INNER, theta, lambda, batch, 1e-12)
            .gradLambda()).isNotNull();
      }
      a.muli(1.1);
      lambda.addi(0.05);
    }
    assertThat(replay.graph(Level.INNER).replayRefused()).isNull();
  }

  @Test
  @DisplayName("leave a ∇θ buffer alone once the caller stops passing it, and fill each buffer"
      + " passed with its own evaluation's gradient")
  void gradientBuffersAreNotWrittenLater() {
    CompiledProblem c = CompiledProblem.compile(problem());
    INDArray theta = c.initialTheta(3);
    INDArray lambda = c.initialLambda(3);
    INDArray first = Nd4j.zeros(DataType.DOUBLE, theta.length());
    INDArray second = Nd4j.zeros(DataType.DOUBLE, theta.length());
    Batch b1 = batch(6, 4);
    Batch b2 = batch(6, 5);
    for (int i = 0; i < 3; i++) { // until the request runs on a plan
      c.evaluateInto(Level.INNER, theta, lambda, b1, Wrt.THETA, first);
    }
    INDArray kept = first.dup();

    Evaluation fresh = c.evaluate(Level.INNER, theta, lambda, b2, Wrt.THETA);
    c.evaluateInto(Level.INNER, theta, lambda, b2, Wrt.THETA, second);
    Evaluation again = c.evaluate(Level.INNER, theta, lambda, b1, Wrt.THETA);

    assertThat(first).isEqualTo(kept);
    assertClose(second, fresh.gradTheta());
    assertClose(again.gradTheta(), kept);
    assertThat(fresh.gradTheta()).isNotEqualTo(kept);
  }

  @Test
  @DisplayName("write ∇θ into a buffer and still return ∇λ when both are asked for")
  void evaluateIntoWithBothGradients() {
    CompiledProblem c = CompiledProblem.compile(problem());
    INDArray theta = c.initialTheta(3);
    INDArray lambda = c.initialLambda(3);
    Batch b = batch(6, 4);
    INDArray buffer = Nd4j.zeros(DataType.DOUBLE, theta.length());
    Evaluation into = c.evaluateInto(Level.INNER, theta, lambda, b, Wrt.BOTH, buffer);
    Evaluation fresh = c.evaluate(Level.INNER, theta, lambda, b, Wrt.BOTH);
    assertThat(into.gradTheta()).isSameAs(buffer);
    assertClose(buffer, fresh.gradTheta());
    assertClose(into.gradLambda(), fresh.gradLambda());
    assertThat(into.value()).isEqualTo(fresh.value());
  }

  @Test
  @DisplayName("refuse to write ∇θ into a buffer for a request without θ, and say what to use")
  void evaluateIntoNeedsTheta() {
    CompiledProblem c = CompiledProblem.compile(problem());
    INDArray theta = c.initialTheta(3);
    assertThatThrownBy(() -> c.evaluateInto(Level.INNER, theta, c.initialLambda(3), batch(6, 4),
        Wrt.LAMBDA, theta.dup()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("evaluateInto writes ∇θ, but wrt is LAMBDA; use evaluate for requests without θ");
  }

  @Test
  @DisplayName("leave a graph with a random op on SameDiff's executor, and say why")
  void randomOpsStayOnSameDiff() {
    BilevelProblem p = Bilevel.problem("noisy").dtype(DataType.DOUBLE)
        .input("x", -1, 3).input("y", -1, 2)
        .inner("net", n -> n.dense(3, 2))
        .metaParams("s", g -> g.param("s", Init.constant(1.0), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x"))
            .add(f.sd().random().normal(0.0, 1e-3, DataType.DOUBLE, 1, 2))
            .mul(f.meta("s").param("s")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.01))
        .build();
    CompiledProblem c = CompiledProblem.compile(p);
    Batch b = Batch.of(Map.of("x", Nd4j.rand(DataType.DOUBLE, 4, 3),
        "y", Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}, {1, 0}, {0, 1}})));
    c.evaluate(Level.INNER, c.initialTheta(1), c.initialLambda(1), b, Wrt.BOTH);
    assertThat(c.graph(Level.INNER).replayRefused()).contains("cannot be replayed");
    assertThat(c.graph(Level.INNER).planCount()).isZero();
    assertThat(c.graph(Level.OUTER).replayRefused()).isNull();
  }

  @Test
  @DisplayName("do not plan from a non-finite evaluation, and plan from the next finite one")
  void noPlanFromNaN() {
    CompiledProblem c = CompiledProblem.compile(problem());
    INDArray theta = c.initialTheta(1);
    INDArray lambda = c.initialLambda(1);
    Batch b = batch(4, 1);
    INDArray bad = theta.dup();
    bad.putScalar(0, Double.NaN);
    c.evaluate(Level.OUTER, bad, lambda, b, Wrt.THETA);
    assertThat(c.graph(Level.OUTER).planCount()).isZero();
    assertThat(c.graph(Level.OUTER).replayRefused()).isNull();
    c.evaluate(Level.OUTER, theta, lambda, b, Wrt.THETA);
    assertThat(c.graph(Level.OUTER).planCount()).isEqualTo(1);
  }

  @Test
  @DisplayName("hold the ReLU masks: at the same point a held evaluation is the usual one, bit for bit")
  void heldPatternAtTheSamePointChangesNothing() {
    CompiledProblem c = CompiledProblem.compile(problem());
    INDArray theta = c.initialTheta(5);
    INDArray lambda = c.initialLambda(5);
    Batch b = batch(6, 4);
    for (Wrt wrt : List.of(Wrt.BOTH, Wrt.LAMBDA)) {
      Evaluation usual = c.evaluate(Level.INNER, theta, lambda, b, wrt);
      Evaluation held = c.evaluateHoldingPattern(Level.INNER, theta, lambda, b, wrt, null);
      assertThat(held.value()).isEqualTo(usual.value());
      assertThat(held.gradLambda()).isEqualTo(usual.gradLambda());
      if (wrt.theta()) {
        assertThat(held.gradTheta()).isEqualTo(usual.gradTheta());
      }
    }
    assertThat(c.heldPatterns(Level.INNER)).isEqualTo(2);
  }

  /**
   * L = s · Σᵢ relu(xᵢ·w): ∇w L = s · Σᵢ xᵢ·[xᵢ·w > 0] and ∇s L = Σᵢ relu(xᵢ·w). Held after an
   * evaluation at w₁, the masks are w₁'s: at w₂ = −w₁, where every mask is flipped,
   * ∇w L = s · Σᵢ xᵢ·[xᵢ·w₁ > 0] and ∇s L = Σᵢ [xᵢ·w₁ > 0]·(xᵢ·w₂).
   */
  @Test
  @DisplayName("hold the ReLU masks: elsewhere the gradient is the previous point's piece's")
  void heldPatternIsThePreviousPoints() {
    Flipped f = Flipped.afterEvaluatingW1(3);
    CompiledProblem c = f.c();

    Evaluation held = c.evaluateHoldingPattern(Level.INNER, f.w2(), f.lambda(), f.r().batch,
        Wrt.THETA, null);
    Evaluation usual = c.evaluate(Level.INNER, f.w2(), f.lambda(), f.r().batch, Wrt.THETA);

    assertThat(held.gradTheta().toDoubleVector())
        .containsExactly(f.r().gradW(f.w1(), f.lambda()), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(usual.gradTheta().toDoubleVector())
        .containsExactly(f.r().gradW(f.w2(), f.lambda()), org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  @DisplayName("hold the ReLU masks of the previous evaluation even when it asked for other gradients")
  void heldPatternCrossesRequests() {
    Flipped f = Flipped.afterEvaluatingW1(4);
    CompiledProblem c = f.c();

    // The λ-only request's first evaluation: its plan is built, then run again holding w₁'s masks.
    Evaluation held = c.evaluateHoldingPattern(Level.INNER, f.w2(), f.lambda(), f.r().batch,
        Wrt.LAMBDA, null);

    assertThat(held.gradLambda().getDouble(0))
        .isCloseTo(f.r().gradS(f.w1(), f.w2()), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(c.heldPatterns(Level.INNER)).isEqualTo(1);
    assertThat(c.evaluate(Level.INNER, f.w2(), f.lambda(), f.r().batch, Wrt.LAMBDA).gradLambda()
        .getDouble(0)).isCloseTo(f.r().gradS(f.w2(), f.w2()), org.assertj.core.data.Offset.offset(1e-12));
  }

  /** The ReLU sum evaluated (∇θ) at w₁, and w₂ = −w₁, where every mask is flipped. */
  private record Flipped(ReluSum r, CompiledProblem c, INDArray w1, INDArray w2, INDArray lambda) {
    static Flipped afterEvaluatingW1(long seed) {
      ReluSum r = new ReluSum(8, 7);
      CompiledProblem c = r.compiled();
      INDArray w1 = c.initialTheta(seed);
      INDArray lambda = c.initialLambda(seed);
      c.evaluate(Level.INNER, w1, lambda, r.batch, Wrt.THETA);
      return new Flipped(r, c, w1, w1.neg(), lambda);
    }
  }
}
