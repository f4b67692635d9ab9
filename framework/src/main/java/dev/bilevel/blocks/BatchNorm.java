package dev.bilevel.blocks;

import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.ParamSpec;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Batch normalisation with learned scale γ and shift β, normalising with the statistics of the
 * batch being evaluated (train mode). Every evaluation is then a pure function of (θ, λ, batch), which
 * finite-difference products and EvoGrad candidates need; there are no running statistics to corrupt.
 * Evaluate on batches of reasonable size (the statistics of a batch of one are degenerate).
 */
public record BatchNorm(long channels, double epsilon) implements Block {

  @Override
  public String describe() {
    return "batchNorm(" + channels + ")";
  }

  @Override
  public List<ParamSpec> params() {
    return List.of(
        new ParamSpec("gamma", new long[] {channels}, Init.ones()),
        new ParamSpec("beta", new long[] {channels}, Init.zeros()));
  }

  @Override
  public long[] outputShape(long[] in) {
    if (in.length != 2 && in.length != 4) {
      throw new IllegalArgumentException(describe() + " expects [batch, channels] or [batch, channels,"
          + " height, width] but got shape " + Shapes.str(in));
    }
    Shapes.requireDim(describe(), in, 1, channels, "channels");
    return in.clone();
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    boolean conv = s.inputShape().length == 4;
    int[] axes = conv ? new int[] {0, 2, 3} : new int[] {0};
    long[] bshape = conv ? new long[] {1, channels, 1, 1} : new long[] {1, channels};
    SDVariable mean = x.mean(s.name("mean"), true, axes);
    SDVariable centred = x.sub(s.name("centred"), mean);
    SDVariable var = s.sd().math().square(centred).mean(s.name("var"), true, axes);
    SDVariable normed = centred.div(s.sd().math().sqrt(var.add(epsilon)));
    SDVariable gamma = s.param("gamma").reshape(bshape);
    SDVariable beta = s.param("beta").reshape(bshape);
    return normed.mul(gamma).add(s.name("bn"), beta);
  }
}
