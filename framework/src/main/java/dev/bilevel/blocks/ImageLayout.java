package dev.bilevel.blocks;

/**
 * How a 4-D image batch is laid out. NCHW is the default; NHWC (channels last) made the benchmark
 * CNN's evaluation 14% faster on ND4J 1.0.0-M2.1's oneDNN build (docs/performance.md), because the
 * convolutions then skip a layout conversion. For one-channel images both layouts hold the same
 * numbers in the same order, so [n, 784] data reshape to either.
 */
public enum ImageLayout {
  /** [batch, channels, height, width]. */
  NCHW(1, 2, 3, "[batch, channels, height, width]"),
  /** [batch, height, width, channels]. */
  NHWC(3, 1, 2, "[batch, height, width, channels]");

  private final int channelAxis;
  private final int heightAxis;
  private final int widthAxis;
  private final String shape;

  ImageLayout(int channelAxis, int heightAxis, int widthAxis, String shape) {
    this.channelAxis = channelAxis;
    this.heightAxis = heightAxis;
    this.widthAxis = widthAxis;
    this.shape = shape;
  }

  public int channelAxis() {
    return channelAxis;
  }

  public int heightAxis() {
    return heightAxis;
  }

  public int widthAxis() {
    return widthAxis;
  }

  /** The expected shape in words, for error messages. */
  public String shape() {
    return shape;
  }

  /** An image shape in this layout. */
  long[] shapeOf(long batch, long channels, long height, long width) {
    return this == NCHW ? new long[] {batch, channels, height, width}
        : new long[] {batch, height, width, channels};
  }
}
