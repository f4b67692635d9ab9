package dev.bilevel.blocks;

import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.ParamSpec;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;

/**
 * 2-D convolution on NCHW or NHWC input. Weights are stored [kH, kW, inC, outC], ND4J's native
 * layout for both, so no transpose runs per step.
 */
public record Conv2d(long inChannels, long outChannels, int kernel, int stride, int padding,
    boolean bias, Init weightInit, ImageLayout layout) implements Block {

  public Conv2d {
    if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
      throw new IllegalArgumentException("conv2d: channels, kernel and stride must be positive and"
          + " padding non-negative");
    }
    java.util.Objects.requireNonNull(layout, "layout");
  }

  /** On NCHW input. */
  public Conv2d(long inChannels, long outChannels, int kernel, int stride, int padding,
      boolean bias, Init weightInit) {
    this(inChannels, outChannels, kernel, stride, padding, bias, weightInit, ImageLayout.NCHW);
  }

  @Override
  public String describe() {
    return "conv2d(" + inChannels + "→" + outChannels + ", " + kernel + "x" + kernel
        + (layout == ImageLayout.NHWC ? ", NHWC" : "") + ")";
  }

  @Override
  public List<ParamSpec> params() {
    List<ParamSpec> p = new ArrayList<>();
    p.add(new ParamSpec("W", new long[] {kernel, kernel, inChannels, outChannels}, weightInit));
    if (bias) {
      p.add(new ParamSpec("b", new long[] {outChannels}, Init.zeros()));
    }
    return p;
  }

  @Override
  public long[] outputShape(long[] in) {
    Shapes.requireRank(describe(), in, 4, layout.shape());
    Shapes.requireDim(describe(), in, layout.channelAxis(), inChannels, "input channels");
    return layout.shapeOf(in[0], outChannels, out(in[layout.heightAxis()]),
        out(in[layout.widthAxis()]));
  }

  private long out(long size) {
    return size < 0 ? -1 : (size + 2L * padding - kernel) / stride + 1;
  }

  @Override
  public SDVariable apply(BlockScope s, SDVariable x) {
    Conv2DConfig c = Conv2DConfig.builder()
        .kH(kernel).kW(kernel).sH(stride).sW(stride).pH(padding).pW(padding)
        .paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID)
        .dataFormat(layout.name()).build();
    return bias
        ? s.sd().cnn().conv2d(s.name("conv"), x, s.param("W"), s.param("b"), c)
        : s.sd().cnn().conv2d(s.name("conv"), x, s.param("W"), c);
  }
}
