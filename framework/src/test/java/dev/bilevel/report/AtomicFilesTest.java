package dev.bilevel.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

  @TempDir Path dir;

  @Test
  void writesNewFileAndReplacesExistingOne() throws IOException {
    Path file = dir.resolve("a.txt");
    AtomicFiles.writeString(file, "first");
    AtomicFiles.write(file, "zweite Fassung ✓".getBytes(StandardCharsets.UTF_8));

    assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo("zweite Fassung ✓");
    assertThat(listing()).containsExactly("a.txt");
  }

  @Test
  void writerThatThrowsMidwayLeavesOldContentAndNoTemporaryFile() throws IOException {
    Path file = dir.resolve("report.md");
    AtomicFiles.writeString(file, "old report\n");

    assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
      out.write("new report, first half".getBytes(StandardCharsets.UTF_8));
      out.flush();
      throw new IOException("renderer crashed");
    })).isInstanceOf(IOException.class).hasMessage("renderer crashed");

    assertThat(Files.readString(file)).isEqualTo("old report\n");
    assertThat(listing()).containsExactly("report.md");
  }

  @Test
  void uncheckedFailureAlsoLeavesTargetAbsentAndCleansUp() throws IOException {
    Path file = dir.resolve("plot.png");

    assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
      out.write(new byte[10_000]);
      throw new UncheckedIOException(new IOException("disk full"));
    })).isInstanceOf(UncheckedIOException.class);

    assertThat(file).doesNotExist();
    assertThat(listing()).isEmpty();
  }

  @Test
  void newFileGetsTheUsualPermissionsNotOwnerOnly() throws IOException {
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
    Path reference = Files.createFile(dir.resolve("reference"));

    Path file = dir.resolve("report.md");
    AtomicFiles.writeString(file, "x");

    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(Files.getPosixFilePermissions(reference));
  }

  @Test
  void missingParentDirectoryFails() {
    assertThatThrownBy(() -> AtomicFiles.writeString(dir.resolve("no/such/dir/x"), "x"))
        .isInstanceOf(IOException.class);
  }

  private java.util.List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
