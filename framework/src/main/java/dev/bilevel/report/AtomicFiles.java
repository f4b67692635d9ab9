package dev.bilevel.report;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.UUID;

/**
 * Whole-file writes that a crash cannot tear.
 *
 * <p>Content goes to a temporary file in the target's directory, is forced to disk, and is then
 * renamed over the target with {@link StandardCopyOption#ATOMIC_MOVE}. A reader (or a resumed
 * run) therefore sees either the previous file or the complete new one. The temporary file lives
 * in the same directory because a rename is only atomic within one file system.
 */
public final class AtomicFiles {

  /** Produces a file's content; may throw, in which case the target is left untouched. */
  @FunctionalInterface
  public interface ContentWriter {
    /**
     * Writes the content to {@code out}. Must not close {@code out}.
     *
     * @param out the stream to the temporary file
     * @throws IOException if producing the content fails
     */
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  /**
   * Atomically replaces {@code target} with {@code content}.
   *
   * @param target the file to create or replace; its parent directory must exist
   * @param content the complete new content
   * @throws IOException if writing, syncing or renaming fails; {@code target} is then unchanged
   */
  public static void write(Path target, byte[] content) throws IOException {
    Objects.requireNonNull(content, "content");
    write(target, out -> out.write(content));
  }

  /**
   * Atomically replaces {@code target} with {@code content} encoded as UTF-8.
   *
   * @param target the file to create or replace; its parent directory must exist
   * @param content the complete new content
   * @throws IOException if writing, syncing or renaming fails; {@code target} is then unchanged
   */
  public static void writeString(Path target, String content) throws IOException {
    Objects.requireNonNull(content, "content");
    write(target, content.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Atomically replaces {@code target} with whatever {@code writer} produces. If the writer
   * throws, the temporary file is deleted and the exception propagates; {@code target} keeps its
   * old content (or stays absent).
   *
   * @param target the file to create or replace; its parent directory must exist
   * @param writer produces the content
   * @throws IOException if the writer, the sync or the rename fails
   */
  public static void write(Path target, ContentWriter writer) throws IOException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(writer, "writer");
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    // Not Files.createTempFile: that makes the file owner-only (0600), and the rename would
    // carry those permissions over to a report meant to be read by others.
    Path tmp = dir.resolve("." + absolute.getFileName() + "." + UUID.randomUUID() + ".tmp");
    boolean moved = false;
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel));
        writer.writeTo(out);
        out.flush();
        channel.force(true);
      }
      Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      moved = true;
      syncDirectory(dir);
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /**
   * Forces the directory entry of the rename to disk, so that the new file survives a power
   * loss and not only a process crash. Some platforms cannot open directories; there the rename
   * is still atomic, only its durability is up to the OS.
   */
  static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not supported here (e.g. Windows); atomicity does not depend on it.
    }
  }
}
