package dev.bilevel.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads the IDX files MNIST and Fashion-MNIST ship in: idx3 unsigned-byte images and idx1
 * unsigned-byte labels, gzipped or not (detected from the bytes, not the name).
 *
 * <p>Every header field and the exact length are checked, and each error names the file and what
 * was wrong, because a swapped or truncated file otherwise shows up much later as a model that
 * does not learn.
 */
public final class IdxReader {

  /** Magic number of an idx3 unsigned-byte file: 0x00000803. */
  static final int IMAGES_MAGIC = 0x0803;
  /** Magic number of an idx1 unsigned-byte file: 0x00000801. */
  static final int LABELS_MAGIC = 0x0801;

  private IdxReader() {}

  /**
   * Reads an images file and its labels file into one data set.
   *
   * @param images idx3-ubyte file of N images of H×W, read as one grey channel
   * @param labels idx1-ubyte file of N labels
   * @param numClasses labels must lie in {@code 0..numClasses-1}
   * @throws DatasetException if a file is missing, malformed, or the two do not match
   */
  public static LabelledImages read(Path images, Path labels, int numClasses) {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    if (numClasses <= 0) {
      throw new IllegalArgumentException("numClasses must be positive, got " + numClasses);
    }
    Images im = readImages(images);
    int[] l = readLabels(labels);
    if (l.length != im.count()) {
      throw new DatasetException(
          labels + ": has " + l.length + " labels but " + images + " has " + im.count()
              + " images; they must be the two files of one split");
    }
    for (int i = 0; i < l.length; i++) {
      if (l[i] >= numClasses) {
        throw new DatasetException(
            labels + ": label " + l[i] + " at index " + i + " is outside 0.." + (numClasses - 1));
      }
    }
    return new LabelledImages(im.pixels(), l, numClasses, ImageShape.grey(im.rows(), im.cols()), null, null);
  }

  /** Pixels of an idx3-ubyte file, image after image, row-major. */
  record Images(int count, int rows, int cols, byte[] pixels) {}

  static Images readImages(Path file) {
    try (InputStream in = DataFiles.open(file)) {
      checkMagic(file, readInt(readHeader(in, file, 4, 16, "image"), 0), IMAGES_MAGIC);
      byte[] header = readHeader(in, file, 12, 16, "image");
      int count = readInt(header, 0);
      int rows = readInt(header, 4);
      int cols = readInt(header, 8);
      if (count < 0 || rows <= 0 || cols <= 0) {
        throw new DatasetException(
            file + ": header gives " + count + " images of " + rows + "×" + cols
                + "; the count must not be negative and the sizes must be positive");
      }
      long total = (long) count * rows * cols;
      if (total > Integer.MAX_VALUE - 16) {
        throw new DatasetException(
            file + ": header gives " + count + " images of " + rows + "×" + cols
                + ", more pixels than one Java array holds");
      }
      String what = count + " images of " + rows + "×" + cols;
      byte[] pixels = readBody(in, file, (int) total, what, "pixel bytes");
      return new Images(count, rows, cols, pixels);
    } catch (IOException e) {
      throw DataFiles.readFailure(file, e);
    }
  }

  static int[] readLabels(Path file) {
    try (InputStream in = DataFiles.open(file)) {
      checkMagic(file, readInt(readHeader(in, file, 4, 8, "label"), 0), LABELS_MAGIC);
      int count = readInt(readHeader(in, file, 4, 8, "label"), 0);
      if (count < 0) {
        throw new DatasetException(file + ": header gives a negative label count, " + count);
      }
      byte[] bytes = readBody(in, file, count, count + " labels", "label bytes");
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = bytes[i] & 0xff;
      }
      return labels;
    } catch (IOException e) {
      throw DataFiles.readFailure(file, e);
    }
  }

  /**
   * Reads the next {@code size} header bytes. The magic number is read and checked on its own
   * first, so that a file of the wrong kind is named as such even when it is short.
   */
  private static byte[] readHeader(InputStream in, Path file, int size, int headerSize, String kind)
      throws IOException {
    byte[] header = in.readNBytes(size);
    if (header.length < size) {
      throw new DatasetException(
          file + ": file ends inside the " + headerSize + "-byte header of an IDX " + kind + " file");
    }
    return header;
  }

  private static byte[] readBody(InputStream in, Path file, int size, String what, String unit)
      throws IOException {
    byte[] body = in.readNBytes(size);
    if (body.length < size) {
      throw new DatasetException(
          file + ": truncated: the header announces " + what + " (" + size + " " + unit
              + ") but only " + body.length + " follow");
    }
    long extra = in.transferTo(java.io.OutputStream.nullOutputStream());
    if (extra > 0) {
      throw new DatasetException(
          file + ": " + extra + " bytes after the " + what
              + " the header announces; the file is longer than its header says");
    }
    return body;
  }

  private static void checkMagic(Path file, int found, int expected) {
    if (found == expected) {
      return;
    }
    String kind = expected == IMAGES_MAGIC ? "an image file" : "a label file";
    String hint;
    if (found == IMAGES_MAGIC) {
      hint = "Is this an image file?";
    } else if (found == LABELS_MAGIC) {
      hint = "Is this a label file?";
    } else if ((found >>> 16) != 0) {
      hint = "This is not an IDX file: those start with two zero bytes.";
    } else if (((found >>> 8) & 0xff) != 0x08) {
      hint = String.format(
          "It looks like an IDX file of element type 0x%02x; only unsigned bytes (0x08) are supported.",
          (found >>> 8) & 0xff);
    } else {
      hint = "It looks like an IDX file with " + (found & 0xff) + " dimensions, not "
          + (expected & 0xff) + ".";
    }
    throw new DatasetException(
        file + ": expected magic " + expected + " for " + kind + ", found " + found + ". " + hint);
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }
}
