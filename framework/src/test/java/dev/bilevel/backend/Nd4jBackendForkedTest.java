package dev.bilevel.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link Nd4jBackend#start} loads in a fresh JVM. Each case runs in its own child JVM,
 * because the native build is fixed once per JVM and surefire may share one JVM between test
 * classes.
 */
class Nd4jBackendForkedTest {

  private static final String ONEDNN = "linux-x86_64-onednn-avx2";
  private static final String GENERIC = "linux-x86_64";

  private static boolean onednnMachine() {
    return CpuFeatures.detect().hasAvx2()
        && Nd4jBackend.buildOnClassPath(NativeBuild.ONEDNN_AVX2, "linux-x86_64")
        && System.getProperty("os.name").toLowerCase().contains("linux")
        && System.getProperty("os.arch").equals("amd64");
  }

  @Test
  void autoLoadsOnednnAvx2OnAnAvx2Cpu() throws Exception {
    assumeTrue(onednnMachine(), "needs linux-x86_64 with AVX2 and the onednn-avx2 jar");
    ChildJvm.Result r = ChildJvm.run(List.of(), "AUTO", "--compute");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.get("info.nd4j.nativeBuild")).isEqualTo(ONEDNN);
    assertThat(r.get("info.nd4j.requestedBuild")).isEqualTo(ONEDNN);
    assertThat(r.get("info.nd4j.buildSelection")).isEqualTo("APPLIED");
    assertThat(r.get("info.nd4j.nativeFeatures")).contains("ONEDNN");
    assertThat(Double.parseDouble(r.get("matmul.maxAbsErr"))).isLessThan(1e-10);
    assertThat(Double.parseDouble(r.get("grad.maxAbsErr"))).isLessThan(1e-10);
  }

  @Test
  void genericForcedLoadsTheGenericBuildAndComputesCorrectly() throws Exception {
    assumeTrue(Nd4jBackend.buildOnClassPath(NativeBuild.GENERIC, "linux-x86_64"));
    ChildJvm.Result r = ChildJvm.run(List.of(), "GENERIC", "--compute");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.get("info.nd4j.nativeBuild")).isEqualTo(GENERIC);
    assertThat(r.get("info.nd4j.buildSelection")).isEqualTo("APPLIED");
    assertThat(r.get("info.nd4j.nativeFeatures")).doesNotContain("ONEDNN").contains("OPENBLAS");
    assertThat(Double.parseDouble(r.get("matmul.maxAbsErr"))).isLessThan(1e-10);
    assertThat(Double.parseDouble(r.get("grad.maxAbsErr"))).isLessThan(1e-10);
    assertThat(r.get("info.omp.threads")).isEqualTo("1");
    assertThat(r.get("info.blas.threads")).isEqualTo("1");
    assertThat(r.get("info.nd4j.masterThreads")).isEqualTo("1");
  }

  /** A /proc/cpuinfo of an x86-64 CPU without AVX2 (SSE4.2 and AVX only). */
  private static Path cpuWithoutAvx2(Path dir) throws IOException {
    Path f = dir.resolve("cpuinfo-no-avx2");
    Files.writeString(
        f,
        "processor\t: 0\nmodel name\t: Old CPU without AVX2\n"
            + "flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt avx\n");
    return f;
  }

  @Test
  void autoFallsBackToGenericOnACpuWithoutAvx2AndComputesCorrectly(@TempDir Path dir)
      throws Exception {
    assumeTrue(Nd4jBackend.buildOnClassPath(NativeBuild.GENERIC, "linux-x86_64"));
    Path cpuinfo = cpuWithoutAvx2(dir);
    ChildJvm.Result r =
        ChildJvm.run(List.of("-D" + CpuFeatures.CPUINFO_PROPERTY + "=" + cpuinfo), "AUTO",
            "--compute");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.get("info.cpu")).contains("Old CPU without AVX2").doesNotContain("avx2");
    assertThat(r.get("info.nd4j.requestedBuild")).isEqualTo(GENERIC);
    assertThat(r.get("info.nd4j.nativeBuild")).isEqualTo(GENERIC);
    assertThat(r.get("info.nd4j.buildSelection")).isEqualTo("APPLIED");
    assertThat(Double.parseDouble(r.get("matmul.maxAbsErr"))).isLessThan(1e-10);
    assertThat(Double.parseDouble(r.get("grad.maxAbsErr"))).isLessThan(1e-10);
  }

  @Test
  void forcingOnednnOnACpuWithoutAvx2FailsClearlyBeforeLoading(@TempDir Path dir)
      throws Exception {
    Path cpuinfo = cpuWithoutAvx2(dir);
    ChildJvm.Result r =
        ChildJvm.run(List.of("-D" + CpuFeatures.CPUINFO_PROPERTY + "=" + cpuinfo), "ONEDNN_AVX2");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output())
        .contains("IllegalStateException")
        .contains("ONEDNN_AVX2 forced, but this CPU has no AVX2")
        .doesNotContain("done=true");
  }

  @Test
  void choiceHoldsEvenIfJavacppCachedItsPropertiesEarlier() throws Exception {
    assumeTrue(onednnMachine());
    // Without the fix-up in start(), JavaCPP would ignore the property and load the first build
    // on the class path (onednn-avx2).
    ChildJvm.Result r = ChildJvm.run(List.of(), "GENERIC", "--stale-javacpp");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.get("info.nd4j.nativeBuild")).isEqualTo(GENERIC);
    assertThat(r.get("info.nd4j.buildSelection")).isEqualTo("APPLIED");
  }

  @Test
  void startAfterNd4jLoadedReportsTooLateInsteadOfFailing() throws Exception {
    assumeTrue(onednnMachine());
    ChildJvm.Result r = ChildJvm.run(List.of(), "GENERIC", "--init-first");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.get("info.nd4j.buildSelection")).isEqualTo("TOO_LATE");
    assertThat(r.get("info.nd4j.requestedBuild")).isEqualTo(GENERIC);
    // Unconfigured JavaCPP takes the first build of ND4J's preference list on the class path.
    assertThat(r.get("info.nd4j.nativeBuild")).isEqualTo(ONEDNN);
    // Thread settings still apply.
    assertThat(r.get("info.blas.threads")).isEqualTo("1");
  }

  @Test
  void aUserSetJavacppPropertyIsRespected() throws Exception {
    assumeTrue(onednnMachine());
    ChildJvm.Result r =
        ChildJvm.run(List.of("-D" + Nd4jBackend.EXTENSION_PROPERTY + "="), "AUTO");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.get("info.nd4j.nativeBuild")).isEqualTo(GENERIC);
    assertThat(r.get("info.nd4j.buildSelection")).isEqualTo("USER_PROPERTY");
  }

  @Test
  void quietDropsSameDiffsPerOpLinesAndLoudKeepsThem() throws Exception {
    ChildJvm.Result quiet = ChildJvm.run(List.of(), "GENERIC", "--grad");
    ChildJvm.Result loud = ChildJvm.run(List.of(), "GENERIC", "--grad", "--loud");
    assertThat(quiet.get("done")).isEqualTo("true");
    assertThat(loud.get("done")).isEqualTo("true");
    assertThat(loud.output()).contains("Added differentiated op");
    assertThat(quiet.output()).doesNotContain("Added differentiated op");
  }
}
