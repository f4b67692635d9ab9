package dev.bilevel.backend;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A description of the running numeric backend, recorded as provenance.
 *
 * @param nd4jVersion ND4J version on the class path
 * @param nativeBuild the native build that loaded, e.g. {@code linux-x86_64-onednn-avx2}
 * @param ompThreads OpenMP threads ND4J uses (as seen from the thread that read the info; OpenMP
 *     settings made in-process are per thread, see docs/backend.md)
 * @param blasThreads BLAS threads
 * @param cpu CPU model and flags that matter (avx2, avx512f)
 * @param javaVersion the JVM version
 * @param requestedBuild the build that was asked for, after resolving {@code AUTO} (e.g.
 *     {@code linux-x86_64-onednn-avx2}); equal to {@code nativeBuild} unless the choice could not
 *     take effect
 * @param buildSelection how {@code nativeBuild} came to be chosen
 * @param poolThreads threads of libnd4j's own thread pool (element-wise ops, reductions)
 * @param masterThreads libnd4j's master threads
 * @param blasVendor the BLAS library ND4J calls, e.g. {@code OPENBLAS}
 * @param nativeFeatures features compiled into the native library, e.g. {@code ONEDNN OPENBLAS}
 */
public record BackendInfo(
    String nd4jVersion,
    String nativeBuild,
    int ompThreads,
    int blasThreads,
    String cpu,
    String javaVersion,
    String requestedBuild,
    BuildSelection buildSelection,
    int poolThreads,
    int masterThreads,
    String blasVendor,
    String nativeFeatures) {

  /** The original six fields; the rest are recorded as unknown. */
  public BackendInfo(
      String nd4jVersion,
      String nativeBuild,
      int ompThreads,
      int blasThreads,
      String cpu,
      String javaVersion) {
    this(
        nd4jVersion,
        nativeBuild,
        ompThreads,
        blasThreads,
        cpu,
        javaVersion,
        nativeBuild,
        BuildSelection.UNKNOWN,
        ompThreads,
        ompThreads,
        "unknown",
        "unknown");
  }

  /** Key-value form, for provenance files and benchmark headers. */
  public Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("nd4j.version", nd4jVersion);
    m.put("nd4j.nativeBuild", nativeBuild);
    m.put("omp.threads", Integer.toString(ompThreads));
    m.put("blas.threads", Integer.toString(blasThreads));
    m.put("cpu", cpu);
    m.put("java.version", javaVersion);
    m.put("nd4j.requestedBuild", requestedBuild);
    m.put("nd4j.buildSelection", buildSelection.name());
    m.put("nd4j.poolThreads", Integer.toString(poolThreads));
    m.put("nd4j.masterThreads", Integer.toString(masterThreads));
    m.put("blas.vendor", blasVendor);
    m.put("nd4j.nativeFeatures", nativeFeatures);
    return m;
  }
}
