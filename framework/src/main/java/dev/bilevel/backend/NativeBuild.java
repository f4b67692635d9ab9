package dev.bilevel.backend;

/**
 * Which nd4j-native build JavaCPP loads. The choice is made once per JVM: the native library
 * loads the first time any ND4J class initialises and cannot be swapped afterwards.
 */
public enum NativeBuild {

  /**
   * {@link #ONEDNN_AVX2} when the CPU reports AVX2 and that build is on the class path, otherwise
   * {@link #GENERIC}. On this project's measurements (docs/backend.md) oneDNN made the CNN training
   * step 2.5-5x faster, the FP32 MLP step 1.2-1.7x faster with in-process thread settings, and
   * showed no consistent difference for the FP64 MLP.
   */
  AUTO(null),

  /** The plain x86-64 build ({@code linux-x86_64}); runs on any x86-64 CPU. */
  GENERIC(""),

  /** The oneDNN + AVX2 build ({@code linux-x86_64-onednn-avx2}); needs a CPU with AVX2. */
  ONEDNN_AVX2("-onednn-avx2");

  private final String extension;

  NativeBuild(String extension) {
    this.extension = extension;
  }

  /**
   * The value for the JavaCPP system property {@code org.bytedeco.javacpp.platform.extension}.
   * The empty string selects the generic build; {@code null} for {@link #AUTO}, which has to be
   * resolved first.
   */
  public String javacppExtension() {
    return extension;
  }

  /** The build's classifier on this platform, e.g. {@code linux-x86_64-onednn-avx2}. */
  public String classifier(String platform) {
    if (this == AUTO) {
      throw new IllegalStateException("AUTO has no classifier; resolve it first");
    }
    return platform + extension;
  }
}
