package dev.bilevel.report;

import java.nio.file.Path;

/**
 * Thrown when a fresh run would write into a folder that already holds files. Refusing is the
 * only safe default: mixing the rows of two runs in one {@code metrics.csv} silently corrupts
 * both. A dedicated type lets the command line map it to a usage error.
 */
public final class RunFolderInUseException extends IllegalStateException {

  private final transient Path folder;

  RunFolderInUseException(Path folder) {
    super("Run folder " + folder + " is not empty. Pass --resume to continue the run in it,"
        + " or choose another folder with --out.");
    this.folder = folder;
  }

  /** The folder that was refused. */
  public Path folder() {
    return folder;
  }
}
