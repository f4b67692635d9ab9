package dev.bilevel.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU as the OS reports it: model name, logical processors and instruction-set flags. Read
 * from {@code /proc/cpuinfo} on Linux; elsewhere the flags are unknown.
 *
 * @param model the CPU model name, or {@code os.arch} when unknown
 * @param logicalCpus processors available to the JVM
 * @param flags the CPU's feature flags (lower case), empty when unknown
 * @param flagsKnown whether {@code flags} was actually read
 */
public record CpuFeatures(String model, int logicalCpus, Set<String> flags, boolean flagsKnown) {

  /** Flags that decide which native build can run or is fast, in the order they are reported. */
  static final List<String> RELEVANT_FLAGS = List.of("avx", "avx2", "fma", "avx512f");

  public CpuFeatures {
    flags = Set.copyOf(flags);
  }

  /**
   * System property naming a file to read instead of {@code /proc/cpuinfo}: lets a test (or a
   * user) show {@link NativeBuild#AUTO} a CPU without AVX2.
   */
  public static final String CPUINFO_PROPERTY = "bilevel.cpuinfo";

  /**
   * Reads the CPU of this machine (or the file named by {@link #CPUINFO_PROPERTY}). Never throws;
   * unknown parts are reported as such.
   */
  public static CpuFeatures detect() {
    int cpus = Runtime.getRuntime().availableProcessors();
    Path cpuinfo = Path.of(System.getProperty(CPUINFO_PROPERTY, "/proc/cpuinfo"));
    if (Files.isReadable(cpuinfo)) {
      try {
        return parse(Files.readString(cpuinfo), cpus);
      } catch (IOException | RuntimeException e) {
        // fall through to "unknown"
      }
    }
    return new CpuFeatures(System.getProperty("os.arch", "unknown"), cpus, Set.of(), false);
  }

  /** Parses the text of {@code /proc/cpuinfo} (only the first processor's entries are used). */
  static CpuFeatures parse(String cpuinfo, int logicalCpus) {
    String model = null;
    Set<String> flags = null;
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (model == null && key.equals("model name")) {
        model = value;
      } else if (flags == null && key.equals("flags")) {
        flags = new TreeSet<>(Arrays.asList(value.toLowerCase(java.util.Locale.ROOT).split("\\s+")));
      }
      if (model != null && flags != null) {
        break;
      }
    }
    return new CpuFeatures(
        model == null ? System.getProperty("os.arch", "unknown") : model,
        logicalCpus,
        flags == null ? Set.of() : flags,
        flags != null);
  }

  public boolean has(String flag) {
    return flags.contains(flag);
  }

  /** Whether the CPU is known to have AVX2; false when the flags are unknown. */
  public boolean hasAvx2() {
    return has("avx2");
  }

  /** E.g. {@code Intel(R) Xeon(R) Processor; 2 cpus; avx avx2 fma avx512f}. */
  public String describe() {
    StringBuilder sb = new StringBuilder(model).append("; ").append(logicalCpus).append(" cpus; ");
    if (!flagsKnown) {
      return sb.append("flags unknown").toString();
    }
    StringBuilder f = new StringBuilder();
    for (String flag : RELEVANT_FLAGS) {
      if (has(flag)) {
        f.append(f.length() == 0 ? "" : " ").append(flag);
      }
    }
    return sb.append(f.length() == 0 ? "no avx" : f).toString();
  }
}
