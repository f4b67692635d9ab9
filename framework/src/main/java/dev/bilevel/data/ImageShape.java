package dev.bilevel.data;

/**
 * Shape of one image, channels first (C, H, W), the layout ND4J convolutions expect by default.
 *
 * @param channels number of channels (1 for grey, 3 for RGB)
 * @param height rows
 * @param width columns
 */
public record ImageShape(int channels, int height, int width) {

  public ImageShape {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "image shape must be positive in every dimension, got " + channels + "×" + height + "×" + width);
    }
    if ((long) channels * height * width > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("image of " + channels + "×" + height + "×" + width + " is too large");
    }
  }

  /** A single-channel (grey) image. */
  public static ImageShape grey(int height, int width) {
    return new ImageShape(1, height, width);
  }

  /** Values per image, C·H·W: the feature width of the flattened layout. */
  public int size() {
    return channels * height * width;
  }

  /** Values per channel, H·W. */
  public int pixelsPerChannel() {
    return height * width;
  }

  @Override
  public String toString() {
    return channels + "×" + height + "×" + width;
  }
}
