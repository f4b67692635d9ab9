package dev.bilevel.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.data.CifarReader.Cifar100Labels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class CifarReaderTest {

  @TempDir Path dir;

  @Test
  void readsCifar10RecordsAcrossFiles() {
    Path first = TestFiles.write(dir.resolve("data_batch_1.bin"), TestFiles.cifar(new int[][] {{3}, {9}}));
    Path second = TestFiles.write(dir.resolve("data_batch_2.bin"), TestFiles.cifar(new int[][] {{0}}));

    LabelledImages d = CifarReader.readCifar10(List.of(first, second));

    assertThat(d.size()).isEqualTo(3);
    assertThat(d.numClasses()).isEqualTo(10);
    assertThat(d.shape()).isEqualTo(new ImageShape(3, 32, 32));
    assertThat(d.labels()).containsExactly(3, 9, 0);
    // Record 1, pixel j = (1*7 + j) mod 256; the second file restarts at record 0.
    assertThat(d.pixel(1, 0)).isEqualTo(7);
    assertThat(d.pixel(1, 3071)).isEqualTo((7 + 3071) % 256);
    assertThat(d.pixel(2, 100)).isEqualTo(100);
  }

  @Test
  void channelsComeFirstAsInTheFile() {
    Path file = TestFiles.write(dir.resolve("test_batch.bin"), TestFiles.cifar(new int[][] {{1}, {2}}));

    INDArray images = CifarReader.readCifar10(List.of(file)).images(DataType.DOUBLE);

    assertThat(images.shape()).containsExactly(2, 3, 32, 32);
    // Green channel (1), row 5, column 7 of record 1 is file pixel 1024 + 5*32 + 7.
    int j = 1024 + 5 * 32 + 7;
    assertThat(images.getDouble(1, 1, 5, 7)).isEqualTo(((7 + j) % 256) / 255.0);
  }

  @Test
  void readsCifar100CoarseOrFine() {
    Path file = TestFiles.write(dir.resolve("train.bin.gz"),
        TestFiles.gzip(TestFiles.cifar(new int[][] {{19, 99}, {4, 42}})));

    LabelledImages fine = CifarReader.readCifar100(List.of(file), Cifar100Labels.FINE);
    LabelledImages coarse = CifarReader.readCifar100(List.of(file), Cifar100Labels.COARSE);

    assertThat(fine.numClasses()).isEqualTo(100);
    assertThat(fine.labels()).containsExactly(99, 42);
    assertThat(coarse.numClasses()).isEqualTo(20);
    assertThat(coarse.labels()).containsExactly(19, 4);
    assertThat(fine.pixel(1, 0)).isEqualTo(7);
    assertThat(coarse.pixel(1, 0)).isEqualTo(7);
  }

  @Test
  void cifar100FileReadAsCifar10IsRecognised() {
    Path file = TestFiles.write(dir.resolve("train.bin"), TestFiles.cifar(new int[][] {{1, 2}, {3, 4}, {5, 6}}));
    assertThatThrownBy(() -> CifarReader.readCifar10(List.of(file)))
        .isInstanceOf(DatasetException.class)
        .hasMessage(file + ": 9222 bytes is not a whole, non-zero number of 3073-byte CIFAR-10 records"
            + " (3 records and 3 bytes left over). Is this a CIFAR-100 file (3074-byte records)?");
  }

  @Test
  void truncatedFileIsReported() {
    byte[] full = TestFiles.cifar(new int[][] {{1}, {2}});
    Path file = TestFiles.write(dir.resolve("data_batch_1.bin"), Arrays.copyOf(full, full.length - 10));
    assertThatThrownBy(() -> CifarReader.readCifar10(List.of(file)))
        .hasMessage(file + ": 6136 bytes is not a whole, non-zero number of 3073-byte CIFAR-10 records"
            + " (1 records and 3063 bytes left over).");
  }

  @Test
  void labelsOutOfRangeAreReported() {
    Path file = TestFiles.write(dir.resolve("data_batch_1.bin"), TestFiles.cifar(new int[][] {{1}, {10}}));
    Path coarse = TestFiles.write(dir.resolve("test.bin"), TestFiles.cifar(new int[][] {{20, 1}}));
    assertThatThrownBy(() -> CifarReader.readCifar10(List.of(file)))
        .hasMessage(file + ": record 1 has label 10; CIFAR-10 labels are 0..9");
    assertThatThrownBy(() -> CifarReader.readCifar100(List.of(coarse), Cifar100Labels.COARSE))
        .hasMessage(coarse + ": record 0 has label 20; CIFAR-100 (coarse labels) labels are 0..19");
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("data_batch_3.bin");
    assertThatThrownBy(() -> CifarReader.readCifar10(List.of(missing)))
        .hasMessage(missing + ": no such file");
  }
}
