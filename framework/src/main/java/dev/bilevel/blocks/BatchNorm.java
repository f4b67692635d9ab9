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
public record BatchNorm(long channels, double epsilon, ImageLayout layout) implements Block {

  public BatchNorm {
    java.util.Objects.requireNonNull(layout, "layout");
  }

  /** Channels on axis 1 ([batch, channels] or NCHW images). */
  public BatchNorm(long channels, double epsilon) {
    this(channels, epsilon, ImageLayout.NCHW);
  }

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
      throw new IllegalArgumentException(describe() + " expects [batch, channels] or "
          + layout.shape() + " but got shape " + Shapes.str(in));
    }
    Shapes.requireDim(describe(), in, in.length == 4 ? layout.channelAxis() : 1, channels,
        "channels");
    return in.clone();
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    boolean conv = s.inputShape().length == 4;
    int[] axes = conv ? new int[] {0, layout.heightAxis(), layout.widthAxis()} : new int[] {0};
    long[] bshape = conv ? layout.shapeOf(1, channels, 1, 1) : new long[] {1, channels};
    SDVariable mean = x.mean(s.name("mean"), true, axes);
    SDVariable centred = x.sub(s.name("centred"), mean);
    SDVariable var = s.sd().math().square(centred).mean(s.name("var"), true, axes);
    SDVariable normed = centred.div(s.sd().math().sqrt(var.add(epsilon)));
    SDVariable gamma = s.param("gamma").reshape(bshape);
    SDVariable beta = s.param("beta").reshape(bshape);
    return normed.mul(gamma).add(s.name("bn"), beta);
  }
}
