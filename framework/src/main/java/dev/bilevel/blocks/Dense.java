package dev.bilevel.blocks;

import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.ParamSpec;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;

/** Fully connected layer y = x·W + b, W of shape [in, out]. */
public record Dense(long in, long out, boolean bias, Init weightInit, Init biasInit) implements Block {

  public Dense {
    if (in <= 0 || out <= 0) {
      throw new IllegalArgumentException("dense(" + in + "→" + out + "): sizes must be positive");
    }
  }

  @Override
  public String describe() {
    return "dense(" + in + "→" + out + ")";
  }

  @Override
  public List<ParamSpec> params() {
    List<ParamSpec> p = new ArrayList<>();
    p.add(new ParamSpec("W", new long[] {in, out}, weightInit));
    if (bias) {
      p.add(new ParamSpec("b", new long[] {1, out}, biasInit));
    }
    return p;
  }

  @Override
  public long[] outputShape(long[] input) {
    Shapes.requireRank(describe(), input, 2, "[batch, " + in + "]");
    Shapes.requireDim(describe(), input, 1, in, "input features");
    return new long[] {input[0], out};
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    SDVariable y = x.mmul(s.param("W"));
    return bias ? y.add(s.name("out"), s.param("b")) : y;
  }
}
