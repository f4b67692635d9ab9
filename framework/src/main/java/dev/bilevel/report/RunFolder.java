package dev.bilevel.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The directory that holds everything one experiment run produces:
 *
 * <pre>
 * &lt;root&gt;/
 *   metrics.csv        one row per logged record, for spreadsheets and pandas
 *   metrics.jsonl      the same rows as JSON lines, typed, for tools and read-back
 *   provenance.json    what ran: configuration, seeds, versions, backend, data checksums
 *   report.md          the human-readable summary
 *   plots/*.png        charts referenced by the report
 *   checkpoints/       state to resume from
 * </pre>
 *
 * <p>Keeping the layout in one class means the engine, the command line and the report agree
 * on file names without passing strings around.
 */
public final class RunFolder {

  private static final Pattern PLOT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private final Path root;
  private final boolean resumed;

  private RunFolder(Path root, boolean resumed) {
    this.root = root;
    this.resumed = resumed;
  }

  /**
   * Creates the folder for a new run. The folder may be missing or empty; anything else is
   * refused so that a new run never overwrites or mixes with an old one.
   *
   * @param root the run folder (typically the {@code --out} option)
   * @return the created layout, with {@code plots/} and {@code checkpoints/} present
   * @throws RunFolderInUseException if {@code root} exists and is not an empty directory
   * @throws IOException if the directories cannot be created
   */
  public static RunFolder create(Path root) throws IOException {
    Path dir = normalize(root);
    if (Files.exists(dir) && (!Files.isDirectory(dir) || !isEmpty(dir))) {
      throw new RunFolderInUseException(dir);
    }
    return createLayout(dir, false);
  }

  /**
   * Opens the folder of an interrupted run to continue it. A missing or empty folder is
   * accepted too (the run died before writing anything), so that a script can always pass
   * {@code --resume}.
   *
   * @param root the run folder
   * @return the layout, with {@code plots/} and {@code checkpoints/} present
   * @throws IllegalArgumentException if {@code root} exists but is not a directory
   * @throws IOException if the directories cannot be created
   */
  public static RunFolder resume(Path root) throws IOException {
    Path dir = normalize(root);
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "Cannot resume in " + dir + ": it is a file, not a run folder.");
    }
    return createLayout(dir, true);
  }

  private static Path normalize(Path root) {
    return Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  private static RunFolder createLayout(Path dir, boolean resumed) throws IOException {
    Files.createDirectories(dir.resolve("plots"));
    Files.createDirectories(dir.resolve("checkpoints"));
    return new RunFolder(dir, resumed);
  }

  /** The run folder itself, absolute. */
  public Path root() {
    return root;
  }

  /** Whether this folder was opened with {@link #resume(Path)}. */
  public boolean isResumed() {
    return resumed;
  }

  /** {@code metrics.csv}. */
  public Path metricsCsv() {
    return root.resolve("metrics.csv");
  }

  /** {@code metrics.jsonl}. */
  public Path metricsJsonl() {
    return root.resolve("metrics.jsonl");
  }

  /** {@code provenance.json}. */
  public Path provenanceJson() {
    return root.resolve("provenance.json");
  }

  /** {@code report.md}. */
  public Path reportMd() {
    return root.resolve("report.md");
  }

  /** {@code plots/}. */
  public Path plotsDir() {
    return root.resolve("plots");
  }

  /** {@code checkpoints/}. */
  public Path checkpointsDir() {
    return root.resolve("checkpoints");
  }

  /**
   * The path of a plot, {@code plots/<name>.png}.
   *
   * @param name a plain file name without extension, e.g. {@code test-accuracy}
   * @throws IllegalArgumentException if {@code name} contains a path separator or starts with a
   *     dot, which would place the plot outside {@code plots/}
   */
  public Path plot(String name) {
    Objects.requireNonNull(name, "name");
    if (!PLOT_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Plot name '" + name + "' must be a plain file name"
          + " (letters, digits, '.', '_', '-'; not starting with '.' or '-').");
    }
    return plotsDir().resolve(name + ".png");
  }

  /**
   * The path of {@code file} relative to the run folder, with {@code /} separators, as used for
   * links in {@code report.md}.
   *
   * @throws IllegalArgumentException if {@code file} is not inside the run folder
   */
  public String relativize(Path file) {
    Path abs = file.toAbsolutePath().normalize();
    if (!abs.startsWith(root)) {
      throw new IllegalArgumentException(file + " is not inside the run folder " + root + ".");
    }
    return root.relativize(abs).toString().replace('\\', '/');
  }

  @Override
  public String toString() {
    return "RunFolder[" + root + (resumed ? ", resumed" : "") + "]";
  }
}
