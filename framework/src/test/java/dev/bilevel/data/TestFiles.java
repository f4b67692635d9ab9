package dev.bilevel.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX and CIFAR files for the tests, byte by byte from the format description. */
final class TestFiles {

  private TestFiles() {}

  static byte[] idxImages(int count, int rows, int cols, byte[] pixels) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(2051);
      out.writeInt(count);
      out.writeInt(rows);
      out.writeInt(cols);
      out.write(pixels);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] idxLabels(int... labels) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(2049);
      out.writeInt(labels.length);
      for (int l : labels) {
        out.writeByte(l);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] gzip(byte[] data) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
        out.write(data);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path write(Path file, byte[] data) {
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Pixel values 0, 1, 2, ... wrapping at 256, so every position is recognisable. */
  static byte[] counting(int n, int start) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (start + i);
    }
    return b;
  }

  /** CIFAR records: label bytes, then 3072 pixels where pixel j of record r is (r * 7 + j) mod 256. */
  static byte[] cifar(int[][] labelBytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int r = 0; r < labelBytes.length; r++) {
      for (int l : labelBytes[r]) {
        out.write(l);
      }
      for (int j = 0; j < 3072; j++) {
        out.write((r * 7 + j) & 0xff);
      }
    }
    return out.toByteArray();
  }
}
