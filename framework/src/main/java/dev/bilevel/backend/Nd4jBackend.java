package dev.bilevel.backend;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The ND4J CPU backend, configured once per JVM by {@link #start(BackendOptions)}.
 *
 * <p>{@code start} must run before anything else touches ND4J: the native build (generic or
 * oneDNN + AVX2) is fixed the moment ND4J's native library loads. If ND4J was already loaded,
 * {@code start} does not fail; it applies what can still be applied (threads, debug flags) and
 * reports {@link BuildSelection#TOO_LATE} in {@link #info()}.
 *
 * <p>This class holds no static mutable state. The state it configures (system properties, ND4J's
 * native environment) is process-wide by nature; calling {@code start} again re-applies the
 * thread settings and returns another handle on the same backend.
 */
public final class Nd4jBackend implements Backend {

  /** The JavaCPP system property that selects the native build. */
  public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";

  /** ND4J's switch for its start-up log lines. */
  static final String LOG_INIT_PROPERTY = "org.nd4j.log.initialization";

  /** JavaCPP's key for ND4J's JNI library in {@link Loader#getLoadedLibraries()}. */
  static final String JNI_LIBRARY = "jnind4jcpu";

  private static final Pattern BINDINGS_DIR = Pattern.compile("/bindings/([^/]+)/[^/]*$");
  private static final Pattern HAVE_FEATURE = Pattern.compile("(?m)^HAVE_([A-Z0-9_]+)\\s*$");

  private final BackendOptions options;
  private final CpuFeatures cpu;
  private final String requestedBuild;
  private final BuildSelection selection;

  private Nd4jBackend(
      BackendOptions options, CpuFeatures cpu, String requestedBuild, BuildSelection selection) {
    this.options = options;
    this.cpu = cpu;
    this.requestedBuild = requestedBuild;
    this.selection = selection;
  }

  /** {@link #start(BackendOptions)} with {@link BackendOptions#defaults()}. */
  public static Nd4jBackend start() {
    return start(BackendOptions.defaults());
  }

  /**
   * Chooses and loads the native build, sets thread counts and debug flags, and returns a handle
   * that reports what is actually running.
   *
   * @throws IllegalStateException if {@link NativeBuild#ONEDNN_AVX2} is forced on a CPU known to
   *     lack AVX2 (loading it would crash the JVM with an illegal instruction)
   */
  public static Nd4jBackend start(BackendOptions options) {
    Objects.requireNonNull(options, "options");
    CpuFeatures cpu = CpuFeatures.detect();
    String platform = Loader.getPlatform();
    boolean alreadyLoaded = nativeLibraryLoaded();
    NativeBuild build = resolve(options.nativeBuild(), cpu, platform);
    String requested = build.classifier(platform);
    BuildSelection selection;

    if (alreadyLoaded) {
      selection = BuildSelection.TOO_LATE;
    } else {
      if (build == NativeBuild.ONEDNN_AVX2 && cpu.flagsKnown() && !cpu.hasAvx2()) {
        throw new IllegalStateException(
            "ONEDNN_AVX2 forced, but this CPU has no AVX2 (" + cpu.describe()
                + "); use NativeBuild.AUTO or GENERIC");
      }
      String userExtension = System.getProperty(EXTENSION_PROPERTY);
      String extension;
      if (userExtension != null) {
        selection = BuildSelection.USER_PROPERTY;
        extension = userExtension;
        requested = platform + userExtension;
      } else {
        selection = BuildSelection.APPLIED;
        extension = build.javacppExtension();
        System.setProperty(EXTENSION_PROPERTY, extension);
      }
      // JavaCPP caches its platform properties the first time any JavaCPP library loads (e.g.
      // OpenBLAS on its own); a system property set after that is ignored. Put the choice into
      // the cached properties too, so it holds either way.
      Loader.loadProperties().setProperty("platform.extension", extension);
      if (options.quiet() && System.getProperty(LOG_INIT_PROPERTY) == null) {
        System.setProperty(LOG_INIT_PROPERTY, "false");
      }
    }

    if (options.quiet()) {
      ChatterFilter.install();
    }
    // Loads the native library (if not yet loaded) and initialises the backend.
    Nd4j.getExecutioner();
    if (selection != BuildSelection.TOO_LATE && !requested.equals(loadedBuild())) {
      selection = BuildSelection.NOT_AVAILABLE;
    }

    Nd4jBackend backend = new Nd4jBackend(options, cpu, requested, selection);
    backend.applySettings();
    return backend;
  }

  /** Resolves {@link NativeBuild#AUTO} for this CPU, platform and class path. */
  static NativeBuild resolve(NativeBuild requested, CpuFeatures cpu, String platform) {
    if (requested != NativeBuild.AUTO) {
      return requested;
    }
    boolean onednnPresent = buildOnClassPath(NativeBuild.ONEDNN_AVX2, platform);
    return cpu.hasAvx2() && onednnPresent ? NativeBuild.ONEDNN_AVX2 : NativeBuild.GENERIC;
  }

  /** Whether the native library of {@code build} is on the class path (without loading it). */
  static boolean buildOnClassPath(NativeBuild build, String platform) {
    String resource =
        "org/nd4j/linalg/cpu/nativecpu/bindings/"
            + build.classifier(platform)
            + "/"
            + System.mapLibraryName(JNI_LIBRARY);
    ClassLoader loader = Nd4jBackend.class.getClassLoader();
    return loader != null && loader.getResource(resource) != null;
  }

  /** Whether ND4J's native library has been loaded in this JVM. Does not load anything. */
  public static boolean nativeLibraryLoaded() {
    return Loader.getLoadedLibraries().containsKey(JNI_LIBRARY);
  }

  /**
   * The build whose native library loaded, read from the path JavaCPP loaded it from, e.g.
   * {@code linux-x86_64-onednn-avx2}; {@code "not loaded"} before ND4J initialises.
   */
  public static String loadedBuild() {
    String path = Loader.getLoadedLibraries().get(JNI_LIBRARY);
    if (path == null) {
      return "not loaded";
    }
    Matcher m = BINDINGS_DIR.matcher(path.replace('\\', '/'));
    return m.find() ? m.group(1) : "unknown (" + path + ")";
  }

  private void applySettings() {
    Environment env = Nd4j.getEnvironment();
    NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
    int omp = options.ompThreads();
    if (omp > 0) {
      env.setMaxThreads(omp);
      env.setMaxMasterThreads(omp);
      ops.setOmpNumThreads(omp);
    }
    if (options.blasThreads() > 0) {
      Nd4j.factory().blas().setMaxThreads(options.blasThreads());
    }
    env.setDebug(options.debug());
    env.setVerbose(options.verbose());
    Nd4j.getExecutioner().enableDebugMode(options.debug());
    Nd4j.getExecutioner().enableVerboseMode(options.verbose());
  }

  /**
   * Applies other thread counts (meaning as in {@link BackendOptions}; 0 leaves a count as it is)
   * and returns a handle with the updated options. The native build cannot change any more. The
   * OpenMP count applies to the calling thread, as in {@link #start}.
   */
  public Nd4jBackend withThreads(int ompThreads, int blasThreads) {
    Nd4jBackend b =
        new Nd4jBackend(options.withThreads(ompThreads, blasThreads), cpu, requestedBuild,
            selection);
    b.applySettings();
    return b;
  }

  /**
   * Applies the OpenMP thread count to the calling thread. OpenMP keeps that setting per thread:
   * {@code start} sets it for its own thread, and other threads keep the process default
   * ({@code OMP_NUM_THREADS} or the number of cores). Call this first on any other thread that
   * runs ND4J ops (oneDNN kernels use OpenMP). No-op when the options leave threads to ND4J.
   */
  public void applyToCurrentThread() {
    if (options.ompThreads() > 0) {
      NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(options.ompThreads());
    }
  }

  /**
   * Seeds ND4J's random generator. ND4J keeps one generator per thread, so this seeds the calling
   * thread's generator.
   */
  @Override
  public void seedRandom(long seed) {
    Nd4j.getRandom().setSeed(seed);
  }

  /** What is running now, read back from ND4J, JavaCPP and OpenBLAS on each call. */
  @Override
  public BackendInfo info() {
    NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
    Environment env = Nd4j.getEnvironment();
    Blas blas = Nd4j.factory().blas();
    return new BackendInfo(
        nd4jVersion(),
        loadedBuild(),
        ops.ompGetMaxThreads(),
        blas.getMaxThreads(),
        cpu.describe(),
        Runtime.version().toString(),
        requestedBuild,
        selection,
        env.maxThreads(),
        env.maxMasterThreads(),
        String.valueOf(blas.getBlasVendor()),
        nativeFeatures(ops.buildInfo()));
  }

  /** The options this handle was started with. */
  public BackendOptions options() {
    return options;
  }

  /** The CPU as detected at start. */
  public CpuFeatures cpu() {
    return cpu;
  }

  /** ND4J's version from its Maven metadata, or {@code "unknown"}. */
  static String nd4jVersion() {
    try (InputStream in =
        Nd4j.class.getResourceAsStream("/META-INF/maven/org.nd4j/nd4j-api/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "unknown");
      }
    } catch (IOException e) {
      // fall through
    }
    String v = Nd4j.class.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }

  /** {@code HAVE_ONEDNN\nHAVE_OPENBLAS} in the native build info becomes {@code ONEDNN OPENBLAS}. */
  static String nativeFeatures(String buildInfo) {
    if (buildInfo == null) {
      return "unknown";
    }
    StringJoiner j = new StringJoiner(" ");
    Matcher m = HAVE_FEATURE.matcher(buildInfo);
    while (m.find()) {
      j.add(m.group(1));
    }
    return j.length() == 0 ? "none" : j.toString();
  }

  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "Nd4jBackend{", "}");
    for (Map.Entry<String, String> e : info().asMap().entrySet()) {
      j.add(e.getKey() + "=" + e.getValue());
    }
    return j.toString();
  }
}
