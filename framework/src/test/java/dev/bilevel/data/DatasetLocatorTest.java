package dev.bilevel.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookup and error messages, on directories the test makes; the real files are in {@link RealDataTest}. */
class DatasetLocatorTest {

  @TempDir Path dir;

  private static final String FIX = " Fix: run `bash scripts/setup-data.sh` from the repository root";

  @Test
  void searchesTheCacheFromTheEnvironmentThenDebian() {
    DatasetLocator locator = DatasetLocator.fromEnvironment(Map.of("BILEVEL_DATA", dir.toString()), Path.of("/home/u"));
    assertThat(locator.searchPath(KnownDataset.MNIST)).containsExactly(dir.resolve("mnist"));
    assertThat(locator.searchPath(KnownDataset.FASHION_MNIST))
        .containsExactly(dir.resolve("fashion-mnist"), Path.of("/usr/share/datasets/fashion-mnist"));
  }

  @Test
  void defaultCacheIsUnderTheHomeDirectory() {
    DatasetLocator locator = DatasetLocator.fromEnvironment(Map.of(), Path.of("/home/u"));
    assertThat(locator.searchPath(KnownDataset.MNIST))
        .containsExactly(Path.of("/home/u/.cache/bilevel/data/mnist"));
  }

  @Test
  void anExplicitDirectoryIsTheOnlyPlaceSearched() {
    assertThat(DatasetLocator.inDirectory(dir).searchPath(KnownDataset.FASHION_MNIST)).containsExactly(dir);
  }

  @Test
  void missingFileMessageNamesFilePlacesAndFix() {
    DatasetLocator locator = DatasetLocator.fromEnvironment(Map.of("BILEVEL_DATA", dir.toString()), Path.of("/home/u"));
    assertThatThrownBy(() -> locator.load(KnownDataset.MNIST, Split.TEST))
        .isInstanceOf(DatasetException.class)
        .hasMessage("MNIST t10k-images-idx3-ubyte is missing: looked for t10k-images-idx3-ubyte or"
            + " t10k-images-idx3-ubyte.gz in " + dir.resolve("mnist") + " (data cache, from $BILEVEL_DATA)."
            + FIX + ", or point the experiment at a directory that holds your own copy.");
  }

  @Test
  void missingFileInAnExplicitDirectory() {
    assertThatThrownBy(() -> DatasetLocator.inDirectory(dir).load(KnownDataset.FASHION_MNIST, Split.TRAIN))
        .hasMessage("Fashion-MNIST train-images-idx3-ubyte.gz is missing: looked for train-images-idx3-ubyte.gz"
            + " or train-images-idx3-ubyte in " + dir + " (the directory given)."
            + FIX + ", or point the experiment at a directory that holds your own copy.");
  }

  @Test
  void checksumMismatchGivesExpectedActualAndFix() {
    // A well-formed IDX file under the published name, but not the published content.
    Path fake = TestFiles.write(dir.resolve("t10k-images-idx3-ubyte"),
        TestFiles.idxImages(1, 28, 28, new byte[784]));
    TestFiles.write(dir.resolve("t10k-labels-idx1-ubyte"), TestFiles.idxLabels(0));
    String actual = DataFiles.sha256(fake);

    assertThatThrownBy(() -> DatasetLocator.inDirectory(dir).load(KnownDataset.MNIST, Split.TEST))
        .isInstanceOf(DatasetException.class)
        .hasMessage("MNIST " + fake + ": checksum mismatch: expected SHA-256"
            + " 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7, actual " + actual
            + ". The file is damaged or is not the published one." + FIX
            + " (it replaces copies it installed); replace a copy of your own with an intact one.");
  }

  @Test
  void mismatchOfARecompressedCopyComparesTheContent() {
    byte[] content = TestFiles.idxImages(1, 28, 28, new byte[784]);
    Path fake = TestFiles.write(dir.resolve("t10k-images-idx3-ubyte.gz"), TestFiles.gzip(content));
    String actualContent = DataFiles.contentSha256(fake);

    assertThatThrownBy(() -> DatasetLocator.inDirectory(dir).checksums(KnownDataset.MNIST, Split.TEST))
        .hasMessage("MNIST " + fake + ": checksum mismatch: expected SHA-256"
            + " 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 of the uncompressed content,"
            + " actual " + actualContent + ". The file is damaged or is not the published one." + FIX
            + " (it replaces copies it installed); replace a copy of your own with an intact one.");
  }

  @Test
  void knownChecksumsAreExposedInFileOrder() {
    assertThat(KnownDataset.FASHION_MNIST.checksums().keySet()).containsExactly(
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
    assertThat(KnownDataset.MNIST.checksums())
        .containsEntry("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5")
        .hasSize(4);
  }
}
