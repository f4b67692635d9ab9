package dev.bilevel.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opening data files whether gzipped or not, and hashing them. Compression is detected from the
 * gzip magic bytes 1f 8b rather than the file name, so a renamed file still reads.
 */
final class DataFiles {

  private static final int BUFFER = 1 << 16;

  private DataFiles() {}

  /** Whether the file starts with the gzip magic bytes. */
  static boolean isGzip(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    } catch (NoSuchFileException e) {
      throw missing(file);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The file's content, decompressed if it is gzipped. */
  static InputStream open(Path file) {
    boolean gzip = isGzip(file);
    try {
      InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER);
      return gzip ? new BufferedInputStream(new GZIPInputStream(in, BUFFER), BUFFER) : in;
    } catch (NoSuchFileException e) {
      throw missing(file);
    } catch (ZipException | EOFException e) {
      throw corruptGzip(file, e);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Turns an exception thrown while reading {@code file} into a message that names the file. */
  static RuntimeException readFailure(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return missing(file);
    }
    if (e instanceof ZipException || e instanceof EOFException) {
      return corruptGzip(file, e);
    }
    return new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
  }

  /** Lower-case hex SHA-256 of the file's bytes as stored. */
  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return sha256(in);
    } catch (IOException e) {
      throw readFailure(file, e);
    }
  }

  /** Lower-case hex SHA-256 of the file's content after decompression (of the bytes, if not gzipped). */
  static String contentSha256(Path file) {
    try (InputStream in = open(file)) {
      return sha256(in);
    } catch (IOException e) {
      throw readFailure(file, e);
    }
  }

  private static String sha256(InputStream in) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    byte[] buffer = new byte[BUFFER];
    for (int n; (n = in.read(buffer)) > 0; ) {
      digest.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static DatasetException missing(Path file) {
    return new DatasetException(file + ": no such file");
  }

  private static DatasetException corruptGzip(Path file, IOException e) {
    return new DatasetException(file + ": gzip data is corrupt or truncated (" + e.getMessage() + ")", e);
  }
}
