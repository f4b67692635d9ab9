package dev.bilevel.blocks;

import dev.bilevel.dsl.ParamSpec;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;

/** Flattens [batch, d1, d2, ...] to [batch, d1·d2·...]. */
public record Flatten() implements Block {

  @Override
  public String describe() {
    return "flatten";
  }

  @Override
  public List<ParamSpec> params() {
    return List.of();
  }

  @Override
  public long[] outputShape(long[] in) {
    long n = Shapes.product(in, 1);
    if (n < 0) {
      throw new IllegalArgumentException("flatten needs every non-batch dimension known, got "
          + Shapes.str(in));
    }
    return new long[] {in[0], n};
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    return s.sd().reshape(s.name("flat"), x, -1L, Shapes.product(s.inputShape(), 1));
  }
}
