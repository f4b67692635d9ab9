package dev.bilevel.blocks;

import dev.bilevel.dsl.ParamSpec;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/** Max or average pooling on NCHW input, or global average pooling to [batch, channels]. */
public record Pool2d(Kind kind, int kernel, int stride) implements Block {

  /** Pooling kinds. */
  public enum Kind {
    MAX,
    AVG,
    GLOBAL_AVG
  }

  @Override
  public String describe() {
    return kind == Kind.GLOBAL_AVG ? "globalAvgPool" : kind.name().toLowerCase(java.util.Locale.ROOT)
        + "Pool(" + kernel + ")";
  }

  @Override
  public List<ParamSpec> params() {
    return List.of();
  }

  @Override
  public long[] outputShape(long[] in) {
    Shapes.requireRank(describe(), in, 4, "[batch, channels, height, width]");
    if (kind == Kind.GLOBAL_AVG) {
      return new long[] {in[0], in[1]};
    }
    return new long[] {in[0], in[1], out(in[2]), out(in[3])};
  }

  private long out(long size) {
    return size < 0 ? -1 : (size - kernel) / stride + 1;
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    if (kind == Kind.GLOBAL_AVG) {
      return x.mean(s.name("gap"), false, 2, 3);
    }
    Pooling2DConfig c = Pooling2DConfig.builder()
        .kH(kernel).kW(kernel).sH(stride).sW(stride).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).isNHWC(false).build();
    return kind == Kind.MAX
        ? s.sd().cnn().maxPooling2d(s.name("maxpool"), x, c)
        : s.sd().cnn().avgPooling2d(s.name("avgpool"), x, c);
  }
}
