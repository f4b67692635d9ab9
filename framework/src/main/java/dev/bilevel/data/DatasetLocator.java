package dev.bilevel.data;

import dev.bilevel.data.KnownDataset.KnownFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Finds the files of a {@link KnownDataset}, checks them against their known SHA-256 and loads
 * them. Checking every load means a run cannot silently train on a damaged or different copy, and
 * the checksums can go into the run's provenance.
 *
 * <p>Where it looks, in order:
 *
 * <ol>
 *   <li>only the directory given to {@link #inDirectory}, if the experiment was pointed at one
 *       (the user's own copies; nothing else is searched, so the choice is never overridden);
 *   <li>otherwise the data cache {@code $BILEVEL_DATA/<dataset>} ({@code BILEVEL_DATA} defaults
 *       to {@code ~/.cache/bilevel/data}), e.g. {@code ~/.cache/bilevel/data/mnist};
 *   <li>then, for Fashion-MNIST, where the Debian package {@code dataset-fashion-mnist} installs it.
 * </ol>
 *
 * <p>Each file may be stored gzipped or not, under its published name with or without {@code .gz}:
 * a copy is accepted if its bytes or its uncompressed content have the known checksum.
 */
public final class DatasetLocator {

  /** Environment variable naming the data cache directory. */
  public static final String ENV_VAR = "BILEVEL_DATA";

  /** The command, run from the repository root, that installs and verifies every known data set. */
  public static final String SETUP_COMMAND = "bash scripts/setup-data.sh";

  private record Place(Path directory, String description) {}

  private final Path explicitDirectory;
  private final Path cacheDirectory;
  private final String cacheDescription;

  private DatasetLocator(Path explicitDirectory, Path cacheDirectory, String cacheDescription) {
    this.explicitDirectory = explicitDirectory;
    this.cacheDirectory = cacheDirectory;
    this.cacheDescription = cacheDescription;
  }

  /** Searches the data cache ({@code $BILEVEL_DATA}, default {@code ~/.cache/bilevel/data}), then Debian's location. */
  public static DatasetLocator fromEnvironment() {
    return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  static DatasetLocator fromEnvironment(Map<String, String> env, Path home) {
    String configured = env.get(ENV_VAR);
    if (configured != null && !configured.isBlank()) {
      return new DatasetLocator(null, Path.of(configured), "data cache, from $" + ENV_VAR);
    }
    return new DatasetLocator(
        null,
        home.resolve(".cache").resolve("bilevel").resolve("data"),
        "default data cache; $" + ENV_VAR + " is not set");
  }

  /**
   * Looks only in {@code directory}, which holds the four files of the data set directly (e.g.
   * {@code train-images-idx3-ubyte[.gz]}); for pointing an experiment at your own copies.
   */
  public static DatasetLocator inDirectory(Path directory) {
    Objects.requireNonNull(directory, "directory");
    return new DatasetLocator(directory, null, null);
  }

  /** The directories searched for a data set, in order. */
  public List<Path> searchPath(KnownDataset dataset) {
    return places(dataset).stream().map(Place::directory).collect(Collectors.toUnmodifiableList());
  }

  /**
   * Loads one split after verifying both of its files.
   *
   * @throws DatasetException if a file is missing or fails its checksum; the message names the file
   *     and gives the fixing command, {@value #SETUP_COMMAND}
   */
  public LabelledImages load(KnownDataset dataset, Split split) {
    Path images = verified(dataset, dataset.images(split));
    Path labels = verified(dataset, dataset.labels(split));
    return IdxReader.read(images, labels, dataset.numClasses());
  }

  /**
   * The files one split would be loaded from, each mapped to its SHA-256 as stored, after the same
   * verification as {@link #load}: what a run records as the provenance of its data.
   */
  public Map<String, String> checksums(KnownDataset dataset, Split split) {
    Map<String, String> sums = new LinkedHashMap<>();
    for (KnownFile f : List.of(dataset.images(split), dataset.labels(split))) {
      Path path = verified(dataset, f);
      sums.put(path.toAbsolutePath().toString(), DataFiles.sha256(path));
    }
    return Collections.unmodifiableMap(sums);
  }

  @Override
  public String toString() {
    return explicitDirectory != null
        ? "DatasetLocator[" + explicitDirectory + "]"
        : "DatasetLocator[" + cacheDirectory + " (" + cacheDescription + "), then Debian's location]";
  }

  private List<Place> places(KnownDataset dataset) {
    if (explicitDirectory != null) {
      return List.of(new Place(explicitDirectory, "the directory given"));
    }
    List<Place> places = new ArrayList<>();
    places.add(new Place(cacheDirectory.resolve(dataset.directoryName()), cacheDescription));
    dataset
        .debian()
        .ifPresent(d -> places.add(new Place(d.directory(), "Debian package " + d.packageName())));
    return places;
  }

  private Path verified(KnownDataset dataset, KnownFile file) {
    Path path = find(dataset, file);
    String actual = DataFiles.sha256(path);
    if (actual.equals(file.sha256())) {
      return path;
    }
    boolean published = path.getFileName().toString().equals(file.name());
    String content;
    try {
      content = DataFiles.isGzip(path) ? DataFiles.contentSha256(path) : actual;
    } catch (DatasetException e) {
      content = "unreadable (" + e.getMessage() + ")";
    }
    if (content.equals(file.contentSha256())) {
      return path;
    }
    String mismatch =
        published
            ? "expected SHA-256 " + file.sha256() + ", actual " + actual
            : "expected SHA-256 " + file.contentSha256() + " of the uncompressed content, actual " + content;
    throw new DatasetException(
        dataset.displayName() + " " + path + ": checksum mismatch: " + mismatch
            + ". The file is damaged or is not the published one. Fix: run `" + SETUP_COMMAND
            + "` from the repository root (it replaces copies it installed); replace a copy of your"
            + " own with an intact one.");
  }

  private Path find(KnownDataset dataset, KnownFile file) {
    List<Place> places = places(dataset);
    for (Place place : places) {
      for (String name : List.of(file.name(), file.alternativeName())) {
        Path candidate = place.directory().resolve(name);
        if (Files.isRegularFile(candidate)) {
          return candidate;
        }
      }
    }
    String where =
        places.stream()
            .map(p -> p.directory() + " (" + p.description() + ")")
            .collect(Collectors.joining(" and "));
    throw new DatasetException(
        dataset.displayName() + " " + file.name() + " is missing: looked for " + file.name() + " or "
            + file.alternativeName() + " in " + where + ". Fix: run `" + SETUP_COMMAND
            + "` from the repository root, or point the experiment at a directory that holds your"
            + " own copy.");
  }
}
