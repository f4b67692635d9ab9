package dev.bilevel.backend;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A description of the running numeric backend, recorded as provenance.
 *
 * @param nd4jVersion ND4J version on the class path
 * @param nativeBuild the native build that loaded, e.g. {@code linux-x86_64-onednn-avx2}
 * @param ompThreads OpenMP threads ND4J uses
 * @param blasThreads BLAS threads
 * @param cpu CPU model and flags that matter (avx2, avx512f)
 * @param javaVersion the JVM version
 */
public record BackendInfo(
    String nd4jVersion,
    String nativeBuild,
    int ompThreads,
    int blasThreads,
    String cpu,
    String javaVersion) {

  /** Key-value form, for provenance files and benchmark headers. */
  public Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("nd4j.version", nd4jVersion);
    m.put("nd4j.nativeBuild", nativeBuild);
    m.put("omp.threads", Integer.toString(ompThreads));
    m.put("blas.threads", Integer.toString(blasThreads));
    m.put("cpu", cpu);
    m.put("java.version", javaVersion);
    return m;
  }
}
