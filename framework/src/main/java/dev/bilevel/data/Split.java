package dev.bilevel.data;

/** The two splits MNIST-style data sets ship, named by their file-name prefixes. */
public enum Split {
  TRAIN("train"),
  TEST("t10k");

  private final String filePrefix;

  Split(String filePrefix) {
    this.filePrefix = filePrefix;
  }

  /** "train" or "t10k", as in {@code t10k-images-idx3-ubyte}. */
  public String filePrefix() {
    return filePrefix;
  }
}
