package dev.bilevel.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

  @TempDir Path dir;

  private Path images(String name, byte[] data) {
    return TestFiles.write(dir.resolve(name), data);
  }

  private Path threeImages() {
    return images("img", TestFiles.idxImages(3, 2, 4, TestFiles.counting(24, 250)));
  }

  private Path threeLabels() {
    return images("lab", TestFiles.idxLabels(7, 0, 9));
  }

  @Test
  void roundTripsRawFiles() {
    LabelledImages d = IdxReader.read(threeImages(), threeLabels(), 10);

    assertThat(d.size()).isEqualTo(3);
    assertThat(d.shape()).isEqualTo(new ImageShape(1, 2, 4));
    assertThat(d.labels()).containsExactly(7, 0, 9);
    // 250, 251, ..., 255, 0, 1, ...: unsigned, image after image, row-major.
    assertThat(d.pixel(0, 0)).isEqualTo(250);
    assertThat(d.pixel(0, 5)).isEqualTo(255);
    assertThat(d.pixel(0, 6)).isEqualTo(0);
    assertThat(d.pixel(2, 7)).isEqualTo((250 + 23) % 256);
  }

  @Test
  void detectsGzipFromTheBytesNotTheName() {
    byte[] pixels = TestFiles.counting(24, 3);
    Path img = images("images-without-gz-suffix", TestFiles.gzip(TestFiles.idxImages(3, 2, 4, pixels)));
    Path lab = images("labels.gz", TestFiles.gzip(TestFiles.idxLabels(1, 2, 3)));

    LabelledImages d = IdxReader.read(img, lab, 4);

    assertThat(d.labels()).containsExactly(1, 2, 3);
    int[] read = new int[24];
    for (int i = 0; i < 24; i++) {
      read[i] = d.pixel(i / 8, i % 8);
    }
    assertThat(read).isEqualTo(java.util.stream.IntStream.range(3, 27).toArray());
  }

  @Test
  void labelFileGivenAsImagesIsNamed() {
    Path lab = threeLabels();
    assertThatThrownBy(() -> IdxReader.read(lab, lab, 10))
        .isInstanceOf(DatasetException.class)
        .hasMessage(lab + ": expected magic 2051 for an image file, found 2049. Is this a label file?");
  }

  @Test
  void imageFileGivenAsLabelsIsNamed() {
    Path img = threeImages();
    assertThatThrownBy(() -> IdxReader.read(img, img, 10))
        .isInstanceOf(DatasetException.class)
        .hasMessage(img + ": expected magic 2049 for a label file, found 2051. Is this an image file?");
  }

  @Test
  void gzippedLabelFileGivenAsImagesIsNamed() {
    Path lab = images("train-labels-idx1-ubyte.gz", TestFiles.gzip(TestFiles.idxLabels(1, 2)));
    assertThatThrownBy(() -> IdxReader.read(lab, lab, 10))
        .hasMessage(lab + ": expected magic 2051 for an image file, found 2049. Is this a label file?");
  }

  @Test
  void otherIdxTypesAndNonIdxFilesAreExplained() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(0x0D03); // float images
    out.writeInt(1);
    out.writeInt(1);
    out.writeInt(1);
    out.writeFloat(0.5f);
    Path floats = images("floats", bytes.toByteArray());
    Path text = images("notes.txt", "hello, this is not IDX at all".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    Path idx2 = images("matrix", new byte[] {0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 5});

    assertThatThrownBy(() -> IdxReader.read(floats, threeLabels(), 10))
        .hasMessage(floats + ": expected magic 2051 for an image file, found 3331. It looks like an IDX file"
            + " of element type 0x0d; only unsigned bytes (0x08) are supported.");
    assertThatThrownBy(() -> IdxReader.read(text, threeLabels(), 10))
        .hasMessage(text + ": expected magic 2051 for an image file, found 1751477356. This is not an IDX"
            + " file: those start with two zero bytes.");
    assertThatThrownBy(() -> IdxReader.read(idx2, threeLabels(), 10))
        .hasMessage(idx2 + ": expected magic 2051 for an image file, found 2050. It looks like an IDX file"
            + " with 2 dimensions, not 3.");
  }

  @Test
  void truncatedImagesAreReportedWithCounts() {
    byte[] full = TestFiles.idxImages(3, 2, 4, TestFiles.counting(24, 0));
    Path img = images("img", Arrays.copyOf(full, full.length - 1));
    assertThatThrownBy(() -> IdxReader.read(img, threeLabels(), 10))
        .hasMessage(img + ": truncated: the header announces 3 images of 2×4 (24 pixel bytes) but only 23 follow");
  }

  @Test
  void fileShorterThanItsHeader() {
    Path img = images("img", new byte[] {0, 0, 8, 3, 0});
    assertThatThrownBy(() -> IdxReader.read(img, threeLabels(), 10))
        .hasMessage(img + ": file ends inside the 16-byte header of an IDX image file");
  }

  @Test
  void trailingBytesAreReported() {
    byte[] full = TestFiles.idxImages(3, 2, 4, TestFiles.counting(26, 0));
    Path img = images("img", full);
    assertThatThrownBy(() -> IdxReader.read(img, threeLabels(), 10))
        .hasMessage(img + ": 2 bytes after the 3 images of 2×4 the header announces; the file is longer than its header says");
  }

  @Test
  void truncatedLabels() {
    byte[] full = TestFiles.idxLabels(1, 2, 3);
    Path lab = images("lab", Arrays.copyOf(full, full.length - 2));
    assertThatThrownBy(() -> IdxReader.read(threeImages(), lab, 10))
        .hasMessage(lab + ": truncated: the header announces 3 labels (3 label bytes) but only 1 follow");
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("train-images-idx3-ubyte.gz");
    assertThatThrownBy(() -> IdxReader.read(missing, threeLabels(), 10))
        .isInstanceOf(DatasetException.class)
        .hasMessage(missing + ": no such file");
  }

  @Test
  void corruptGzipIsNamed() {
    byte[] gz = TestFiles.gzip(TestFiles.idxImages(3, 2, 4, TestFiles.counting(24, 0)));
    Path img = images("img.gz", Arrays.copyOf(gz, gz.length / 2));
    assertThatThrownBy(() -> IdxReader.read(img, threeLabels(), 10))
        .isInstanceOf(DatasetException.class)
        .hasMessage(img + ": gzip data is corrupt or truncated (Unexpected end of ZLIB input stream)");
  }

  @Test
  void countsMustMatch() {
    Path img = threeImages();
    Path lab = images("lab2", TestFiles.idxLabels(1, 2));
    assertThatThrownBy(() -> IdxReader.read(img, lab, 10))
        .hasMessage(lab + ": has 2 labels but " + img + " has 3 images; they must be the two files of one split");
  }

  @Test
  void labelsMustFitTheClasses() {
    assertThatThrownBy(() -> IdxReader.read(threeImages(), threeLabels(), 9))
        .hasMessage(dir.resolve("lab") + ": label 9 at index 2 is outside 0..8");
  }
}
