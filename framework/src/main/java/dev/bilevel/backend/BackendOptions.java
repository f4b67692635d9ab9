package dev.bilevel.backend;

import java.util.Objects;

/**
 * How {@link Nd4jBackend#start(BackendOptions)} configures ND4J. Immutable; build one with
 * {@link #builder()} or start from {@link #defaults()}.
 *
 * <p>Thread counts: a positive value is applied as is; {@link #ND4J_DEFAULT} (0) leaves the count
 * ND4J chose at start-up, which follows the {@code OMP_NUM_THREADS} environment variable when set
 * and the number of cores otherwise.
 *
 * @param nativeBuild which native build to load (honoured only if ND4J has not loaded yet and the
 *     JavaCPP property {@code org.bytedeco.javacpp.platform.extension} is not already set)
 * @param ompThreads compute threads: libnd4j's thread pool, its master threads and the OpenMP
 *     threads of the thread that calls {@code start} (what {@code OMP_NUM_THREADS} controls)
 * @param blasThreads OpenBLAS threads
 * @param debug ND4J's per-op debug mode (slow; for diagnosing ops only)
 * @param verbose ND4J's per-op verbose mode (prints every op; for diagnosing ops only)
 * @param quiet suppress ND4J's start-up logging and the lines SameDiff prints to stdout for
 *     every op when it builds a gradient ("Added differentiated op ..."); the latter by wrapping
 *     {@code System.out} in a filter that drops only those lines
 */
public record BackendOptions(
    NativeBuild nativeBuild,
    int ompThreads,
    int blasThreads,
    boolean debug,
    boolean verbose,
    boolean quiet) {

  /** Thread count meaning "keep what ND4J chose" (environment variable or number of cores). */
  public static final int ND4J_DEFAULT = 0;

  /**
   * The compute-thread count {@link #defaults()} uses when {@code OMP_NUM_THREADS} is not set.
   * Measured with {@code BackendBench} on 2 cores (docs/backend.md): one thread made the MLP
   * training step 6-14x faster and the CNN step 1.7-3x faster than two, on both builds.
   */
  public static final int DEFAULT_OMP_THREADS = 1;

  /**
   * The OpenBLAS thread count {@link #defaults()} uses when {@code OMP_NUM_THREADS} is not set.
   * Measured on 2 cores: a second BLAS thread did not make training steps faster overall (it added
   * up to 17% to a large bare sgemm), and it competes with the compute threads.
   */
  public static final int DEFAULT_BLAS_THREADS = 1;

  public BackendOptions {
    Objects.requireNonNull(nativeBuild, "nativeBuild");
    if (ompThreads < 0) {
      throw new IllegalArgumentException("ompThreads must be >= 0, was " + ompThreads);
    }
    if (blasThreads < 0) {
      throw new IllegalArgumentException("blasThreads must be >= 0, was " + blasThreads);
    }
  }

  /**
   * The measured defaults: {@link NativeBuild#AUTO}, {@link #DEFAULT_OMP_THREADS} compute threads
   * and {@link #DEFAULT_BLAS_THREADS} BLAS threads, debug and verbose off, quiet. If the process
   * was started with {@code OMP_NUM_THREADS} set, both thread counts are left to ND4J, which
   * honours that variable: an explicit environment setting wins over our defaults.
   */
  public static BackendOptions defaults() {
    String env = System.getenv("OMP_NUM_THREADS");
    boolean envSet = env != null && !env.isBlank();
    return new BackendOptions(
        NativeBuild.AUTO,
        envSet ? ND4J_DEFAULT : DEFAULT_OMP_THREADS,
        envSet ? ND4J_DEFAULT : DEFAULT_BLAS_THREADS,
        false,
        false,
        true);
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder(defaults());
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Copy with another native build. */
  public BackendOptions withNativeBuild(NativeBuild build) {
    return toBuilder().nativeBuild(build).build();
  }

  /** Copy with other thread counts. */
  public BackendOptions withThreads(int omp, int blas) {
    return toBuilder().ompThreads(omp).blasThreads(blas).build();
  }

  /** Mutable builder for {@link BackendOptions}; not thread-safe. */
  public static final class Builder {
    private NativeBuild nativeBuild;
    private int ompThreads;
    private int blasThreads;
    private boolean debug;
    private boolean verbose;
    private boolean quiet;

    private Builder(BackendOptions from) {
      nativeBuild = from.nativeBuild;
      ompThreads = from.ompThreads;
      blasThreads = from.blasThreads;
      debug = from.debug;
      verbose = from.verbose;
      quiet = from.quiet;
    }

    public Builder nativeBuild(NativeBuild v) {
      nativeBuild = v;
      return this;
    }

    public Builder ompThreads(int v) {
      ompThreads = v;
      return this;
    }

    public Builder blasThreads(int v) {
      blasThreads = v;
      return this;
    }

    /** Sets compute and BLAS threads to the same count. */
    public Builder threads(int v) {
      ompThreads = v;
      blasThreads = v;
      return this;
    }

    public Builder debug(boolean v) {
      debug = v;
      return this;
    }

    public Builder verbose(boolean v) {
      verbose = v;
      return this;
    }

    public Builder quiet(boolean v) {
      quiet = v;
      return this;
    }

    public BackendOptions build() {
      return new BackendOptions(nativeBuild, ompThreads, blasThreads, debug, verbose, quiet);
    }
  }
}
