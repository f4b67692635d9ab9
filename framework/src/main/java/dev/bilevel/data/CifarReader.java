package dev.bilevel.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Reads the binary versions of CIFAR-10 and CIFAR-100 for users who have the files (this machine
 * cannot download them). Records are fixed-size: CIFAR-10 has one label byte then 3072 pixel bytes;
 * CIFAR-100 has a coarse-label byte, a fine-label byte, then 3072 pixel bytes. Pixels are 1024 red,
 * 1024 green and 1024 blue values of a 32×32 image, rows first: already the CHW order {@link
 * LabelledImages} uses. Files may be gzipped.
 *
 * <p>Several files (CIFAR-10's {@code data_batch_1.bin} to {@code data_batch_5.bin}) are
 * concatenated in the order given.
 */
public final class CifarReader {

  /** Which CIFAR-100 label to keep. */
  public enum Cifar100Labels {
    /** The 20 superclasses (first label byte). */
    COARSE,
    /** The 100 classes (second label byte). */
    FINE
  }

  static final ImageShape SHAPE = new ImageShape(3, 32, 32);
  private static final int PIXELS = 3072;

  private CifarReader() {}

  /** Reads CIFAR-10 binary files (e.g. data_batch_1.bin … data_batch_5.bin, or test_batch.bin). */
  public static LabelledImages readCifar10(List<Path> files) {
    return read(files, 1, 0, 10, "CIFAR-10");
  }

  /** Reads CIFAR-100 binary files (train.bin or test.bin), keeping the coarse or the fine label. */
  public static LabelledImages readCifar100(List<Path> files, Cifar100Labels labels) {
    Objects.requireNonNull(labels, "labels");
    return labels == Cifar100Labels.COARSE
        ? read(files, 2, 0, 20, "CIFAR-100 (coarse labels)")
        : read(files, 2, 1, 100, "CIFAR-100 (fine labels)");
  }

  private static LabelledImages read(List<Path> files, int labelBytes, int labelAt, int numClasses, String format) {
    Objects.requireNonNull(files, "files");
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no " + format + " files given");
    }
    int recordSize = labelBytes + PIXELS;
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    ByteArrayOutputStream labels = new ByteArrayOutputStream();
    for (Path file : files) {
      byte[] data = readAll(file);
      if (data.length == 0 || data.length % recordSize != 0) {
        int otherSize = labelBytes == 1 ? PIXELS + 2 : PIXELS + 1;
        String other = labelBytes == 1 ? "CIFAR-100" : "CIFAR-10";
        String hint =
            data.length > 0 && data.length % otherSize == 0
                ? " Is this a " + other + " file (" + otherSize + "-byte records)?"
                : "";
        throw new DatasetException(
            file + ": " + data.length + " bytes is not a whole, non-zero number of " + recordSize
                + "-byte " + format + " records (" + data.length / recordSize + " records and "
                + data.length % recordSize + " bytes left over)." + hint);
      }
      int records = data.length / recordSize;
      for (int r = 0; r < records; r++) {
        int at = r * recordSize;
        int label = data[at + labelAt] & 0xff;
        if (label >= numClasses) {
          throw new DatasetException(
              file + ": record " + r + " has label " + label + "; " + format + " labels are 0.."
                  + (numClasses - 1));
        }
        labels.write(label);
        pixels.write(data, at + labelBytes, PIXELS);
      }
    }
    byte[] l = labels.toByteArray();
    int[] ints = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      ints[i] = l[i] & 0xff;
    }
    return new LabelledImages(pixels.toByteArray(), ints, numClasses, SHAPE, null, null);
  }

  private static byte[] readAll(Path file) {
    try (InputStream in = DataFiles.open(file)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw DataFiles.readFailure(file, e);
    }
  }
}
