package dev.bilevel.dsl;

import dev.bilevel.blocks.Activation;
import dev.bilevel.blocks.BatchNorm;
import dev.bilevel.blocks.Block;
import dev.bilevel.blocks.Conv2d;
import dev.bilevel.blocks.Dense;
import dev.bilevel.blocks.Flatten;
import dev.bilevel.blocks.ImageLayout;
import dev.bilevel.blocks.Pool2d;
import dev.bilevel.blocks.Residual;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A fluent sequence of blocks that defines a parameter group's network:
 * {@code net -> net.dense(784, 256).relu().dense(256, 10)}.
 */
public final class Net {
  private final List<Block> blocks = new ArrayList<>();
  private ImageLayout layout = ImageLayout.NCHW;

  Net() {}

  /**
   * The image layout of the convolution, pooling and batch-norm blocks added after this call
   * (NCHW until changed); nets inside {@link #residual} inherit it. NHWC ran the benchmark CNN
   * 14% faster on ND4J 1.0.0-M2.1 (docs/performance.md).
   */
  public Net layout(ImageLayout layout) {
    this.layout = java.util.Objects.requireNonNull(layout, "layout");
    return this;
  }

  /** Dense layer with PyTorch's default initialisation (U(±1/√in) for weights and bias). */
  public Net dense(long in, long out) {
    return block(new Dense(in, out, true, Init.torchDefault(in), Init.torchDefault(in)));
  }

  public Net dense(long in, long out, Init weights, Init bias) {
    return block(new Dense(in, out, true, weights, bias));
  }

  public Net denseNoBias(long in, long out, Init weights) {
    return block(new Dense(in, out, false, weights, Init.zeros()));
  }

  /** 3×3-style convolution with stride 1 and "same" padding for odd kernels, He initialisation. */
  public Net conv2d(long inChannels, long outChannels, int kernel) {
    return conv2d(inChannels, outChannels, kernel, 1, kernel / 2);
  }

  public Net conv2d(long inChannels, long outChannels, int kernel, int stride, int padding) {
    return block(new Conv2d(inChannels, outChannels, kernel, stride, padding, true,
        Init.he(inChannels * kernel * kernel), layout));
  }

  public Net batchNorm(long channels) {
    return block(new BatchNorm(channels, 1e-5, layout));
  }

  public Net maxPool(int kernel) {
    return block(new Pool2d(Pool2d.Kind.MAX, kernel, kernel, layout));
  }

  public Net avgPool(int kernel) {
    return block(new Pool2d(Pool2d.Kind.AVG, kernel, kernel, layout));
  }

  public Net globalAvgPool() {
    return block(new Pool2d(Pool2d.Kind.GLOBAL_AVG, 1, 1, layout));
  }

  public Net flatten() {
    return block(new Flatten());
  }

  public Net relu() {
    return block(new Activation(Activation.Kind.RELU, 0));
  }

  public Net sigmoid() {
    return block(new Activation(Activation.Kind.SIGMOID, 0));
  }

  public Net tanh() {
    return block(new Activation(Activation.Kind.TANH, 0));
  }

  public Net softplus() {
    return block(new Activation(Activation.Kind.SOFTPLUS, 0));
  }

  public Net leakyRelu(double alpha) {
    return block(new Activation(Activation.Kind.LEAKY_RELU, alpha));
  }

  /** y = relu(body(x) + x). */
  public Net residual(Consumer<Net> body) {
    return residual(body, n -> {});
  }

  /** y = relu(body(x) + shortcut(x)); the shortcut projects when the body changes the shape. */
  public Net residual(Consumer<Net> body, Consumer<Net> shortcut) {
    Net b = new Net().layout(layout);
    body.accept(b);
    Net s = new Net().layout(layout);
    shortcut.accept(s);
    return block(new Residual(b.blocks, s.blocks, true));
  }

  /** Any block, including a plugin's own. */
  public Net block(Block block) {
    blocks.add(java.util.Objects.requireNonNull(block, "block"));
    return this;
  }

  List<Block> blocks() {
    return List.copyOf(blocks);
  }
}
