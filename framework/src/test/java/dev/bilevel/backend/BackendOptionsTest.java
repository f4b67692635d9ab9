package dev.bilevel.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BackendOptionsTest {

  @Test
  void defaultsAreAutoQuietAndFollowTheEnvironment() {
    BackendOptions d = BackendOptions.defaults();
    assertThat(d.nativeBuild()).isEqualTo(NativeBuild.AUTO);
    assertThat(d.debug()).isFalse();
    assertThat(d.verbose()).isFalse();
    assertThat(d.quiet()).isTrue();
    String env = System.getenv("OMP_NUM_THREADS");
    if (env != null && !env.isBlank()) {
      assertThat(d.ompThreads()).isEqualTo(BackendOptions.ND4J_DEFAULT);
      assertThat(d.blasThreads()).isEqualTo(BackendOptions.ND4J_DEFAULT);
    } else {
      assertThat(d.ompThreads()).isEqualTo(BackendOptions.DEFAULT_OMP_THREADS);
      assertThat(d.blasThreads()).isEqualTo(BackendOptions.DEFAULT_BLAS_THREADS);
    }
  }

  @Test
  void builderAndWithersCopyEverything() {
    BackendOptions o =
        BackendOptions.builder()
            .nativeBuild(NativeBuild.GENERIC)
            .ompThreads(3)
            .blasThreads(4)
            .debug(true)
            .verbose(true)
            .quiet(false)
            .build();
    assertThat(o).isEqualTo(new BackendOptions(NativeBuild.GENERIC, 3, 4, true, true, false));
    assertThat(o.toBuilder().build()).isEqualTo(o);
    assertThat(o.withThreads(1, 2).ompThreads()).isEqualTo(1);
    assertThat(o.withThreads(1, 2).blasThreads()).isEqualTo(2);
    assertThat(o.withNativeBuild(NativeBuild.ONEDNN_AVX2).nativeBuild())
        .isEqualTo(NativeBuild.ONEDNN_AVX2);
    assertThat(BackendOptions.builder().threads(2).build().blasThreads()).isEqualTo(2);
  }

  @Test
  void rejectsNegativeThreadsAndMissingBuild() {
    assertThatThrownBy(() -> BackendOptions.builder().ompThreads(-1).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BackendOptions.builder().blasThreads(-1).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BackendOptions.builder().nativeBuild(null).build())
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void buildsMapToJavacppExtensions() {
    assertThat(NativeBuild.GENERIC.javacppExtension()).isEmpty();
    assertThat(NativeBuild.ONEDNN_AVX2.classifier("linux-x86_64"))
        .isEqualTo("linux-x86_64-onednn-avx2");
    assertThat(NativeBuild.AUTO.javacppExtension()).isNull();
    assertThatThrownBy(() -> NativeBuild.AUTO.classifier("linux-x86_64"))
        .isInstanceOf(IllegalStateException.class);
  }
}
