package dev.bilevel.blocks;

import dev.bilevel.dsl.ParamSpec;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;

/** An element-wise activation; shape-preserving and parameter-free. */
public record Activation(Kind kind, double alpha) implements Block {

  /** The supported activations. */
  public enum Kind {
    RELU,
    SIGMOID,
    TANH,
    SOFTPLUS,
    LEAKY_RELU
  }

  @Override
  public String describe() {
    return kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public List<ParamSpec> params() {
    return List.of();
  }

  @Override
  public long[] outputShape(long[] input) {
    return input.clone();
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    var sd = s.sd();
    return switch (kind) {
      case RELU -> relu(s, x);
      case SIGMOID -> sd.nn().sigmoid(s.name("sigmoid"), x);
      case TANH -> sd.math().tanh(s.name("tanh"), x);
      case SOFTPLUS -> sd.nn().softplus(s.name("softplus"), x);
      case LEAKY_RELU -> leakyRelu(s, x, alpha);
    };
  }

  /**
   * ReLU as x · stop_gradient(step(x)). Same values and gradients as {@code sd.nn().relu}, but its
   * backward pass is a multiply: M2.1's {@code thresholdedrelu_bp} took about 7 times as long as
   * step, stop_gradient and the extra multiply together (docs/performance.md).
   */
  static SDVariable relu(BlockScope s, SDVariable x) {
    var sd = s.sd();
    SDVariable mask = new StopGradient(sd, sd.math().step(s.name("relu_step"), x, 0.0))
        .outputVariable();
    return x.mul(s.name("relu"), mask);
  }

  /**
   * Leaky ReLU as x · stop_gradient(α + (1 − α)·step(x)): same values and gradients as {@code
   * sd.nn().leakyRelu}, with its piecewise-constant part a {@code step} op like ReLU's, which the
   * second-order differences can hold between their two sides (SecondOrder).
   */
  static SDVariable leakyRelu(BlockScope s, SDVariable x, double alpha) {
    var sd = s.sd();
    SDVariable slope = sd.math().step(s.name("lrelu_step"), x, 0.0).mul(1 - alpha).add(alpha);
    SDVariable mask = new StopGradient(sd, slope).outputVariable();
    return x.mul(s.name("lrelu"), mask);
  }
}
