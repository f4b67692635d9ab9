package dev.bilevel.data;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An immutable set of labelled images: N images of one {@link ImageShape}, each with a class label
 * in {@code 0..numClasses-1}.
 *
 * <p>Pixels are kept as the 8-bit values the files hold, a quarter of the memory of floats, and are
 * turned into arrays of the requested type only when asked: scaled to [0, 1] and, if {@link
 * #normalised} was called, standardised per channel. Every value is computed in double precision
 * and rounded once, so FLOAT and DOUBLE arrays agree to float precision and each is reproducible.
 *
 * <p>Pixel order within an image is channel, row, column (CHW), the order of IDX and CIFAR files.
 */
public final class LabelledImages {

  private final byte[] pixels;
  private final int[] labels;
  private final int numClasses;
  private final ImageShape shape;
  /** Per-channel mean and standard deviation on the [0, 1] scale, or null for plain scaling. */
  private final double[] mean;
  private final double[] std;
  /** value[c][b]: the output value of byte b in channel c, so each pixel costs one lookup. */
  private final double[][] valueTable;
  /** The same table rounded to float, for FLOAT arrays. */
  private final float[][] floatTable;

  /** Takes ownership of the arrays; callers inside the package pass fresh ones. */
  LabelledImages(byte[] pixels, int[] labels, int numClasses, ImageShape shape, double[] mean, double[] std) {
    this.pixels = pixels;
    this.labels = labels;
    this.numClasses = numClasses;
    this.shape = shape;
    this.mean = mean;
    this.std = std;
    this.valueTable = valueTable(shape.channels(), mean, std);
    this.floatTable = new float[valueTable.length][256];
    for (int c = 0; c < valueTable.length; c++) {
      for (int v = 0; v < 256; v++) {
        floatTable[c][v] = (float) valueTable[c][v];
      }
    }
  }

  /**
   * Labelled images from 8-bit pixels. The arrays are copied.
   *
   * @param pixels N·C·H·W unsigned bytes, image after image, each in CHW order
   * @param labels N labels in {@code 0..numClasses-1}
   */
  public static LabelledImages of(byte[] pixels, int[] labels, int numClasses, ImageShape shape) {
    Objects.requireNonNull(pixels, "pixels");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(shape, "shape");
    if (numClasses <= 0) {
      throw new IllegalArgumentException("numClasses must be positive, got " + numClasses);
    }
    if ((long) labels.length * shape.size() != pixels.length) {
      throw new IllegalArgumentException(
          labels.length + " labels need " + (long) labels.length * shape.size() + " pixels of shape "
              + shape + ", got " + pixels.length);
    }
    checkLabels(labels, numClasses);
    return new LabelledImages(pixels.clone(), labels.clone(), numClasses, shape, null, null);
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  public int numClasses() {
    return numClasses;
  }

  public ImageShape shape() {
    return shape;
  }

  /** Values per image in the flattened layout, C·H·W. */
  public int featureSize() {
    return shape.size();
  }

  public int label(int example) {
    return labels[example];
  }

  /** A copy of the labels. */
  public int[] labels() {
    return labels.clone();
  }

  /** The stored 8-bit value (0..255) of pixel {@code offset} (CHW order) of an image. */
  public int pixel(int example, int offset) {
    Objects.checkIndex(example, labels.length);
    Objects.checkIndex(offset, shape.size());
    return pixels[example * shape.size() + offset] & 0xff;
  }

  /** How many images each class has: element k counts label k. */
  public int[] classCounts() {
    int[] counts = new int[numClasses];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /** Whether {@link #normalised} was applied. */
  public boolean isNormalised() {
    return mean != null;
  }

  /**
   * The images at the given positions, in that order; repeats are allowed (bootstrap samples).
   * Keeps the normalisation.
   */
  public LabelledImages subset(int[] indices) {
    Objects.requireNonNull(indices, "indices");
    int d = shape.size();
    byte[] p = new byte[Math.multiplyExact(indices.length, d)];
    int[] l = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int src = indices[i];
      if (src < 0 || src >= labels.length) {
        throw new IndexOutOfBoundsException(
            "subset index " + src + " at position " + i + " is outside 0.." + (labels.length - 1));
      }
      System.arraycopy(pixels, src * d, p, i * d, d);
      l[i] = labels[src];
    }
    return new LabelledImages(p, l, numClasses, shape, mean, std);
  }

  /**
   * The same images with other labels, e.g. with label noise injected. The array is copied and
   * each label must be in {@code 0..numClasses-1}.
   */
  public LabelledImages withLabels(int[] newLabels) {
    Objects.requireNonNull(newLabels, "newLabels");
    if (newLabels.length != labels.length) {
      throw new IllegalArgumentException(
          "need one label per image: " + labels.length + " images, " + newLabels.length + " labels");
    }
    checkLabels(newLabels, numClasses);
    return new LabelledImages(pixels, newLabels.clone(), numClasses, shape, mean, std);
  }

  /**
   * Per-channel mean of the pixels scaled to [0, 1], ignoring any normalisation. Compute it on the
   * training split and pass it to {@link #normalised} of every split, so that test data is
   * standardised with training statistics.
   */
  public double[] channelMeans() {
    return channelMoments()[0];
  }

  /** Per-channel (population) standard deviation of the pixels scaled to [0, 1]; see {@link #channelMeans}. */
  public double[] channelStds() {
    double[][] m = channelMoments();
    double[] std = new double[m[0].length];
    for (int c = 0; c < std.length; c++) {
      std[c] = Math.sqrt(Math.max(0.0, m[1][c] - m[0][c] * m[0][c]));
    }
    return std;
  }

  /**
   * The same images, to be materialised as {@code (pixel/255 - mean[c]) / std[c]} for channel c.
   * Replaces any earlier normalisation.
   *
   * @param channelMean one value per channel, on the [0, 1] scale
   * @param channelStd one positive value per channel, on the [0, 1] scale
   */
  public LabelledImages normalised(double[] channelMean, double[] channelStd) {
    Objects.requireNonNull(channelMean, "channelMean");
    Objects.requireNonNull(channelStd, "channelStd");
    int c = shape.channels();
    if (channelMean.length != c || channelStd.length != c) {
      throw new IllegalArgumentException(
          "need one mean and one std per channel (" + c + "), got " + channelMean.length + " and "
              + channelStd.length);
    }
    for (int k = 0; k < c; k++) {
      if (!(channelStd[k] > 0) || !Double.isFinite(channelStd[k]) || !Double.isFinite(channelMean[k])) {
        throw new IllegalArgumentException(
            "channel " + k + ": mean must be finite and std finite and positive, got mean "
                + channelMean[k] + ", std " + channelStd[k]);
      }
    }
    return new LabelledImages(pixels, labels, numClasses, shape, channelMean.clone(), channelStd.clone());
  }

  /** The same images scaled to [0, 1] only, without normalisation. */
  public LabelledImages unnormalised() {
    return mean == null ? this : new LabelledImages(pixels, labels, numClasses, shape, null, null);
  }

  /** All images flattened, shape [N, C·H·W], in FLOAT or DOUBLE. */
  public INDArray features(DataType type) {
    return gatherFeatures(identity(labels.length), 0, labels.length, type, false);
  }

  /** All images, shape [N, C, H, W], in FLOAT or DOUBLE. */
  public INDArray images(DataType type) {
    return gatherFeatures(identity(labels.length), 0, labels.length, type, true);
  }

  /** All labels one-hot, shape [N, numClasses], in FLOAT or DOUBLE. */
  public INDArray toOneHot(DataType type) {
    return gatherOneHot(identity(labels.length), 0, labels.length, type);
  }

  /** Features of examples {@code order[from..to)}: [B, D], or [B, C, H, W] when {@code asImages}. */
  INDArray gatherFeatures(int[] order, int from, int to, DataType type, boolean asImages) {
    checkFloating(type);
    int d = shape.size();
    int b = to - from;
    long[] outShape =
        asImages
            ? new long[] {b, shape.channels(), shape.height(), shape.width()}
            : new long[] {b, d};
    int perChannel = shape.pixelsPerChannel();
    if (type == DataType.DOUBLE) {
      double[] out = new double[Math.multiplyExact(b, d)];
      for (int i = 0; i < b; i++) {
        int src = order[from + i] * d;
        int dst = i * d;
        for (int j = 0; j < d; j++) {
          out[dst + j] = valueTable[j / perChannel][pixels[src + j] & 0xff];
        }
      }
      return Nd4j.create(out, outShape, DataType.DOUBLE);
    }
    float[][] table = floatTable;
    float[] out = new float[Math.multiplyExact(b, d)];
    for (int i = 0; i < b; i++) {
      int src = order[from + i] * d;
      int dst = i * d;
      for (int j = 0; j < d; j++) {
        out[dst + j] = table[j / perChannel][pixels[src + j] & 0xff];
      }
    }
    return Nd4j.create(out, outShape, DataType.FLOAT);
  }

  /** One-hot labels of examples {@code order[from..to)}: [B, numClasses]. */
  INDArray gatherOneHot(int[] order, int from, int to, DataType type) {
    checkFloating(type);
    int b = to - from;
    long[] outShape = {b, numClasses};
    if (type == DataType.DOUBLE) {
      double[] out = new double[Math.multiplyExact(b, numClasses)];
      for (int i = 0; i < b; i++) {
        out[i * numClasses + labels[order[from + i]]] = 1.0;
      }
      return Nd4j.create(out, outShape, DataType.DOUBLE);
    }
    float[] out = new float[Math.multiplyExact(b, numClasses)];
    for (int i = 0; i < b; i++) {
      out[i * numClasses + labels[order[from + i]]] = 1.0f;
    }
    return Nd4j.create(out, outShape, DataType.FLOAT);
  }

  @Override
  public String toString() {
    return "LabelledImages[" + labels.length + " images of " + shape + ", " + numClasses + " classes"
        + (mean == null ? "" : ", normalised mean " + Arrays.toString(mean) + " std " + Arrays.toString(std))
        + "]";
  }

  private double[][] channelMoments() {
    int c = shape.channels();
    int perChannel = shape.pixelsPerChannel();
    long[][] histogram = new long[c][256];
    int d = shape.size();
    for (int i = 0; i < pixels.length; i++) {
      histogram[(i % d) / perChannel][pixels[i] & 0xff]++;
    }
    double[] means = new double[c];
    double[] squares = new double[c];
    double n = (double) labels.length * perChannel;
    for (int k = 0; k < c; k++) {
      double s = 0;
      double s2 = 0;
      for (int v = 0; v < 256; v++) {
        double x = v / 255.0;
        s += histogram[k][v] * x;
        s2 += histogram[k][v] * x * x;
      }
      means[k] = n == 0 ? Double.NaN : s / n;
      squares[k] = n == 0 ? Double.NaN : s2 / n;
    }
    return new double[][] {means, squares};
  }

  private static double[][] valueTable(int channels, double[] mean, double[] std) {
    double[][] table = new double[channels][256];
    for (int c = 0; c < channels; c++) {
      for (int v = 0; v < 256; v++) {
        double x = v / 255.0;
        table[c][v] = mean == null ? x : (x - mean[c]) / std[c];
      }
    }
    return table;
  }

  private static void checkLabels(int[] labels, int numClasses) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException(
            "label " + labels[i] + " at index " + i + " is outside 0.." + (numClasses - 1));
      }
    }
  }

  private static void checkFloating(DataType type) {
    if (type != DataType.FLOAT && type != DataType.DOUBLE) {
      throw new IllegalArgumentException("images and one-hot labels are FLOAT or DOUBLE, not " + type);
    }
  }

  static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }
}
