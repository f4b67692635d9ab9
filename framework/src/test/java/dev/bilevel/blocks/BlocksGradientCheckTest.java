package dev.bilevel.blocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.BilevelSpecException;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.dsl.Net;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every block's graph gradient agrees with central differences of its value (FP64), so the ops the
 * blocks emit and the way parameters are bound are right.
 */
@DisplayName("Blocks: gradients agree with finite differences")
class BlocksGradientCheckTest {

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of("dense + tanh", (Consumer<Net>) n -> n.flatten().dense(72, 5).tanh().dense(5, 3)),
        Arguments.of("conv + relu + maxpool", (Consumer<Net>) n -> n.conv2d(2, 3, 3).relu().maxPool(2)
            .flatten().dense(27, 3)),
        Arguments.of("conv stride 2 + avgpool", (Consumer<Net>) n -> n.conv2d(2, 4, 3, 2, 1).avgPool(3)
            .flatten().dense(4, 3)),
        Arguments.of("batch-norm (conv and dense)", (Consumer<Net>) n -> n.conv2d(2, 3, 3).batchNorm(3)
            .sigmoid().globalAvgPool().dense(3, 4).batchNorm(4).softplus().dense(4, 3)),
        Arguments.of("residual with projection", (Consumer<Net>) n -> n.residual(
                b -> b.conv2d(2, 4, 3).tanh().conv2d(4, 4, 3), s -> s.conv2d(2, 4, 1))
            .globalAvgPool().dense(4, 3)),
        Arguments.of("identity residual + leaky relu", (Consumer<Net>) n -> n.conv2d(2, 2, 1)
            .residual(b -> b.conv2d(2, 2, 3).leakyRelu(0.1)).flatten().dense(72, 3)));
  }

  private static BilevelProblem problem(Consumer<Net> net) {
    return problem(net, ImageLayout.NCHW);
  }

  private static BilevelProblem problem(Consumer<Net> net, ImageLayout layout) {
    return Bilevel.problem("blocks").dtype(DataType.DOUBLE)
        .input("x", layout == ImageLayout.NCHW ? new long[] {-1, 2, 6, 6} : new long[] {-1, 6, 6, 2})
        .input("y", -1, 3)
        .inner("net", n -> net.accept(n.layout(layout)))
        .metaParams("scale", p -> p.param("s", Init.constant(0.7), 1))
        .innerObjective(f -> f.meanCrossEntropy(
            f.inner("net").apply(f.input("x")).mul(f.meta("scale").param("s")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.1))
        .build();
  }

  private static Batch batch() {
    return batch(ImageLayout.NCHW);
  }

  private static Batch batch(ImageLayout layout) {
    Nd4j.getRandom().setSeed(5);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 2, 6, 6);
    if (layout == ImageLayout.NHWC) {
      x = x.permute(0, 2, 3, 1).dup('c');
    }
    INDArray y = Nd4j.zeros(DataType.DOUBLE, 4, 3);
    for (int i = 0; i < 4; i++) {
      y.putScalar(i, i % 3, 1.0);
    }
    return Batch.of(Map.of("x", x, "y", y));
  }

  static Stream<Arguments> networksInBothLayouts() {
    return networks().flatMap(a -> Stream.of(ImageLayout.values())
        .map(l -> Arguments.of(a.get()[0] + ", " + l, a.get()[1], l)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networksInBothLayouts")
  void gradientsMatchCentralDifferences(String name, Consumer<Net> net, ImageLayout layout) {
    CompiledProblem c = problem(net, layout).compile();
    Batch b = batch(layout);
    INDArray theta = c.initialTheta(3);
    INDArray lambda = c.initialLambda(3);
    var e = c.evaluate(Level.INNER, theta, lambda, b, dev.bilevel.graph.Wrt.BOTH);

    // A directional derivative along a random direction checks every coordinate at once.
    Nd4j.getRandom().setSeed(9);
    INDArray u = Nd4j.randn(DataType.DOUBLE, theta.length());
    double h = 1e-5;
    double fd = (c.value(Level.INNER, theta.add(u.mul(h)), lambda, b)
        - c.value(Level.INNER, theta.sub(u.mul(h)), lambda, b)) / (2 * h);
    double analytic = e.gradTheta().mul(u).sumNumber().doubleValue();
    assertThat(analytic).isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(fd))));

    double fdLambda = (c.value(Level.INNER, theta, lambda.add(h), b)
        - c.value(Level.INNER, theta, lambda.sub(h), b)) / (2 * h);
    assertThat(e.gradLambda().getDouble(0)).isCloseTo(fdLambda,
        org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(fdLambda))));
  }

  @Test
  @DisplayName("NHWC and NCHW agree to rounding where global pooling removes the spatial order")
  void channelsLastAgreesNumerically() {
    Consumer<Net> net = n -> n.conv2d(2, 3, 3).batchNorm(3).relu().maxPool(2)
        .residual(b -> b.conv2d(3, 4, 3).tanh(), s -> s.conv2d(3, 4, 1)).avgPool(3)
        .globalAvgPool().dense(4, 3);
    CompiledProblem nchw = problem(net, ImageLayout.NCHW).compile();
    CompiledProblem nhwc = problem(net, ImageLayout.NHWC).compile();
    INDArray theta = nchw.initialTheta(3);
    INDArray lambda = nchw.initialLambda(3);

    var a = nchw.evaluate(Level.INNER, theta, lambda, batch(ImageLayout.NCHW),
        dev.bilevel.graph.Wrt.BOTH);
    var b = nhwc.evaluate(Level.INNER, theta, lambda, batch(ImageLayout.NHWC),
        dev.bilevel.graph.Wrt.BOTH);

    assertThat(b.value()).isCloseTo(a.value(), org.assertj.core.data.Offset.offset(1e-12));
    double diff = b.gradTheta().sub(a.gradTheta()).amaxNumber().doubleValue();
    assertThat(diff).isLessThan(1e-12 * Math.max(1, a.gradTheta().amaxNumber().doubleValue()));
    assertThat(b.gradLambda().getDouble(0)).isCloseTo(a.gradLambda().getDouble(0),
        org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  @DisplayName("an NHWC convolution given NCHW images names the channel axis it read")
  void channelsLastConvolutionChecksTheLastAxis() {
    assertThatThrownBy(() -> Bilevel.problem("blocks").dtype(DataType.DOUBLE)
        .input("x", -1, 2, 6, 6).input("y", -1, 3)
        .inner("net", n -> n.layout(ImageLayout.NHWC).conv2d(2, 3, 3).globalAvgPool().dense(3, 3))
        .metaParams("scale", p -> p.param("s", Init.constant(0.7), 1))
        .innerObjective(f -> f.meanCrossEntropy(
            f.inner("net").apply(f.input("x")).mul(f.meta("scale").param("s")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.1))
        .build())
        .isInstanceOf(BilevelSpecException.class)
        .satisfies(ex -> assertThat(((BilevelSpecException) ex).problems()).contains(
            "inner objective: group 'net', block 0 conv2d(2→3, 3x3, NHWC): conv2d(2→3, 3x3, NHWC)"
                + " expects input channels = 2 but the input has shape [-1, 2, 6, 6]; change the"
                + " block's size or the layer before it"));
  }

  @Test
  void convolutionAndPoolingShapesArePropagated() {
    assertThatThrownBy(() -> problem(n -> n.conv2d(2, 3, 3).maxPool(2).flatten().dense(28, 3)))
        .isInstanceOf(BilevelSpecException.class)
        .satisfies(ex -> assertThat(((BilevelSpecException) ex).problems()).contains(
            "inner objective: group 'net', block 3 dense(28→3): dense(28→3) expects input features"
                + " = 28 but the input has shape [-1, 27]; change the block's size or the layer"
                + " before it"));
  }

  @Test
  void aResidualWhoseBodyChangesTheShapeNeedsAProjection() {
    assertThatThrownBy(() -> problem(n -> n.residual(b -> b.conv2d(2, 4, 3)).flatten().dense(144, 3)))
        .isInstanceOf(BilevelSpecException.class)
        .satisfies(ex -> assertThat(((BilevelSpecException) ex).problems()).contains(
            "inner objective: group 'net', block 0 residual([conv2d(2→4, 3x3)]): residual([conv2d(2→4,"
                + " 3x3)]): the body gives shape [-1, 4, 6, 6] but the shortcut gives [-1, 2, 6, 6];"
                + " add a projection shortcut or keep the body shape-preserving"));
  }
}
