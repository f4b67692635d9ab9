package dev.bilevel.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The real files, as installed by {@code bash scripts/setup-data.sh} (CI runs it first). */
@Tag("data")
class RealDataTest {

  private final DatasetLocator locator = DatasetLocator.fromEnvironment();

  @Test
  void fashionMnistHasItsPublishedCounts() {
    LabelledImages train = locator.load(KnownDataset.FASHION_MNIST, Split.TRAIN);
    LabelledImages test = locator.load(KnownDataset.FASHION_MNIST, Split.TEST);

    assertThat(train.size()).isEqualTo(60_000);
    assertThat(test.size()).isEqualTo(10_000);
    assertThat(train.shape()).isEqualTo(ImageShape.grey(28, 28));
    int[] sixThousand = new int[10];
    Arrays.fill(sixThousand, 6000);
    int[] thousand = new int[10];
    Arrays.fill(thousand, 1000);
    assertThat(train.classCounts()).containsExactly(sixThousand);
    assertThat(test.classCounts()).containsExactly(thousand);
    assertPixelRange(test);
  }

  @Test
  void mnistHasItsPublishedCounts() {
    LabelledImages train = locator.load(KnownDataset.MNIST, Split.TRAIN);
    LabelledImages test = locator.load(KnownDataset.MNIST, Split.TEST);

    assertThat(train.size()).isEqualTo(60_000);
    assertThat(test.size()).isEqualTo(10_000);
    assertThat(train.classCounts())
        .containsExactly(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949);
    assertThat(test.classCounts())
        .containsExactly(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009);
    assertPixelRange(train);
  }

  @Test
  void checksumsForProvenanceAreTheKnownOnes() {
    Map<String, String> sums = locator.checksums(KnownDataset.FASHION_MNIST, Split.TRAIN);
    assertThat(sums).hasSize(2);
    assertThat(sums.values()).containsExactly(
        KnownDataset.FASHION_MNIST.checksums().get("train-images-idx3-ubyte.gz"),
        KnownDataset.FASHION_MNIST.checksums().get("train-labels-idx1-ubyte.gz"));
    assertThat(sums.keySet()).allMatch(p -> Files.isRegularFile(Path.of(p)));
  }

  @Test
  void ownCopiesInTheOtherCompressionAreAccepted(@TempDir Path own) throws IOException {
    // Fashion-MNIST gunzipped, MNIST gzipped: the content checksum recognises both.
    Path fashion = Files.createDirectories(own.resolve("fashion"));
    Path mnist = Files.createDirectories(own.resolve("mnist"));
    for (String f : new String[] {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
      Path gz = locator.searchPath(KnownDataset.FASHION_MNIST).stream()
          .map(d -> d.resolve(f + ".gz")).filter(Files::isRegularFile).findFirst().orElseThrow();
      try (InputStream in = DataFiles.open(gz)) {
        Files.copy(in, fashion.resolve(f));
      }
      Path raw = locator.searchPath(KnownDataset.MNIST).get(0).resolve(f);
      try (GZIPOutputStream out = new GZIPOutputStream(Files.newOutputStream(mnist.resolve(f + ".gz")))) {
        Files.copy(raw, out);
      }
    }

    LabelledImages ownFashion = DatasetLocator.inDirectory(fashion).load(KnownDataset.FASHION_MNIST, Split.TEST);
    LabelledImages ownMnist = DatasetLocator.inDirectory(mnist).load(KnownDataset.MNIST, Split.TEST);

    assertThat(ownFashion.labels()).isEqualTo(locator.load(KnownDataset.FASHION_MNIST, Split.TEST).labels());
    assertThat(ownMnist.labels()).isEqualTo(locator.load(KnownDataset.MNIST, Split.TEST).labels());
  }

  private static void assertPixelRange(LabelledImages d) {
    INDArray x = d.features(DataType.FLOAT);
    assertThat(x.shape()).containsExactly(d.size(), 784);
    assertThat(x.minNumber().floatValue()).isEqualTo(0f);
    assertThat(x.maxNumber().floatValue()).isEqualTo(1f);
    double mean = x.meanNumber().doubleValue();
    assertThat(mean).isBetween(0.1, 0.5);
  }
}
