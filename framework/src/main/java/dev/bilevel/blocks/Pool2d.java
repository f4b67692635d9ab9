package dev.bilevel.blocks;

import dev.bilevel.dsl.ParamSpec;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/**
 * Max or average pooling on NCHW or NHWC input, or global average pooling to [batch, channels].
 */
public record Pool2d(Kind kind, int kernel, int stride, ImageLayout layout) implements Block {

  public Pool2d {
    java.util.Objects.requireNonNull(layout, "layout");
  }

  /** On NCHW input. */
  public Pool2d(Kind kind, int kernel, int stride) {
    this(kind, kernel, stride, ImageLayout.NCHW);
  }

  /** Pooling kinds. */
  public enum Kind {
    MAX,
    AVG,
    GLOBAL_AVG
  }

  @Override
  public String describe() {
    String nhwc = layout == ImageLayout.NHWC ? ", NHWC" : "";
    return kind == Kind.GLOBAL_AVG ? "globalAvgPool" + (nhwc.isEmpty() ? "" : "(NHWC)")
        : kind.name().toLowerCase(java.util.Locale.ROOT) + "Pool(" + kernel + nhwc + ")";
  }

  @Override
  public List<ParamSpec> params() {
    return List.of();
  }

  @Override
  public long[] outputShape(long[] in) {
    Shapes.requireRank(describe(), in, 4, layout.shape());
    long channels = in[layout.channelAxis()];
    if (kind == Kind.GLOBAL_AVG) {
      return new long[] {in[0], channels};
    }
    return layout.shapeOf(in[0], channels, out(in[layout.heightAxis()]),
        out(in[layout.widthAxis()]));
  }

  private long out(long size) {
    return size < 0 ? -1 : (size - kernel) / stride + 1;
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    if (kind == Kind.GLOBAL_AVG) {
      return x.mean(s.name("gap"), false, layout.heightAxis(), layout.widthAxis());
    }
    Pooling2DConfig c = Pooling2DConfig.builder()
        .kH(kernel).kW(kernel).sH(stride).sW(stride).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID)
        .isNHWC(layout == ImageLayout.NHWC).build();
    return kind == Kind.MAX
        ? s.sd().cnn().maxPooling2d(s.name("maxpool"), x, c)
        : s.sd().cnn().avgPooling2d(s.name("avgpool"), x, c);
  }
}
