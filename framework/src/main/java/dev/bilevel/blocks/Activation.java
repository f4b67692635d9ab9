package dev.bilevel.blocks;

import dev.bilevel.dsl.ParamSpec;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;

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
      case RELU -> sd.nn().relu(s.name("relu"), x, 0.0);
      case SIGMOID -> sd.nn().sigmoid(s.name("sigmoid"), x);
      case TANH -> sd.math().tanh(s.name("tanh"), x);
      case SOFTPLUS -> sd.nn().softplus(s.name("softplus"), x);
      case LEAKY_RELU -> sd.nn().leakyRelu(s.name("lrelu"), x, alpha);
    };
  }
}
