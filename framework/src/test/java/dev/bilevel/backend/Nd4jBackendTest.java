package dev.bilevel.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * {@link Nd4jBackend} in the test JVM itself. Other test classes may have loaded ND4J first, so
 * nothing here depends on which build loaded; {@link Nd4jBackendForkedTest} covers that.
 */
class Nd4jBackendTest {

  @Test
  void infoIsCompleteAndConsistentWithTheMachine() {
    BackendInfo info = Nd4jBackend.start().info();
    CpuFeatures cpu = CpuFeatures.detect();

    assertThat(info.nd4jVersion()).startsWith("1.0.0");
    assertThat(info.nativeBuild())
        .isEqualTo(Nd4jBackend.loadedBuild())
        .startsWith(Loader.getPlatform());
    assertThat(info.cpu()).isEqualTo(cpu.describe());
    assertThat(info.cpu().contains("avx2")).isEqualTo(cpu.hasAvx2());
    assertThat(info.javaVersion()).isEqualTo(Runtime.version().toString());
    assertThat(info.buildSelection())
        .isIn(BuildSelection.APPLIED, BuildSelection.TOO_LATE, BuildSelection.USER_PROPERTY);
    if (info.buildSelection() == BuildSelection.APPLIED) {
      assertThat(info.nativeBuild()).isEqualTo(info.requestedBuild());
    }
    assertThat(info.ompThreads()).isPositive();
    assertThat(info.blasThreads()).isPositive();
    assertThat(info.poolThreads()).isGreaterThanOrEqualTo(info.masterThreads());
    assertThat(info.masterThreads()).isPositive();
    assertThat(info.blasVendor()).isEqualTo("OPENBLAS");
    assertThat(info.nativeFeatures()).contains("OPENBLAS");
    assertThat(info.nativeFeatures().contains("ONEDNN"))
        .isEqualTo(info.nativeBuild().contains("onednn"));
    assertThat(info.asMap())
        .containsKeys(
            "nd4j.version", "nd4j.nativeBuild", "omp.threads", "blas.threads", "cpu",
            "java.version")
        .doesNotContainValue(null)
        .allSatisfy((k, v) -> assertThat(v).isNotBlank());
  }

  @Test
  void theSixFieldConstructorStillWorks() {
    BackendInfo info = new BackendInfo("v", "b", 1, 2, "c", "j");
    assertThat(info.buildSelection()).isEqualTo(BuildSelection.UNKNOWN);
    assertThat(info.asMap()).containsEntry("nd4j.nativeBuild", "b").containsEntry("blas.threads",
        "2");
  }

  @Test
  void seedingTwiceGivesIdenticalDraws() {
    Nd4jBackend backend = Nd4jBackend.start();
    backend.seedRandom(123);
    INDArray a = Nd4j.rand(DataType.DOUBLE, 4, 5);
    INDArray an = Nd4j.randn(DataType.FLOAT, 3, 3);
    backend.seedRandom(123);
    INDArray b = Nd4j.rand(DataType.DOUBLE, 4, 5);
    INDArray bn = Nd4j.randn(DataType.FLOAT, 3, 3);
    backend.seedRandom(124);
    INDArray c = Nd4j.rand(DataType.DOUBLE, 4, 5);

    assertThat(b).isEqualTo(a);
    assertThat(bn).isEqualTo(an);
    assertThat(c).isNotEqualTo(a);
  }

  @Test
  void threadSettingsAreAppliedAndReadBack() throws Exception {
    BackendInfo before = Nd4jBackend.start(BackendOptions.builder().threads(0).build()).info();
    try {
      Nd4jBackend one = Nd4jBackend.start(BackendOptions.builder().threads(1).build());
      BackendInfo info = one.info();
      assertThat(info.ompThreads()).isEqualTo(1);
      assertThat(info.blasThreads()).isEqualTo(1);
      assertThat(info.masterThreads()).isEqualTo(1);

      // withThreads changes only the positive counts and keeps the build.
      Nd4jBackend blas2 = one.withThreads(0, 2);
      assertThat(blas2.info().blasThreads()).isEqualTo(2);
      assertThat(blas2.info().ompThreads()).isEqualTo(1);
      assertThat(blas2.info().nativeBuild()).isEqualTo(info.nativeBuild());
      assertThat(blas2.options().blasThreads()).isEqualTo(2);

      // OpenMP's thread count is per thread: another thread gets it via applyToCurrentThread.
      Nd4jBackend two = Nd4jBackend.start(BackendOptions.builder().ompThreads(2).build());
      AtomicInteger seen = new AtomicInteger();
      Thread t =
          new Thread(
              () -> {
                two.applyToCurrentThread();
                seen.set(two.info().ompThreads());
              });
      t.start();
      t.join();
      assertThat(seen.get()).isEqualTo(2);
    } finally {
      Nd4jBackend.start(
          BackendOptions.builder()
              .ompThreads(before.masterThreads())
              .blasThreads(before.blasThreads())
              .build());
      NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(before.ompThreads());
    }
  }

  @Test
  void debugAndVerboseFollowTheOptions() {
    Nd4jBackend.start(BackendOptions.builder().threads(0).debug(false).verbose(false).build());
    assertThat(Nd4j.getEnvironment().isDebug()).isFalse();
    assertThat(Nd4j.getEnvironment().isVerbose()).isFalse();
    assertThat(Nd4j.getExecutioner().isDebug()).isFalse();
  }

  @Test
  void chatterFilterDropsOnlyNd4jsPerOpLines() {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      ChatterFilter.install();
      ChatterFilter.install(); // idempotent: one filter, not two
      assertThat(ChatterFilter.installed()).isTrue();
      System.out.println("Added differentiated op matmul");
      System.out.println("keep me");
      System.out.println((Object) "Added differentiated op add");
      System.out.print("partial ");
      System.out.println(42);
    } finally {
      System.setOut(original);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8).replace("\r", ""))
        .isEqualTo("keep me\npartial 42\n");
  }
}
