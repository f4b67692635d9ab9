package dev.bilevel.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CpuFeaturesTest {

  private static final String SAMPLE =
      "processor\t: 0\n"
          + "vendor_id\t: GenuineIntel\n"
          + "model name\t: Some CPU @ 2.00GHz\n"
          + "flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512bw\n"
          + "\n"
          + "processor\t: 1\n"
          + "model name\t: Other CPU\n"
          + "flags\t\t: fpu sse\n";

  @Test
  void parsesModelAndFlagsOfTheFirstProcessor() {
    CpuFeatures cpu = CpuFeatures.parse(SAMPLE, 2);
    assertThat(cpu.model()).isEqualTo("Some CPU @ 2.00GHz");
    assertThat(cpu.flagsKnown()).isTrue();
    assertThat(cpu.hasAvx2()).isTrue();
    assertThat(cpu.has("avx512bw")).isTrue();
    assertThat(cpu.describe()).isEqualTo("Some CPU @ 2.00GHz; 2 cpus; avx avx2 fma avx512f");
  }

  @Test
  void aCpuWithoutAvx2IsReportedAsSuchAndAutoFallsBackToGeneric() {
    CpuFeatures old = CpuFeatures.parse("model name : Old CPU\nflags : fpu sse sse2\n", 4);
    assertThat(old.hasAvx2()).isFalse();
    assertThat(old.describe()).endsWith("no avx");
    assertThat(Nd4jBackend.resolve(NativeBuild.AUTO, old, "linux-x86_64"))
        .isEqualTo(NativeBuild.GENERIC);
  }

  @Test
  void autoPicksOnednnOnlyWhenTheCpuHasAvx2AndTheJarIsPresent() {
    CpuFeatures avx2 = CpuFeatures.parse(SAMPLE, 2);
    NativeBuild expected =
        Nd4jBackend.buildOnClassPath(NativeBuild.ONEDNN_AVX2, "linux-x86_64")
            ? NativeBuild.ONEDNN_AVX2
            : NativeBuild.GENERIC;
    assertThat(Nd4jBackend.resolve(NativeBuild.AUTO, avx2, "linux-x86_64")).isEqualTo(expected);
    // no such build for this platform on the class path
    assertThat(Nd4jBackend.resolve(NativeBuild.AUTO, avx2, "linux-arm64"))
        .isEqualTo(NativeBuild.GENERIC);
    assertThat(Nd4jBackend.resolve(NativeBuild.GENERIC, avx2, "linux-x86_64"))
        .isEqualTo(NativeBuild.GENERIC);
  }

  @Test
  void unknownFlagsAreNotMistakenForAvx2() {
    CpuFeatures cpu = CpuFeatures.parse("garbage without colons", 1);
    assertThat(cpu.flagsKnown()).isFalse();
    assertThat(cpu.hasAvx2()).isFalse();
    assertThat(cpu.describe()).endsWith("flags unknown");
  }

  @Test
  void detectAgreesWithProcCpuinfo() throws Exception {
    CpuFeatures cpu = CpuFeatures.detect();
    assertThat(cpu.logicalCpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
    Path p = Path.of("/proc/cpuinfo");
    if (Files.isReadable(p)) {
      String text = Files.readString(p);
      assertThat(cpu.flagsKnown()).isTrue();
      assertThat(cpu.hasAvx2()).isEqualTo(text.matches("(?s).*\\bflags\\s*:[^\\n]*\\bavx2\\b.*"));
    }
  }
}
