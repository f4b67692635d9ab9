package dev.bilevel.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a run executed: enough to explain its numbers later and to run it again. Written once per
 * run as {@code provenance.json}, in the spirit of Tribuo's model provenance.
 *
 * <p>The configuration is stored in its JSON form: on construction it is written to JSON and
 * read back, so the record holds exactly what {@link #readFrom(Path)} will return (integers as
 * {@link Long}, other numbers as {@link Double}, nested maps and lists, all unmodifiable), and a
 * value that cannot be written as JSON fails here rather than at the end of a long run.
 *
 * @param experiment the experiment name, e.g. {@code mwn-cifar10-noise40}
 * @param startTime when the run started
 * @param gitCommit the commit of the source tree, if it could be read from {@code .git}
 * @param configuration the full configuration, nested maps and lists allowed
 * @param seeds every random seed by purpose, e.g. {@code data}, {@code init}, {@code noise}
 * @param versions component to version: this library, ND4J, Java, OS, and any others added
 * @param backend description of the numeric backend (see {@code BackendInfo#asMap()})
 * @param dataChecksums dataset or file name to checksum, e.g. {@code sha256:...}
 */
public record Provenance(
    String experiment,
    Instant startTime,
    Optional<String> gitCommit,
    Map<String, Object> configuration,
    Map<String, Long> seeds,
    Map<String, String> versions,
    Map<String, String> backend,
    Map<String, String> dataChecksums) {

  private static final TypeReference<LinkedHashMap<String, Object>> OBJECT =
      new TypeReference<>() {};

  /**
   * Validates and copies all parts; see the class comment for how the configuration is
   * normalised.
   *
   * @throws IllegalArgumentException if {@code experiment} is blank or the configuration cannot
   *     be written as JSON
   * @throws NullPointerException if any argument, map key or map value is null
   */
  public Provenance {
    Objects.requireNonNull(experiment, "experiment");
    if (experiment.isBlank()) {
      throw new IllegalArgumentException("experiment must not be blank");
    }
    Objects.requireNonNull(startTime, "startTime");
    Objects.requireNonNull(gitCommit, "gitCommit");
    configuration = normalize(Objects.requireNonNull(configuration, "configuration"));
    seeds = copy(seeds, "seeds");
    versions = copy(versions, "versions");
    backend = copy(backend, "backend");
    dataChecksums = copy(dataChecksums, "dataChecksums");
  }

  /**
   * Starts a provenance record for {@code experiment}. Versions of this library, ND4J, Java and
   * the OS are filled in by {@link Builder#build()}.
   */
  public static Builder builder(String experiment) {
    return new Builder(experiment);
  }

  /** The record as pretty-printed JSON, with a trailing newline. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experiment", experiment);
    m.put("startTime", startTime.toString());
    gitCommit.ifPresent(c -> m.put("gitCommit", c));
    m.put("configuration", configuration);
    m.put("seeds", seeds);
    m.put("versions", versions);
    m.put("backend", backend);
    m.put("dataChecksums", dataChecksums);
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("A normalised provenance record failed to serialise", e);
    }
  }

  /**
   * Writes {@link #toJson()} to {@code file} atomically.
   *
   * @throws IOException if the file cannot be written; an existing file is then unchanged
   */
  public void writeTo(Path file) throws IOException {
    AtomicFiles.writeString(file, toJson());
  }

  /**
   * Reads a file written by {@link #writeTo(Path)}.
   *
   * @throws IOException if the file cannot be read, is not JSON, or lacks a field or has one of
   *     the wrong type (the message names the file and the field)
   */
  public static Provenance readFrom(Path file) throws IOException {
    Map<String, Object> m;
    try {
      m = Json.MAPPER.readValue(Files.readString(file, StandardCharsets.UTF_8), OBJECT);
    } catch (JsonProcessingException e) {
      throw new IOException(file + " is not a provenance JSON object: "
          + e.getOriginalMessage(), e);
    }
    try {
      Object commit = m.get("gitCommit");
      return new Provenance(
          field(m, "experiment", String.class),
          Instant.parse(field(m, "startTime", String.class)),
          commit == null ? Optional.empty() : Optional.of(field(m, "gitCommit", String.class)),
          configurationOf(field(m, "configuration", Map.class)),
          asStringKeyed(field(m, "seeds", Map.class), Long.class, "seeds"),
          asStringKeyed(field(m, "versions", Map.class), String.class, "versions"),
          asStringKeyed(field(m, "backend", Map.class), String.class, "backend"),
          asStringKeyed(field(m, "dataChecksums", Map.class), String.class, "dataChecksums"));
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw new IOException("Invalid provenance file " + file + ": " + e.getMessage(), e);
    }
  }

  private static <T> T field(Map<String, Object> m, String name, Class<T> type) {
    Object v = m.get(name);
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException("field '" + name + "' should be a "
          + type.getSimpleName() + " but is " + (v == null ? "missing" : v.getClass()
          .getSimpleName()));
    }
    return type.cast(v);
  }

  /** A JSON object's keys are strings and any value (null included) is valid configuration. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> configurationOf(Map<?, ?> raw) {
    return (Map<String, Object>) raw;
  }

  private static <V> Map<String, V> asStringKeyed(Map<?, ?> raw, Class<V> type, String name) {
    Map<String, V> out = new LinkedHashMap<>();
    raw.forEach((k, v) -> {
      if (!type.isInstance(v)) {
        throw new IllegalArgumentException("value '" + k + "' of field '" + name
            + "' should be a " + type.getSimpleName());
      }
      out.put((String) k, type.cast(v));
    });
    return out;
  }

  private static <V> Map<String, V> copy(Map<String, V> map, String name) {
    Objects.requireNonNull(map, name);
    Map<String, V> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(Objects.requireNonNull(k, () -> "key in " + name),
        Objects.requireNonNull(v, () -> "value of '" + k + "' in " + name)));
    return Collections.unmodifiableMap(out);
  }

  private static Map<String, Object> normalize(Map<String, ?> configuration) {
    Map<String, Object> json;
    try {
      json = Json.MAPPER.readValue(Json.MAPPER.writeValueAsBytes(configuration), OBJECT);
    } catch (IOException e) {
      throw new IllegalArgumentException("The configuration cannot be written as JSON: "
          + e.getMessage(), e);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> frozen = (Map<String, Object>) freeze(json);
    return frozen;
  }

  private static Object freeze(Object v) {
    if (v instanceof Map<?, ?> map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      map.forEach((k, x) -> out.put(k, freeze(x)));
      return Collections.unmodifiableMap(out);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(x -> out.add(freeze(x)));
      return Collections.unmodifiableList(out);
    }
    return v;
  }

  /**
   * Collects the parts of a {@link Provenance}. Each setter checks its input when called and
   * refuses to be called twice for the same part, so a wiring mistake fails where it is made;
   * {@link #build()} checks that the required parts are present.
   */
  public static final class Builder {

    private final String experiment;
    private Map<String, ?> configuration;
    private Instant startTime;
    private String gitCommit;
    private boolean gitCommitSet;
    private Map<String, String> backend;
    private final Map<String, Long> seeds = new LinkedHashMap<>();
    private final Map<String, String> extraVersions = new LinkedHashMap<>();
    private final Map<String, String> dataChecksums = new LinkedHashMap<>();

    private Builder(String experiment) {
      Objects.requireNonNull(experiment, "experiment");
      if (experiment.isBlank()) {
        throw new IllegalArgumentException("experiment must not be blank");
      }
      this.experiment = experiment;
    }

    /**
     * The full configuration of the run. Required.
     *
     * @throws IllegalStateException if already set
     */
    public Builder configuration(Map<String, ?> configuration) {
      Objects.requireNonNull(configuration, "configuration");
      requireUnset(this.configuration == null, "configuration");
      this.configuration = configuration;
      return this;
    }

    /**
     * When the run started. Required; pass it in rather than reading a clock here so that the
     * value matches the run's other records.
     *
     * @throws IllegalStateException if already set
     */
    public Builder startTime(Instant startTime) {
      Objects.requireNonNull(startTime, "startTime");
      requireUnset(this.startTime == null, "startTime");
      this.startTime = startTime;
      return this;
    }

    /**
     * Records a random seed.
     *
     * @param purpose what the seed drives, e.g. {@code data}
     * @throws IllegalStateException if a seed for {@code purpose} was already recorded
     */
    public Builder seed(String purpose, long seed) {
      Objects.requireNonNull(purpose, "purpose");
      if (seeds.containsKey(purpose)) {
        throw new IllegalStateException("seed '" + purpose + "' was already set to "
            + seeds.get(purpose));
      }
      seeds.put(purpose, seed);
      return this;
    }

    /**
     * The backend description, e.g. {@code BackendInfo.asMap()}. Optional; passed in so that
     * writing provenance never initialises ND4J.
     *
     * @throws IllegalStateException if already set
     */
    public Builder backend(Map<String, String> backend) {
      Objects.requireNonNull(backend, "backend");
      requireUnset(this.backend == null, "backend");
      this.backend = backend;
      return this;
    }

    /**
     * Records the checksum of one input data set or file.
     *
     * @throws IllegalStateException if a checksum for {@code dataset} was already recorded
     */
    public Builder dataChecksum(String dataset, String checksum) {
      Objects.requireNonNull(dataset, "dataset");
      Objects.requireNonNull(checksum, "checksum");
      if (dataChecksums.containsKey(dataset)) {
        throw new IllegalStateException("checksum of '" + dataset + "' was already set to "
            + dataChecksums.get(dataset));
      }
      dataChecksums.put(dataset, checksum);
      return this;
    }

    /**
     * Records the version of a further component (a plugin, a data set release), or replaces a
     * detected one.
     */
    public Builder version(String component, String version) {
      extraVersions.put(Objects.requireNonNull(component, "component"),
          Objects.requireNonNull(version, "version"));
      return this;
    }

    /**
     * Sets the source commit explicitly.
     *
     * @throws IllegalStateException if the commit was already set or looked up
     */
    public Builder gitCommit(String commit) {
      Objects.requireNonNull(commit, "commit");
      requireUnset(!gitCommitSet, "gitCommit");
      gitCommitSet = true;
      gitCommit = commit;
      return this;
    }

    /**
     * Looks up the commit checked out in the git work tree that contains {@code dir} (usually
     * the working directory) by reading {@code .git}; leaves it absent if there is none.
     *
     * @throws IllegalStateException if the commit was already set or looked up
     */
    public Builder gitCommitOf(Path dir) {
      Objects.requireNonNull(dir, "dir");
      requireUnset(!gitCommitSet, "gitCommit");
      gitCommitSet = true;
      gitCommit = GitHead.find(dir).orElse(null);
      return this;
    }

    private static void requireUnset(boolean unset, String part) {
      if (!unset) {
        throw new IllegalStateException(part + " was already set");
      }
    }

    /**
     * Builds the record. The builder can be reused afterwards.
     *
     * @throws IllegalStateException if the configuration or the start time is missing
     * @throws IllegalArgumentException if the configuration cannot be written as JSON
     */
    public Provenance build() {
      List<String> missing = new ArrayList<>();
      if (configuration == null) {
        missing.add("configuration");
      }
      if (startTime == null) {
        missing.add("startTime");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("Provenance of '" + experiment + "' is missing "
            + String.join(" and ", missing));
      }
      Map<String, String> versions = Versions.detect();
      versions.putAll(extraVersions);
      return new Provenance(experiment, startTime, Optional.ofNullable(gitCommit),
          new LinkedHashMap<String, Object>(configuration), seeds, versions,
          backend == null ? Map.of() : backend, dataChecksums);
    }
  }
}
