package dev.bilevel.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.util.Modules;
import dev.bilevel.backend.Backend;
import dev.bilevel.blocks.ImageLayout;
import dev.bilevel.backend.BackendInfo;
import dev.bilevel.backend.BackendOptions;
import dev.bilevel.backend.CpuFeatures;
import dev.bilevel.backend.NativeBuild;
import dev.bilevel.backend.Nd4jBackend;
import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Net;
import dev.bilevel.dsl.ProblemBuilder;
import dev.bilevel.dsl.Level;
import dev.bilevel.engine.BilevelTrainer;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Executor;
import dev.bilevel.graph.Wrt;
import dev.bilevel.engine.StepEvent;
import dev.bilevel.engine.TrainingRun;
import dev.bilevel.estimator.EstimatorRegistry;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.firstorder.FirstOrder;
import dev.bilevel.estimator.onestep.OneStep;
import dev.bilevel.estimator.onestep.OneStepConfig;
import dev.bilevel.inject.BilevelModule;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The performance harness of issue 5: one run prints, with machine, backend, threads and versions,
 *
 * <ol>
 *   <li>ms per plain training step (forward + backward + SGD update, FP32, batch 100) of the MLP
 *       784-256-256-10 and the small CNN, built with the DSL and stepped by {@link TrainingRun},
 *       next to PyTorch on one CPU thread ({@code scripts/torch_reference.py --serve}, its blocks
 *       of steps alternating with ours: {@link TorchPeer}) when torch is importable, and the
 *       achieved GFLOP/s against a measured sgemm peak;
 *   <li>for every registered estimator, one meta-iteration's time as a ratio to a plain step, on
 *       the Meta-Weight-Net problem (that MLP + a 1-100-1 weighting net) and on the CNN with the
 *       same weighting net; trajectory estimators get a window of T inner steps; next to them
 *       the same problem's plain step, EvoGrad and one-step meta-iterations in PyTorch
 *       ({@code torch_reference.py --meta});
 *   <li>a JFR profile of the benchmark thread: share of samples inside ND4J's native op calls,
 *       other native ND4J calls, and Java (SameDiff bookkeeping, our glue, the JDK);
 *   <li>peak memory (peak RSS from {@code /proc/self/status} VmHWM, which holds ND4J's native
 *       buffers, and the heap) per estimator, one child JVM per point, over a width sweep and, for
 *       estimators that work on a window of T steps (recorded, or followed online), over T;
 *   <li>the largest MLP width each estimator can meta-train under a fixed peak-RSS budget,
 *       measured: child runs beyond the sweep find a width over the budget and then halve the
 *       bracket; a linear extrapolation in the parameter count is printed beside it.
 * </ol>
 *
 * <p>Run (from the repository root):
 *
 * <pre>
 * mvn -o -q -pl framework compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx3g -cp framework/target/classes:$(cat /tmp/cp.txt) dev.bilevel.bench.PerfBench
 * </pre>
 *
 * <p>Options: {@code --quick} (few steps and points: a smoke run), {@code --threads N} (OpenMP and
 * BLAS threads; default {@link BackendOptions#defaults()}), {@code --build GENERIC|ONEDNN_AVX2|AUTO},
 * {@code --sections plain,meta,ops,profile,memory} (default all; {@code memory-t} runs only the T
 * sweeps of section 3; {@code ops} times each CNN layer alone against PyTorch), {@code --T n} (window, default 5),
 * {@code --widths 256,512,...}, {@code --Ts 5,10,20}, {@code --budget-mb M} (default 2048),
 * {@code --search-resolution N} (section 4's bracket, default 128; 0 = no search),
 * {@code --torch-script PATH}, {@code --meta-seconds S} (time cap per estimator and model,
 * default 90), {@code --estimators a,b} and {@code --models mlp,cnn} (restrict sections 1 and 2),
 * {@code --warmup-seconds S} (untimed steps before each plain and meta measurement,
 * default 8, 2 with --quick), {@code --gc-every-ms N} (memory children collect every N ms during measured cycles,
 * so that the peak approaches live data; default off).
 */
public final class PerfBench {

  static final int BATCH = 100;
  private static final String RESULT = "RESULT ";
  private static final String MEM_CHILD = "--mem-child";
  /**
   * The memory children's collector, named so that it does not depend on how the harness was
   * started: a JVM that sees one CPU (run under {@code taskset -c 0}) picks the serial collector,
   * one that sees two picks G1, and the serial one left plain training's peak RSS 90 MB higher at
   * width 256 and 270 MB higher at width 5120 (docs/performance.md, run 31). G1 is what a user's
   * multi-core JVM runs.
   */
  static final String CHILD_GC = "-XX:+UseG1GC";
  private static final String PLAIN = "plain";

  private PerfBench() {}

  /** Command-line options. */
  static final class Opts {
    boolean quick;
    int threads = -1;
    NativeBuild build = NativeBuild.AUTO;
    List<String> sections = List.of("plain", "meta", "ops", "profile", "memory");
    int window = 5;
    List<Integer> widths = List.of(256, 512, 1024, 2048);
    List<Integer> ts = List.of(5, 10, 20);
    double budgetMb = 2048;
    // Section 4 halves the bracket around the budget until it is this narrow (0: no search).
    int searchResolution = 128;
    String torchScript;
    double metaSeconds = 90;
    // Replay plans, the JIT and the native allocator take a few hundred steps to settle.
    double warmupSeconds = 8;
    int gcEveryMs;
    List<String> estimators = List.of(); // empty: every registered estimator
    List<Model> models = List.of(Model.values());

    static Opts parse(String[] args) {
      Opts o = new Opts();
      boolean widthsSet = false;
      boolean tsSet = false;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--quick" -> o.quick = true;
          case "--threads" -> o.threads = Integer.parseInt(args[++i]);
          case "--build" -> o.build = NativeBuild.valueOf(args[++i].toUpperCase(Locale.ROOT));
          case "--sections" -> o.sections = List.of(args[++i].split(","));
          case "--T" -> o.window = Integer.parseInt(args[++i]);
          case "--widths" -> {
            o.widths = ints(args[++i]);
            widthsSet = true;
          }
          case "--Ts" -> {
            o.ts = ints(args[++i]);
            tsSet = true;
          }
          case "--budget-mb" -> o.budgetMb = Double.parseDouble(args[++i]);
          case "--search-resolution" -> o.searchResolution = Integer.parseInt(args[++i]);
          case "--torch-script" -> o.torchScript = args[++i];
          case "--meta-seconds" -> o.metaSeconds = Double.parseDouble(args[++i]);
          case "--warmup-seconds" -> o.warmupSeconds = Double.parseDouble(args[++i]);
          case "--gc-every-ms" -> o.gcEveryMs = Integer.parseInt(args[++i]);
          case "--estimators" -> o.estimators = List.of(args[++i].split(","));
          case "--models" -> o.models = Arrays.stream(args[++i].split(","))
              .map(x -> Model.valueOf(x.toUpperCase(Locale.ROOT))).toList();
          default -> throw new IllegalArgumentException("unknown argument " + args[i]);
        }
      }
      if (o.quick) {
        if (!widthsSet) {
          o.widths = List.of(128, 256);
        }
        if (!tsSet) {
          o.ts = List.of(5, 10);
        }
        o.metaSeconds = Math.min(o.metaSeconds, 20);
        o.warmupSeconds = Math.min(o.warmupSeconds, 2);
      }
      return o;
    }

    BackendOptions backendOptions() {
      BackendOptions b = BackendOptions.defaults().withNativeBuild(build);
      return threads >= 0 ? b.withThreads(threads, threads) : b;
    }

    List<String> childArgs() {
      List<String> a = new ArrayList<>();
      if (threads >= 0) {
        a.add("--threads");
        a.add(Integer.toString(threads));
      }
      a.add("--build");
      a.add(build.name());
      if (gcEveryMs > 0) {
        a.add("--gc-every-ms");
        a.add(Integer.toString(gcEveryMs));
      }
      return a;
    }

    private static List<Integer> ints(String s) {
      List<Integer> r = new ArrayList<>();
      for (String p : s.split(",")) {
        r.add(Integer.parseInt(p.trim()));
      }
      return r;
    }
  }

  public static void main(String[] args) throws Exception {
    int child = Arrays.asList(args).indexOf(MEM_CHILD);
    if (child >= 0) {
      List<String> rest = new ArrayList<>(Arrays.asList(args));
      List<String> spec = new ArrayList<>(rest.subList(child + 1, child + 5));
      rest.subList(child, child + 5).clear();
      memChild(Opts.parse(rest.toArray(String[]::new)), spec);
      return;
    }
    driver(Opts.parse(args));
  }

  // ------------------------------------------------------------------------------ problems

  /** The two benchmark classifiers. */
  enum Model {
    MLP,
    CNN;

    long[] inputShape() {
      return inputShape(ImageLayout.NHWC);
    }

    long[] inputShape(ImageLayout layout) {
      return this == MLP ? new long[] {-1, 784}
          : layout == ImageLayout.NHWC ? new long[] {-1, 28, 28, 1} : new long[] {-1, 1, 28, 28};
    }

    /** The CNN runs channels-last: 14% faster than NCHW here (section 1b prints both). */
    Consumer<Net> net(long width) {
      return net(width, ImageLayout.NHWC);
    }

    Consumer<Net> net(long width, ImageLayout layout) {
      return this == MLP
          ? n -> n.dense(784, width).relu().dense(width, width).relu().dense(width, 10)
          : n -> n.layout(layout).conv2d(1, 32, 3).relu().maxPool(2).conv2d(32, 64, 3).relu()
              .maxPool(2).flatten().dense(3136, 10);
    }

    /**
     * FLOPs of one training step: 3 x the forward multiply-adds of the matmuls and convolutions
     * (x2 for multiply and add), the usual convention; element-wise ops are not counted.
     */
    double trainFlops(long width) {
      double fwd;
      if (this == MLP) {
        fwd = 2.0 * BATCH * (784.0 * width + (double) width * width + 10.0 * width);
      } else {
        fwd = 2.0 * BATCH * (28 * 28 * 32 * 9.0 + 14 * 14 * 64 * 9.0 * 32 + 3136 * 10.0);
      }
      return 3 * fwd;
    }

    String label(long width) {
      return this == MLP ? "MLP 784-" + width + "-" + width + "-10"
          : "CNN c32-c64-fc10";
    }
  }

  /** The plain problem: λ is a dummy scalar that only the (never evaluated) outer objective sees. */
  static BilevelProblem plainProblem(Model m, long width) {
    return plainProblem(m, width, ImageLayout.NHWC);
  }

  static BilevelProblem plainProblem(Model m, long width, ImageLayout layout) {
    return Bilevel.problem("plain-" + m.name().toLowerCase(Locale.ROOT))
        .input("x", m.inputShape(layout)).input("y", -1, 10)
        .inner("classifier", m.net(width, layout))
        .metaParams("unused", p -> p.param("lambda", Init.zeros(), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("classifier").apply(f.input("x")),
            f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("classifier").apply(f.input("x")),
            f.input("y")).add(f.meta("unused").params().get(0).sum().mul(0.0)))
        .innerOptimizer(Sgd.of(0.05))
        .outerOptimizer(Adam.of(1e-3))
        .metaUpdateEvery(1_000_000_000)
        .baseFirst()
        .build();
  }

  /**
   * Meta-Weight-Net: the classifier's per-sample losses weighted by a 1-100-1 net of the (stopped)
   * losses; the outer objective is the plain mean cross-entropy on a meta batch.
   */
  static BilevelProblem mwnProblem(Model m, long width, int metaEvery) {
    ProblemBuilder b = Bilevel.problem("mwn-" + m.name().toLowerCase(Locale.ROOT))
        .input("x", m.inputShape()).input("y", -1, 10)
        .inner("classifier", m.net(width))
        .meta("vnet", n -> n.dense(1, 100).relu().dense(100, 1).sigmoid())
        .innerObjective(f -> {
          var losses = f.perSampleCrossEntropy(f.inner("classifier").apply(f.input("x")),
              f.input("y"));
          var w = f.meta("vnet").apply(f.stopGradient(losses).reshape(-1, 1));
          return f.weightedMean(losses, w);
        })
        .outerObjective(f -> f.meanCrossEntropy(f.inner("classifier").apply(f.input("x")),
            f.input("y")))
        .innerOptimizer(Sgd.of(0.05))
        .outerOptimizer(Adam.of(1e-3))
        .metaUpdateEvery(metaEvery)
        .metaFirst();
    return b.build();
  }

  /**
   * A one-dimensional λ: a learned L2 coefficient on the classifier, L_in = CE + λ‖θ‖²; the outer
   * objective is the plain mean CE. For the estimators that refuse MWN's 301-dimensional λ
   * (forward, finite-difference), so that their cost and memory are measured too.
   */
  static BilevelProblem weightDecayProblem(Model m, long width, int metaEvery) {
    return Bilevel.problem("wd-" + m.name().toLowerCase(Locale.ROOT))
        .input("x", m.inputShape()).input("y", -1, 10)
        .inner("classifier", m.net(width))
        .metaParams("wd", p -> p.param("lambda", Init.constant(1e-4), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("classifier").apply(f.input("x")),
            f.input("y")).add(f.squaredNorm(f.inner("classifier"))
                .mul(f.meta("wd").params().get(0).sum())))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("classifier").apply(f.input("x")),
            f.input("y")))
        .innerOptimizer(Sgd.of(0.05))
        .outerOptimizer(Adam.of(1e-3))
        .metaUpdateEvery(metaEvery)
        .metaFirst()
        .build();
  }

  /** Which bilevel problem a measurement uses. */
  enum Kind {
    PLAIN,
    MWN,
    WD;

    BilevelProblem problem(Model m, long width, int metaEvery) {
      return switch (this) {
        case PLAIN -> plainProblem(m, width);
        case MWN -> mwnProblem(m, width, metaEvery);
        case WD -> weightDecayProblem(m, width, metaEvery);
      };
    }
  }

  /** Rotating random batches (uniform inputs, random one-hot labels), fixed seeds. */
  static final class Data {
    private final List<Batch> batches = new ArrayList<>();
    private int next;

    Data(Model m, int count, long seed) {
      Random rnd = new Random(seed);
      long[] shape = m.inputShape().clone();
      shape[0] = BATCH;
      for (int i = 0; i < count; i++) {
        Nd4j.getRandom().setSeed(seed + i);
        INDArray x = Nd4j.rand(DataType.FLOAT, shape);
        INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, 10);
        for (int r = 0; r < BATCH; r++) {
          y.putScalar(r, rnd.nextInt(10), 1.0);
        }
        Map<String, INDArray> v = new HashMap<>();
        v.put("x", x);
        v.put("y", y);
        batches.add(new Batch(v, seed * 31 + i));
      }
    }

    Batch next() {
      Batch b = batches.get(next);
      next = (next + 1) % batches.size();
      return b;
    }
  }

  /** The injector's trainer and registry, on the backend this process started. */
  record Framework(BilevelTrainer trainer, EstimatorRegistry registry) {
    static Framework create(Backend backend) {
      Injector inj = Guice.createInjector(Modules.override(new BilevelModule())
          .with(b -> b.bind(Backend.class).toInstance(backend)));
      return new Framework(inj.getInstance(BilevelTrainer.class),
          inj.getInstance(EstimatorRegistry.class));
    }
  }

  // -------------------------------------------------------------------------------- driver

  private static void driver(Opts o) throws Exception {
    Instant started = Instant.now();
    Nd4jBackend backend = Nd4jBackend.start(o.backendOptions());
    BackendInfo info = backend.info();
    Framework fw = Framework.create(backend);

    System.out.println("PerfBench (issue 5)" + (o.quick ? " --quick" : "") + ", started "
        + started);
    System.out.println("  machine  " + CpuFeatures.detect().describe() + "; "
        + Runtime.getRuntime().availableProcessors() + " cores seen by the JVM; "
        + String.format(Locale.ROOT, "%.1f", totalMemMb() / 1024) + " GiB RAM");
    System.out.println("  java     " + Runtime.version() + ", max heap "
        + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB; git " + gitHead());
    Map<String, String> im = info.asMap();
    System.out.println("  backend  nd4j " + info.nd4jVersion() + ", loaded " + info.nativeBuild()
        + " (requested " + info.requestedBuild() + ", " + info.buildSelection() + "), native "
        + info.nativeFeatures() + ", BLAS " + info.blasVendor());
    System.out.println("  threads  omp " + info.ompThreads() + ", libnd4j pool "
        + info.poolThreads() + ", master " + info.masterThreads() + ", BLAS " + info.blasThreads()
        + "; options " + o.backendOptions() + "; env OMP_NUM_THREADS="
        + System.getenv("OMP_NUM_THREADS"));
    System.out.println("  estimators registered: " + fw.registry().names());
    if (im.isEmpty()) {
      System.out.println("  (no backend info)");
    }

    Map<Model, Double> plainMs = new LinkedHashMap<>();
    if (o.sections.contains("plain") || o.sections.contains("meta")) {
      plainMs = sectionPlain(o, fw, info);
    }
    if (o.sections.contains("plain")) {
      sectionExecutors(o, backend);
    }
    if (o.sections.contains("meta")) {
      sectionMeta(o, fw, backend, plainMs);
    }
    if (o.sections.contains("ops")) {
      sectionOps(o);
    }
    if (o.sections.contains("profile")) {
      sectionProfile(o, fw);
    }
    if (o.sections.contains("memory") || o.sections.contains("memory-t")) {
      sectionMemory(o, fw);
    }
    System.out.printf(Locale.ROOT, "%nPerfBench done in %.0f s%n",
        Duration.between(started, Instant.now()).toMillis() / 1e3);
  }

  /** CPU time other processes took while a section ran, as a share of all cores. */
  static final class Load {
    private final long[] cpu0 = BackendBench.cpuJiffies();
    private final long own0 = processCpuNanos();
    private final long t0 = System.nanoTime();

    String describe() {
      long[] cpu1 = BackendBench.cpuJiffies();
      double wallMs = (System.nanoTime() - t0) / 1e6;
      double busyMs = (cpu1[0] - cpu0[0]) * 10.0;
      double ownMs = (processCpuNanos() - own0) / 1e6;
      double foreign = cpu0[1] == 0 ? Double.NaN
          : Math.max(0, busyMs - ownMs) / (wallMs * Runtime.getRuntime().availableProcessors());
      return String.format(Locale.ROOT,
          "section took %.0f s; other processes used %.0f%% of the cores meanwhile", wallMs / 1e3,
          100 * foreign);
    }
  }

  // ------------------------------------------------------------------------ 1. plain steps

  private static Map<Model, Double> sectionPlain(Opts o, Framework fw, BackendInfo info) {
    System.out.println();
    System.out.println("== 1. Plain training step (forward + backward + SGD update, FP32, batch "
        + BATCH + "), DSL problem stepped by TrainingRun ==");
    Load load = new Load();
    Map<Model, Double> ms = new LinkedHashMap<>();
    Map<Model, Double> innerMs = new LinkedHashMap<>();
    Map<Model, String> trend = new LinkedHashMap<>();
    // PyTorch's blocks alternate with ours: per model, the median step of each side over all its
    // blocks, and the median over blocks of (our block's median / PyTorch's block's median).
    Map<String, List<Double>> torchTimes = new LinkedHashMap<>();
    Map<String, List<Double>> blockRatios = new LinkedHashMap<>();
    TorchPeer torch = TorchPeer.start(
        o.torchScript != null ? Path.of(o.torchScript) : TorchPeer.findScript(), o.quick);
    for (Model m : o.models) {
      BilevelProblem p = plainProblem(m, 256);
      TrainingRun run = fw.trainer().start(p, 42, fw.registry().get(FirstOrder.NAME));
      Data d = new Data(m, 8, 1);
      int warm = m == Model.MLP ? (o.quick ? 5 : 30) : (o.quick ? 2 : 5);
      int blocks = o.quick ? 2 : 5;
      int block = m == Model.MLP ? (o.quick ? 5 : 20) : (o.quick ? 2 : 5);
      List<String> peers = m == Model.MLP ? List.of("mlp") : List.of("cnn", "cnn_cl");
      List<Double> wall = new ArrayList<>();
      List<Double> inner = new ArrayList<>();
      warmUp(o, () -> run.step(d.next(), () -> null));
      double first = Double.NaN;
      double last = Double.NaN;
      for (int i = 0; i < warm; i++) {
        double loss = plainStep(run, d).innerLoss();
        first = i == 0 ? loss : first;
      }
      for (int b = 0; b < blocks; b++) {
        double[] ours = new double[block];
        for (int i = 0; i < block; i++) {
          long t0 = System.nanoTime();
          StepEvent ev = plainStep(run, d);
          ours[i] = (System.nanoTime() - t0) / 1e6;
          wall.add(ours[i]);
          inner.add(ev.innerNanos() / 1e6);
          last = ev.innerLoss();
        }
        for (String peer : peers) {
          if (torch == null) {
            break;
          }
          try {
            double[] theirs = torch.run(peer, block);
            for (double t : theirs) {
              torchTimes.computeIfAbsent(peer, k -> new ArrayList<>()).add(t);
            }
            blockRatios.computeIfAbsent(peer, k -> new ArrayList<>())
                .add(median(ours) / median(theirs));
          } catch (IOException e) {
            System.out.println("torch column: n/a (" + e.getMessage() + ")");
            torch.close();
            torch = null;
            torchTimes.clear();
            blockRatios.clear();
          }
        }
      }
      ms.put(m, median(wall));
      innerMs.put(m, median(inner));
      trend.put(m, String.format(Locale.ROOT, "%.3f->%.3f", first, last));
    }
    JsonNode torchInfo = torch == null ? null : torch.info();
    if (torch != null) {
      torch.close();
    }

    // sgemm peak, as in BackendBench: 1024^3 FP32 BLAS gemm, at the run's BLAS threads and at
    // every core.
    // What the options asked for (OpenBLAS may report fewer threads than it was given).
    int runBlas = o.threads > 0 ? o.threads : Nd4j.factory().blas().getMaxThreads();
    double gemmRun = sgemmGflops(o.quick);
    int cores = Runtime.getRuntime().availableProcessors();
    double gemmAll = gemmRun;
    if (cores != runBlas) {
      Nd4j.factory().blas().setMaxThreads(cores);
      gemmAll = sgemmGflops(o.quick);
      Nd4j.factory().blas().setMaxThreads(runBlas);
    }
    double gemmOne = gemmRun;
    if (runBlas != 1) {
      Nd4j.factory().blas().setMaxThreads(1);
      gemmOne = sgemmGflops(o.quick);
      Nd4j.factory().blas().setMaxThreads(runBlas);
    }
    double peakRun = runBlas == 1 ? gemmOne : runBlas == cores ? gemmAll : gemmRun;

    Map<String, String> raw = rawSameDiff(o, info);
    System.out.printf(Locale.ROOT, "sgemm 1024^3 (OpenBLAS gemm): %.1f GFLOP/s on 1 thread,"
        + " %.1f GFLOP/s on %d threads (this run's BLAS threads: %d -> peak used below %.1f)%n",
        gemmOne, gemmAll, cores, runBlas, peakRun);
    System.out.printf(Locale.ROOT, "%-20s %9s %9s %9s %8s %12s %8s %9s %7s %s%n", "model",
        "ms/step", "inner ms", "raw SD ms", "ours/raw", "torch 1t ms", "ours/pt", "GFLOP/s",
        "% peak", "loss first->last");
    for (Model m : o.models) {
      double t = ms.get(m);
      String rawKey = m == Model.MLP ? "mlp32.ms" : "cnn32.ms";
      String rawMs = raw.containsKey(rawKey)
          ? fmt2(Double.parseDouble(raw.get(rawKey))) : "n/a";
      String ourRaw = raw.containsKey(rawKey)
          ? fmt2(t / Double.parseDouble(raw.get(rawKey))) + "x" : "n/a";
      double gf = m.trainFlops(256) / (t * 1e6);
      String pt = "n/a";
      String ratio = "n/a";
      String peer = m == Model.MLP ? "mlp" : "cnn";
      if (torchTimes.containsKey(peer)) {
        pt = String.format(Locale.ROOT, "%.2f", median(torchTimes.get(peer)));
        ratio = String.format(Locale.ROOT, "%.2fx", median(blockRatios.get(peer)));
      }
      System.out.printf(Locale.ROOT, "%-20s %9.2f %9.2f %9s %8s %12s %8s %9.1f %6.0f%% %s%n",
          m.label(256), t, innerMs.get(m), rawMs, ourRaw, pt, ratio, gf, 100 * gf / peakRun,
          trend.get(m));
    }
    if (!raw.isEmpty()) {
      System.out.println("raw SD = the same models written directly in SameDiff"
          + " (BackendBench's workload, served by a BackendBench child JVM on the same build and"
          + " threads): SameDiff calculateGradients + in-place SGD, no DSL, no flat θ; its sgemm "
          + raw.get("gemm.gflops") + " GFLOP/s");
    }
    if (torchTimes.containsKey("cnn_cl")) {
      System.out.printf(Locale.ROOT, "CNN against PyTorch channels-last (its faster layout here):"
          + " torch %.2f ms, ours/pt %.2fx (ours runs NHWC; the ours/pt column above is against"
          + " PyTorch's default NCHW)%n", median(torchTimes.get("cnn_cl")),
          median(blockRatios.get("cnn_cl")));
    }
    if (torchInfo != null) {
      System.out.println("torch: " + torchInfo);
      StringBuilder sb = new StringBuilder("ours/pt block by block (our block's median step /"
          + " PyTorch's block's, blocks alternating):");
      blockRatios.forEach((peer, r) -> {
        sb.append(' ').append(peer).append(' ');
        sb.append(String.join(" ", r.stream().map(x -> fmt2(x)).toList())).append(';');
      });
      System.out.println(sb);
    }
    System.out.println("ms/step = wall time of TrainingRun.step (median over its blocks); torch 1t"
        + " ms = PyTorch's step (median over its blocks, taken between ours); ours/pt = median"
        + " over blocks of the two blocks' median ratio; inner ms = its"
        + " innerNanos (evaluate + optimizer step); GFLOP/s counts 3 x forward matmul/conv FLOPs"
        + " (MLP " + fmt1(Model.MLP.trainFlops(256) / 1e6) + " MFLOP, CNN "
        + fmt1(Model.CNN.trainFlops(256) / 1e6) + " MFLOP per step)");
    System.out.println(load.describe());
    return ms;
  }

  private static StepEvent plainStep(TrainingRun run, Data d) {
    return run.step(d.next(), () -> {
      throw new IllegalStateException("plain problem ran a meta-update");
    });
  }

  /**
   * Before and after the two changes that made plain steps fast: one evaluation of the loss and
   * ∇θ (no optimizer) on SameDiff's own executor against the replay plans, and the MLP with
   * SameDiff's relu op (backward: thresholdedrelu_bp) against the DSL's relu block.
   */
  private static void sectionExecutors(Opts o, Backend backend) {
    System.out.println();
    System.out.println("== 1b. Where the plain step's time went: one evaluation of loss + ∇θ (median ms),"
        + " same graphs ==");
    Load load = new Load();
    System.out.printf(Locale.ROOT, "%-34s %12s %12s %9s%n", "model", "SameDiff exec", "replay", "speed-up");
    for (Model m : Model.values()) {
      BilevelProblem p = plainProblem(m, 256);
      double sd = timeEvaluation(o, CompiledProblem.compile(p, backend, Executor.SAMEDIFF), m);
      double rp = timeEvaluation(o, CompiledProblem.compile(p, backend, Executor.REPLAY), m);
      System.out.printf(Locale.ROOT, "%-34s %12.2f %12.2f %8.2fx%n", m.label(256), sd, rp, sd / rp);
    }
    double raw = timeEvaluation(o, CompiledProblem.compile(sameDiffReluMlp(), backend,
        Executor.REPLAY), Model.MLP);
    double dsl = timeEvaluation(o, CompiledProblem.compile(plainProblem(Model.MLP, 256), backend,
        Executor.REPLAY), Model.MLP);
    System.out.printf(Locale.ROOT, "%-34s %12.2f %12.2f %8.2fx%n",
        "MLP: SameDiff relu vs DSL relu", raw, dsl, raw / dsl);
    if (o.models.contains(Model.CNN)) {
      // Interleaved, so that a change in load hits both layouts alike.
      CompiledProblem nchw = CompiledProblem.compile(plainProblem(Model.CNN, 256,
          ImageLayout.NCHW), backend, Executor.REPLAY);
      CompiledProblem nhwc = CompiledProblem.compile(plainProblem(Model.CNN, 256), backend,
          Executor.REPLAY);
      double[] both = timeEvaluations(o, Model.CNN, nchw, nhwc);
      System.out.printf(Locale.ROOT, "%-34s %12.2f %12.2f %8.2fx%n",
          "CNN: NCHW vs NHWC (both replay)", both[0], both[1], both[0] / both[1]);
    }
    System.out.println("SameDiff exec = CompiledProblem with Executor.SAMEDIFF (SameDiff's"
        + " calculateGradientsAndOutputs); replay = the default plans. Last row, both on replay:"
        + " sd.nn().relu, whose backward is thresholdedrelu_bp, against the relu block,"
        + " x*stop_gradient(step(x)). CNN row: the same CNN with NCHW images against"
        + " channels-last (NHWC, the layout sections 1 and 2 use), interleaved.");
    System.out.println(load.describe());
  }

  /** Median ms of one loss + ∇θ evaluation for each problem, measured alternately. */
  private static double[] timeEvaluations(Opts o, Model m, CompiledProblem... cs) {
    Data d = new Data(m, 8, 1);
    Runnable[] evals = new Runnable[cs.length];
    for (int k = 0; k < cs.length; k++) {
      CompiledProblem c = cs[k];
      INDArray theta = c.initialTheta(42);
      INDArray lambda = c.initialLambda(42);
      INDArray g = c.thetaLayout().zeros();
      evals[k] = () -> {
        Batch b = d.next();
        // One-channel images: NCHW and NHWC hold the same numbers in the same order.
        Batch fit = new Batch(Map.of("x", b.get("x").reshape(concreteShape(c)), "y", b.get("y")),
            b.noiseSeed());
        c.evaluateInto(Level.INNER, theta, lambda, fit, Wrt.THETA, g);
      };
    }
    warmUp(o, () -> {
      for (Runnable r : evals) {
        r.run();
      }
    });
    return interleavedMedians(m == Model.MLP ? (o.quick ? 20 : 100) : (o.quick ? 3 : 15), evals);
  }

  private static long[] concreteShape(CompiledProblem c) {
    long[] s = c.problem().inputs().stream().filter(i -> i.name().equals("x")).findFirst()
        .orElseThrow().shape().clone();
    s[0] = BATCH;
    return s;
  }

  private static double timeEvaluation(Opts o, CompiledProblem c, Model m) {
    Data d = new Data(m, 8, 1);
    INDArray theta = c.initialTheta(42);
    INDArray lambda = c.initialLambda(42);
    Runnable eval = () -> c.evaluate(Level.INNER, theta, lambda, d.next(), Wrt.THETA);
    warmUp(o, eval);
    int n = m == Model.MLP ? (o.quick ? 20 : 100) : (o.quick ? 3 : 15);
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      eval.run();
      t[i] = (System.nanoTime() - t0) / 1e6;
    }
    return median(t);
  }

  /** The plain MLP with each layer its own group and SameDiff's relu between them. */
  private static BilevelProblem sameDiffReluMlp() {
    return Bilevel.problem("plain-mlp-sd-relu")
        .input("x", Model.MLP.inputShape()).input("y", -1, 10)
        .inner("l1", n -> n.dense(784, 256))
        .inner("l2", n -> n.dense(256, 256))
        .inner("l3", n -> n.dense(256, 10))
        .metaParams("unused", p -> p.param("lambda", Init.zeros(), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("l3").apply(f.sd().nn().relu(
            f.inner("l2").apply(f.sd().nn().relu(f.inner("l1").apply(f.input("x")), 0.0)), 0.0)),
            f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("l3").apply(f.inner("l2").apply(
            f.inner("l1").apply(f.input("x")))), f.input("y"))
            .add(f.meta("unused").params().get(0).sum().mul(0.0)))
        .innerOptimizer(Sgd.of(0.05))
        .outerOptimizer(Adam.of(1e-3))
        .metaUpdateEvery(1_000_000_000)
        .baseFirst()
        .build();
  }

  /**
   * The same two models written directly in SameDiff: BackendBench's workload, served by a
   * BackendBench child JVM ({@code --serve BUILD}, driven over stdin with {@code RUN <workload>
   * <omp> <blas>} and {@code QUIT}) on this run's native build and thread counts. Returns
   * {@code mlp32.ms}, {@code cnn32.ms} (medians) and {@code gemm.gflops}; empty, with a printed
   * reason, when the child fails.
   */
  private static Map<String, String> rawSameDiff(Opts o, BackendInfo info) {
    Map<String, String> res = new HashMap<>();
    NativeBuild build = info.nativeBuild().endsWith("-onednn-avx2") ? NativeBuild.ONEDNN_AVX2
        : NativeBuild.GENERIC;
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx3g", "-cp", BackendBench.childClassPath(), BackendBench.class.getName(), "--serve",
        build.name());
    Process p = null;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      java.io.BufferedReader in = new java.io.BufferedReader(
          new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      java.io.PrintWriter out = new java.io.PrintWriter(
          new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8), true);
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("READY")) {
        // start-up chatter
      }
      if (line == null) {
        throw new IOException("BackendBench --serve ended before READY");
      }
      String threads = info.ompThreads() + " " + info.blasThreads();
      int bursts = o.quick ? 2 : 10;
      String[][] work = {{"MLP32", "mlp32.ms"}, {"CNN32", "cnn32.ms"}, {"GEMM", "gemm.ms"}};
      for (String[] w : work) {
        List<Double> times = new ArrayList<>();
        for (int b = 0; b < (w[0].equals("GEMM") ? 2 : bursts); b++) {
          out.println("RUN " + w[0] + " " + threads);
          while ((line = in.readLine()) != null && !line.startsWith("TIMES")) {
            // skip
          }
          if (line == null) {
            throw new IOException("BackendBench --serve ended during " + w[0]);
          }
          String[] f = line.trim().split(" ");
          for (String t : f[f.length - 1].split(",")) {
            times.add(Double.parseDouble(t));
          }
        }
        res.put(w[1], Double.toString(median(times)));
      }
      out.println("QUIT");
      double gemmMs = Double.parseDouble(res.remove("gemm.ms"));
      res.put("gemm.gflops", fmt1(2.0 * 1024 * 1024 * 1024 / (gemmMs * 1e6)));
      p.waitFor(60, TimeUnit.SECONDS);
      return res;
    } catch (IOException | RuntimeException e) {
      System.out.println("raw SameDiff column: n/a (" + e + ")");
      return new HashMap<>();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new HashMap<>();
    } finally {
      if (p != null && p.isAlive()) {
        p.destroy();
      }
    }
  }

  private static double sgemmGflops(boolean quick) {
    int n = 1024;
    INDArray x = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray y = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray c = Nd4j.create(DataType.FLOAT, n, n);
    int warm = quick ? 2 : 5;
    int reps = quick ? 5 : 20;
    double[] t = new double[reps];
    for (int i = 0; i < warm + reps; i++) {
      long t0 = System.nanoTime();
      Nd4j.getBlasWrapper().level3().gemm(x, y, c, false, false, 1.0, 0.0);
      if (i >= warm) {
        t[i - warm] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return 2.0 * n * n * n / (median(t) * 1e6);
  }

  // ------------------------------------------------------------------- 2. meta-iterations

  /**
   * Timing of one estimator on one problem. plainMs: the plain step measured in blocks alternating
   * with this estimator's steps; ratio: the median over blocks of (median meta-iteration after a
   * plain block / median plain step of that block), so that the machine's drift between blocks
   * does not enter it.
   */
  record MetaTiming(String estimator, int window, double metaMs, double innerMs, int metas,
      double plainMs, double ratio, String refused) {}

  private static void sectionMeta(Opts o, Framework fw, Backend backend,
      Map<Model, Double> plainMs) {
    System.out.println();
    System.out.println("== 2. One meta-iteration per estimator, as a ratio to a plain step ==");
    System.out.println("Meta-Weight-Net problem: classifier + weighting net 1-100-1 (sigmoid),"
        + " weighted mean CE inside, mean CE outside; online estimators meta-update every step,"
        + " estimators that keep a window every T=" + o.window + " steps (cost per meta-iteration,"
        + " i.e. per window). Median over measured meta-iterations after "
        + (o.quick ? 1 : 2) + " warm-up ones; at most " + fmt0(o.metaSeconds) + " s each.");
    Load load = new Load();
    JsonNode torchMeta = torchMode(o, "--meta");
    for (Model m : o.models) {
      double plain = plainMs.get(m);
      System.out.println();
      System.out.printf(Locale.ROOT, "%s, plain step %.2f ms in section 1; the ratios below use"
          + " the plain step measured in blocks alternating with each estimator's (last column)%n",
          m.label(256), plain);
      System.out.printf(Locale.ROOT, "%-20s %6s %6s %12s %10s %10s %12s %10s%n", "estimator", "T",
          "n", "meta ms", "meta/plain", "inner ms", "(in+meta/T)", "plain ms");
      List<String> refused = new ArrayList<>();
      for (String name : fw.registry().names()) {
        if (!o.estimators.isEmpty() && !o.estimators.contains(name)) {
          continue;
        }
        MetaTiming t = timeMeta(o, fw, m, name, Kind.MWN);
        printMeta(t, name, plain);
        if (t.refused() != null && !t.refused().startsWith(TIMED_OUT)) {
          refused.add(name);
        }
        if (name.equals(OneStep.NAME)) { // its cheaper configuration, one ∇λ evaluation fewer
          printMeta(timeMeta(o, fw, m, ONE_STEP_FORWARD, new OneStep(OneStepConfig.defaults()
              .mixedProduct(OneStepConfig.MixedProduct.FORWARD)), Kind.MWN), ONE_STEP_FORWARD, plain);
        }
      }
      if (!refused.isEmpty()) {
        System.out.println("  refused above, on the weight-decay problem instead (λ = one L2"
            + " coefficient, L_in = CE + λ‖θ‖²):");
        for (String name : refused) {
          printMeta(timeMeta(o, fw, m, name, Kind.WD), name + " (wd)", plain);
        }
      }
      printFloor(o, fw, backend, m);
      printTorchMeta(torchMeta, m);
    }
    System.out.println("meta/plain = meta-iteration (estimator + outer Adam step) / plain step,"
        + " plain steps taken in blocks (20 MLP, 3 CNN) alternating with blocks of the"
        + " estimator's steps, at least three blocks; the ratio is the median over blocks of"
        + " (median meta-iteration after a plain block / median plain step of that block);"
        + " meta ms and plain ms are medians over all blocks;"
        + " inner ms = the MWN inner update (weighting net included); (in+meta/T) = amortised"
        + " cost of a training step with meta-learning, as a multiple of a plain step");
    // An online estimator's work on the window happens in the inner steps, so its meta/plain
    // column alone would understate it.
    List<String> online = fw.registry().names().stream()
        .filter(n -> fw.registry().get(n).newAccumulator() != null).toList();
    if (!online.isEmpty()) {
      System.out.println("followed online, their window's work inside the inner steps (compare"
          + " (in+meta/T), not meta/plain): " + online);
    }
    System.out.println(load.describe());
  }

  /**
   * The evaluations EvoGrad and one-step cannot avoid, timed alone on the same MWN graphs: what a
   * meta-iteration would cost with no vector work and no overhead at all.
   */
  private static void printFloor(Opts o, Framework fw, Backend backend, Model m) {
    CompiledProblem c = CompiledProblem.compile(mwnProblem(m, 256, 1), backend);
    Data in = new Data(m, 8, 11);
    Data out = new Data(m, 4, 97);
    INDArray theta = c.initialTheta(42);
    INDArray lambda = c.initialLambda(42);
    INDArray g = c.thetaLayout().zeros();
    Runnable inTheta = () -> c.evaluateInto(Level.INNER, theta, lambda, in.next(), Wrt.THETA, g);
    Runnable inLambda = () -> c.evaluate(Level.INNER, theta, lambda, in.next(), Wrt.LAMBDA);
    Runnable inBoth = () -> c.evaluateInto(Level.INNER, theta, lambda, in.next(), Wrt.BOTH, g);
    Runnable outTheta = () -> c.evaluateInto(Level.OUTER, theta, lambda, out.next(), Wrt.THETA, g);
    TrainingRun plainRun = fw.trainer().start(plainProblem(m, 256), 42,
        fw.registry().get(FirstOrder.NAME));
    Data plainData = new Data(m, 8, 1);
    Runnable plainStep = () -> plainRun.step(plainData.next(), () -> null);
    warmUp(o, () -> {
      plainStep.run();
      inTheta.run();
      inLambda.run();
      outTheta.run();
      inBoth.run();
    });
    int n = m == Model.MLP ? (o.quick ? 20 : 100) : (o.quick ? 3 : 10);
    double[] t = interleavedMedians(n, inTheta, inLambda, outTheta, plainStep, inBoth);
    double a = t[0];
    double b = t[1];
    double z = t[2];
    double plain = t[3];
    double ab = t[4];
    System.out.printf(Locale.ROOT, "evaluations alone, alternating with a plain step (median ms):"
        + " plain step %.2f, inner ∇θ %.2f, inner ∇λ %.2f, outer ∇θ %.2f, inner ∇θ and ∇λ together %.2f."
        + " Floor with no vector work or overhead: evograd K=2 = 2·∇λ + outer"
        + " = %.2f ms (%.2fx plain); one-step = inner ∇θ + outer + 2·∇λ = %.2f ms (%.2fx plain);"
        + " %s = inner ∇θ and ∇λ + outer + ∇λ = %.2f ms (%.2fx plain)%n",
        plain, a, b, z, ab, 2 * b + z, (2 * b + z) / plain, a + z + 2 * b, (a + z + 2 * b) / plain,
        ONE_STEP_FORWARD, ab + z + b, (ab + z + b) / plain);
  }

  /**
   * The same problem in PyTorch (scripts/torch_reference.py --meta), written as its users and the
   * EvoGrad reference write it: what the ratios above cost a PyTorch user.
   */
  private static void printTorchMeta(JsonNode t, Model m) {
    JsonNode r = t == null ? null : t.get(m.name().toLowerCase(Locale.ROOT));
    if (r == null) {
      System.out.println("PyTorch peer: n/a (torch or scripts/torch_reference.py unavailable)");
      return;
    }
    System.out.printf(Locale.ROOT, "PyTorch %s, 1 thread, same problem: plain step %.2f ms;"
        + " EvoGrad K=2 (perturbed copies through functional_call, as the EvoGrad reference)"
        + " %.2f ms = %.2fx; one-step (virtual step kept in the autograd graph, second order)"
        + " %.2f ms = %.2fx%n", t.path("torch").asText("?"), r.path("plain_ms").asDouble(),
        r.path("evograd_ms").asDouble(), r.path("evograd_ratio").asDouble(),
        r.path("one_step_ms").asDouble(), r.path("one_step_ratio").asDouble());
  }

  private static final String TIMED_OUT = "timed out";
  /** One-step with OneStepConfig.MixedProduct.FORWARD, measured next to the registered one-step. */
  private static final String ONE_STEP_FORWARD = "one-step fwd-diff";

  private static void printMeta(MetaTiming t, String name, double plain) {
    if (t.refused() != null) {
      boolean timedOut = t.refused().startsWith(TIMED_OUT);
      System.out.printf(Locale.ROOT, "%-20s %6d %6s %12s %10s %10s %12s %s%n", name,
          t.window(), "-", timedOut ? TIMED_OUT : "refused", "-", "-", "-",
          timedOut ? t.refused().substring(TIMED_OUT.length() + 2) : t.refused());
      return;
    }
    double p = t.plainMs();
    double perStep = (t.innerMs() + t.metaMs() / t.window()) / p;
    System.out.printf(Locale.ROOT, "%-20s %6d %6d %12.2f %9.2fx %10.2f %11.2fx %10.2f%n", name,
        t.window(), t.metas(), t.metaMs(), t.ratio(), t.innerMs(), perStep, p);
  }

  private static MetaTiming timeMeta(Opts o, Framework fw, Model m, String name, Kind kind) {
    return timeMeta(o, fw, m, name, fw.registry().get(name), kind);
  }

  private static MetaTiming timeMeta(Opts o, Framework fw, Model m, String name,
      HypergradientEstimator est, Kind kind) {
    int window = est.needs() == TrajectoryNeeds.NONE ? 1 : o.window;
    int warmMetas = o.quick ? 1 : 2;
    int wantMetas = o.quick ? 2 : (m == Model.MLP ? 10 : 5);
    TrainingRun run;
    try {
      run = fw.trainer().start(kind.problem(m, 256, window), 42, est);
    } catch (IllegalArgumentException e) { // the estimator's refusals of this problem
      return new MetaTiming(name, window, Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN,
          e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    // Blocks of plain steps alternate with blocks of the estimator's steps: this machine's speed
    // drifts by tens of percent within minutes, so the ratio compares steps taken in the same
    // seconds. Blocks, not single steps: alternating every step made both problems evict each
    // other's buffers from the cache (EvoGrad's MLP meta-iteration 7.6 -> 18.3 ms).
    TrainingRun plainRun = fw.trainer().start(plainProblem(m, 256), 42,
        fw.registry().get(FirstOrder.NAME));
    Data plainData = new Data(m, 8, 1);
    Data inner = new Data(m, 8, 11);
    Data outer = new Data(m, 4, 97);
    List<Double> meta = new ArrayList<>();
    List<Double> in = new ArrayList<>();
    List<Double> plain = new ArrayList<>();
    List<List<Double>> plainByBlock = new ArrayList<>();
    List<List<Double>> metaByBlock = new ArrayList<>();
    int metas = 0;
    long deadline = System.nanoTime() + (long) ((o.metaSeconds + o.warmupSeconds) * 1e9);
    try {
      warmUp(o, () -> {
        plainRun.step(plainData.next(), () -> null);
        run.step(inner.next(), outer::next);
      });
      int block = m == Model.MLP ? 20 : 3;
      int inBlock = block;
      int plainBlocks = 0;
      // At least three plain blocks: a single one (EvoGrad's ten MLP meta-iterations fit in one
      // block) read 7.40 and 8.54 ms in two runs, against about 3 ms in the next blocks.
      // ... and every block started is finished, so that each block's ratio has its full count.
      while ((meta.size() < wantMetas || plainBlocks < 3 || inBlock < block)
          && System.nanoTime() < deadline) {
        if (inBlock == block) {
          plainBlocks++;
          plainRun.step(plainData.next(), () -> null); // first of a block: caches refill
          List<Double> thisBlock = new ArrayList<>();
          for (int i = 0; i < block; i++) {
            long t0 = System.nanoTime();
            plainRun.step(plainData.next(), () -> null);
            thisBlock.add((System.nanoTime() - t0) / 1e6);
          }
          plain.addAll(thisBlock);
          plainByBlock.add(thisBlock);
          metaByBlock.add(new ArrayList<>());
          run.step(inner.next(), outer::next); // untimed, likewise
          inBlock = 0;
        }
        inBlock++;
        StepEvent ev = run.step(inner.next(), outer::next);
        if (ev.metaUpdated()) {
          metas++;
          if (metas > warmMetas) {
            meta.add(ev.metaNanos() / 1e6);
            metaByBlock.get(metaByBlock.size() - 1).add(ev.metaNanos() / 1e6);
          }
        }
        if (metas > warmMetas || (metas == warmMetas && !ev.metaUpdated())) {
          in.add(ev.innerNanos() / 1e6);
        }
      }
    } catch (RuntimeException e) {
      return new MetaTiming(name, window, Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN,
          e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    if (meta.isEmpty()) {
      return new MetaTiming(name, window, Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN,
          TIMED_OUT + ": no measured meta-iteration within " + fmt0(o.metaSeconds) + " s");
    }
    List<Double> ratios = new ArrayList<>();
    for (int b = 0; b < plainByBlock.size(); b++) {
      if (!metaByBlock.get(b).isEmpty()) {
        ratios.add(median(metaByBlock.get(b)) / median(plainByBlock.get(b)));
      }
    }
    return new MetaTiming(name, window, median(meta), median(in), meta.size(), median(plain),
        median(ratios), null);
  }

  /**
   * Median ms of each task over {@code n} rounds that run them one after another, so that a change
   * in the machine's load hits them alike.
   */
  private static double[] interleavedMedians(int n, Runnable... tasks) {
    double[][] t = new double[tasks.length][n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < tasks.length; k++) {
        long t0 = System.nanoTime();
        tasks[k].run();
        t[k][i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    double[] m = new double[tasks.length];
    for (int k = 0; k < tasks.length; k++) {
      m[k] = median(t[k]);
    }
    return m;
  }

  /** Untimed steps for the configured warm-up time. */
  private static void warmUp(Opts o, Runnable step) {
    long until = System.nanoTime() + (long) (o.warmupSeconds * 1e9);
    while (System.nanoTime() < until) {
      step.run();
    }
  }

  // --------------------------------------------------------------------- per-layer op costs

  /**
   * Forward + backward of each CNN layer alone in SameDiff (a graph of that layer and a sum), next
   * to the same layer in PyTorch: names the op that limits the CNN step, and by how much.
   */
  private static void sectionOps(Opts o) {
    System.out.println();
    System.out.println("== Per-layer cost of the CNN (forward + backward, batch " + BATCH
        + ", FP32): each layer alone, loss = sum of its output ==");
    Load load = new Load();
    Map<String, Double> ours = new LinkedHashMap<>();
    org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig conv =
        org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig.builder()
            .kH(3).kW(3).sH(1).sW(1).pH(1).pW(1)
            .paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID)
            .dataFormat("NCHW").build();
    org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig pool =
        org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig.builder()
            .kH(2).kW(2).sH(2).sW(2)
            .paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID)
            .isNHWC(false).build();
    int reps = o.quick ? 3 : 15;
    ours.put("conv1 1->32 28x28", layerMs(reps, new long[] {BATCH, 1, 28, 28},
        new long[] {3, 3, 1, 32}, (sd, x, w) -> sd.cnn().conv2d(x, w,
            sd.var("b", Nd4j.zeros(DataType.FLOAT, 32)), conv)));
    ours.put("relu+maxpool 32x28x28", layerMs(reps, new long[] {BATCH, 32, 28, 28}, null,
        (sd, x, w) -> sd.cnn().maxPooling2d(sd.nn().relu(x, 0), pool)));
    ours.put("conv2 32->64 14x14", layerMs(reps, new long[] {BATCH, 32, 14, 14},
        new long[] {3, 3, 32, 64}, (sd, x, w) -> sd.cnn().conv2d(x, w,
            sd.var("b", Nd4j.zeros(DataType.FLOAT, 64)), conv)));
    ours.put("relu+maxpool 64x14x14", layerMs(reps, new long[] {BATCH, 64, 14, 14}, null,
        (sd, x, w) -> sd.cnn().maxPooling2d(sd.nn().relu(x, 0), pool)));
    ours.put("dense 3136->10", layerMs(reps, new long[] {BATCH, 3136}, new long[] {3136, 10},
        (sd, x, w) -> x.mmul(w)));
    JsonNode torch = torchLayers(o);
    String[] torchKeys = {"conv1", "pool1", "conv2", "pool2", "dense"};
    System.out.printf(Locale.ROOT, "%-24s %10s %12s %10s%n", "layer", "ours ms", "torch 1t ms",
        "ours/pt");
    int i = 0;
    double sum = 0;
    double tsum = 0;
    for (Map.Entry<String, Double> e : ours.entrySet()) {
      String tk = torchKeys[i++];
      double t = torch != null && torch.has(tk) ? torch.get(tk).asDouble() : Double.NaN;
      sum += e.getValue();
      tsum += t;
      System.out.printf(Locale.ROOT, "%-24s %10.2f %12s %10s%n", e.getKey(), e.getValue(),
          Double.isNaN(t) ? "n/a" : fmt2(t), Double.isNaN(t) ? "n/a"
              : fmt2(e.getValue() / t) + "x");
    }
    System.out.printf(Locale.ROOT, "%-24s %10.2f %12s %10s%n", "sum", sum,
        Double.isNaN(tsum) ? "n/a" : fmt2(tsum), Double.isNaN(tsum) ? "n/a"
            : fmt2(sum / tsum) + "x");
    System.out.println(load.describe());
    candidatesTogether(o);
  }

  /**
   * What evaluating EvoGrad's K = 2 candidates together could save on the MWN MLP, at most: the
   * candidates share the batch but not the weights, so only the first layer's product can become
   * one wider product (x·[W₁ W₁']); the later layers multiply different activations by different
   * weights. Timed as the candidates' forward products one after another against the same with
   * the first layer fused (including the copies of its two halves that the next layer reads);
   * the difference bounds what a batched candidate graph would save.
   */
  private static void candidatesTogether(Opts o) {
    System.out.println();
    System.out.println("== EvoGrad's K=2 candidates evaluated together: the bound on the MWN MLP"
        + " (forward products, batch " + BATCH + ", FP32) ==");
    INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 784);
    INDArray[] w1 = {Nd4j.rand(DataType.FLOAT, 784, 256), Nd4j.rand(DataType.FLOAT, 784, 256)};
    INDArray[] w2 = {Nd4j.rand(DataType.FLOAT, 256, 256), Nd4j.rand(DataType.FLOAT, 256, 256)};
    INDArray[] w3 = {Nd4j.rand(DataType.FLOAT, 256, 10), Nd4j.rand(DataType.FLOAT, 256, 10)};
    INDArray wide = Nd4j.concat(1, w1[0], w1[1]);
    INDArray h1 = Nd4j.create(DataType.FLOAT, BATCH, 256);
    INDArray h1wide = Nd4j.create(DataType.FLOAT, BATCH, 512);
    INDArray h2 = Nd4j.create(DataType.FLOAT, BATCH, 256);
    INDArray z = Nd4j.create(DataType.FLOAT, BATCH, 10);
    INDArray[] halves = {h1wide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 256)),
        h1wide.get(NDArrayIndex.all(), NDArrayIndex.interval(256, 512))};
    Runnable apart = () -> {
      for (int k = 0; k < 2; k++) {
        Nd4j.gemm(x, w1[k], h1, false, false, 1, 0);
        Nd4j.gemm(h1, w2[k], h2, false, false, 1, 0);
        Nd4j.gemm(h2, w3[k], z, false, false, 1, 0);
      }
    };
    Runnable fused = () -> {
      Nd4j.gemm(x, wide, h1wide, false, false, 1, 0);
      for (int k = 0; k < 2; k++) {
        // Each half back into a contiguous block: ND4J's gemm on the strided half took 10 ms.
        h1.assign(halves[k]);
        Nd4j.gemm(h1, w2[k], h2, false, false, 1, 0);
        Nd4j.gemm(h2, w3[k], z, false, false, 1, 0);
      }
    };
    warmUp(o, () -> {
      apart.run();
      fused.run();
    });
    double[] t = interleavedMedians(o.quick ? 50 : 1000, apart, fused);
    double a = t[0];
    double f = t[1];
    System.out.printf(Locale.ROOT, "candidates one after another %.3f ms; first layer as one"
        + " product with 784x512 weights %.3f ms; at most %.3f ms (%.0f%%) saved per"
        + " meta-iteration%n", a, f, a - f, 100 * (a - f) / a);
  }

  /** Builds one layer: input variable x (and weight w when given) to the layer's output. */
  interface Layer {
    org.nd4j.autodiff.samediff.SDVariable apply(org.nd4j.autodiff.samediff.SameDiff sd,
        org.nd4j.autodiff.samediff.SDVariable x, org.nd4j.autodiff.samediff.SDVariable w);
  }

  private static double layerMs(int reps, long[] xShape, long[] wShape, Layer layer) {
    org.nd4j.autodiff.samediff.SameDiff sd = org.nd4j.autodiff.samediff.SameDiff.create();
    Nd4j.getRandom().setSeed(5);
    org.nd4j.autodiff.samediff.SDVariable x = sd.var("x", Nd4j.rand(DataType.FLOAT, xShape));
    org.nd4j.autodiff.samediff.SDVariable w = wShape == null ? null
        : sd.var("w", Nd4j.randn(DataType.FLOAT, wShape).muli(0.1));
    org.nd4j.autodiff.samediff.SDVariable loss = layer.apply(sd, x, w).sum();
    sd.setLossVariables(loss.name());
    List<String> wrt = new ArrayList<>(List.of("x"));
    if (w != null) {
      wrt.add("w");
    }
    Map<String, INDArray> none = new HashMap<>();
    double[] t = new double[reps];
    for (int r = 0; r < 3 + reps; r++) {
      long t0 = System.nanoTime();
      sd.calculateGradients(none, wrt);
      if (r >= 3) {
        t[r - 3] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return median(t);
  }

  private static JsonNode torchLayers(Opts o) {
    return torchMode(o, "--layers");
  }

  /** The PyTorch peer run in one of its extra modes (--layers, --meta); null when unavailable. */
  private static JsonNode torchMode(Opts o, String mode) {
    Path script = o.torchScript != null ? Path.of(o.torchScript) : TorchPeer.findScript();
    if (script == null || !Files.isExecutable(Path.of("/usr/bin/python3"))) {
      return null;
    }
    try {
      List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), mode));
      if (o.quick) {
        cmd.add("--quick");
      }
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().put("OMP_NUM_THREADS", "1");
      pb.environment().put("OPENBLAS_NUM_THREADS", "1");
      Process p = pb.start();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        return null;
      }
      return new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElse("{}"));
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  // ------------------------------------------------------------------------------ profile

  private static void sectionProfile(Opts o, Framework fw) throws IOException {
    System.out.println();
    System.out.println("== Profile: where the benchmark thread's time goes (JFR, in-process) ==");
    System.out.println("JFR jdk.ExecutionSample (thread in Java) and jdk.NativeMethodSample"
        + " (thread in a native call) every 10 ms, benchmark thread only. 'ND4J op' = native"
        + " frames named exec* (libnd4j op execution, the kernels; OpenMP workers are not JVM"
        + " threads and are not sampled); BLAS = native cblas_* calls (ND4J's BLAS wrapper:"
        + " the estimators' axpy and dot, kernels too); 'ND4J other native' = other native"
        + " ND4J/JavaCPP calls"
        + " (allocation, shape info); Java = everything else (SameDiff bookkeeping, our glue, JDK).");
    Load load = new Load();
    double seconds = o.quick ? 3 : 15;
    List<String[]> rows = new ArrayList<>();
    for (Model m : Model.values()) {
      TrainingRun run = fw.trainer().start(plainProblem(m, 256), 42,
          fw.registry().get(FirstOrder.NAME));
      Data d = new Data(m, 8, 1);
      warmUp(o, () -> run.step(d.next(), () -> null));
      rows.add(profile("plain " + m.name(), () -> run.step(d.next(), () -> null), seconds));
    }
    for (String est : List.of("evograd", "one-step")) {
      if (!fw.registry().names().contains(est)) {
        continue;
      }
      TrainingRun run = fw.trainer().start(mwnProblem(Model.MLP, 256, 1), 42,
          fw.registry().get(est));
      Data d = new Data(Model.MLP, 8, 11);
      Data out = new Data(Model.MLP, 4, 97);
      warmUp(o, () -> run.step(d.next(), out::next));
      rows.add(profile("mwn MLP " + est, () -> run.step(d.next(), out::next), seconds));
    }
    System.out.printf(Locale.ROOT, "%-22s %8s %8s %7s %10s %12s %8s %8s  %s%n", "workload",
        "samples", "ND4J op", "BLAS", "ND4J other", "Java", "GC", "outside",
        "top frames outside the kernels");
    for (String[] r : rows) {
      System.out.println(String.join(" ", r));
    }
    System.out.println("outside = 1 - ND4J op - BLAS share: time the thread is not inside a"
        + " libnd4j op or BLAS kernel; GC = collector time / wall time in the window (from GC MXBeans)");
    System.out.println(load.describe());
  }

  private static String[] profile(String label, Runnable work, double seconds) throws IOException {
    Path file = Files.createTempFile("perfbench", ".jfr");
    long threadId = Thread.currentThread().getId();
    long gc0 = gcMillis();
    long t0 = System.nanoTime();
    int steps = 0;
    try (Recording r = new Recording()) {
      r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10)).withStackTrace();
      r.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(10)).withStackTrace();
      r.start();
      long end = System.nanoTime() + (long) (seconds * 1e9);
      while (System.nanoTime() < end) {
        work.run();
        steps++;
      }
      r.stop();
      r.dump(file);
    }
    double wallMs = (System.nanoTime() - t0) / 1e6;
    double gcShare = (gcMillis() - gc0) / wallMs;
    int op = 0;
    int blas = 0;
    int otherNative = 0;
    int java = 0;
    Map<String, Integer> outside = new TreeMap<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String type = e.getEventType().getName();
      boolean isNative = type.equals("jdk.NativeMethodSample");
      if (!isNative && !type.equals("jdk.ExecutionSample")) {
        continue;
      }
      RecordedThread t = e.getThread("sampledThread");
      if (t == null || t.getJavaThreadId() != threadId) {
        continue;
      }
      RecordedStackTrace st = e.getStackTrace();
      if (st == null || st.getFrames().isEmpty()) {
        continue;
      }
      RecordedFrame top = st.getFrames().get(0);
      String cls = top.getMethod().getType().getName();
      String method = top.getMethod().getName();
      if (isNative && (cls.startsWith("org.nd4j") || cls.startsWith("org.bytedeco"))
          && method.startsWith("exec")) {
        op++;
        continue;
      }
      if (isNative && cls.startsWith("org.bytedeco.openblas") && method.startsWith("cblas_")) {
        blas++;
        continue;
      }
      if (isNative) {
        otherNative++;
      } else {
        java++;
      }
      String key = (isNative ? "native " : "") + shortName(cls) + "." + method;
      outside.merge(key, 1, Integer::sum);
    }
    Files.deleteIfExists(file);
    int n = op + blas + otherNative + java;
    StringBuilder topFrames = new StringBuilder();
    outside.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(4)
        .forEach(en -> topFrames.append(en.getKey()).append(' ')
            .append(pct(en.getValue(), n)).append("; "));
    return new String[] {
      String.format(Locale.ROOT, "%-22s", label),
      String.format(Locale.ROOT, "%8d", n),
      String.format(Locale.ROOT, "%8s", pct(op, n)),
      String.format(Locale.ROOT, "%7s", pct(blas, n)),
      String.format(Locale.ROOT, "%10s", pct(otherNative, n)),
      String.format(Locale.ROOT, "%12s", pct(java, n)),
      String.format(Locale.ROOT, "%8s", String.format(Locale.ROOT, "%.1f%%", 100 * gcShare)),
      String.format(Locale.ROOT, "%8s", pct(n - op - blas, n)),
      " " + steps + " steps; " + topFrames
    };
  }

  private static String shortName(String cls) {
    String[] parts = cls.split("\\.");
    return parts.length <= 2 ? cls : parts[parts.length - 2] + "." + parts[parts.length - 1];
  }

  private static String pct(int k, int n) {
    return n == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100.0 * k / n);
  }

  private static long gcMillis() {
    long s = 0;
    for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
      s += Math.max(0, g.getCollectionTime());
    }
    return s;
  }

  // ----------------------------------------------------------------------------- 3/4. memory

  /** One memory point: an estimator (or "plain") at an MLP width and a window T. */
  record MemPoint(String estimator, Kind kind, int width, int window,
      Map<String, String> result) {
    boolean ok() {
      return result.containsKey("peakRssMb") && !result.containsKey("refused");
    }

    double get(String k) {
      return Double.parseDouble(result.get(k));
    }
  }

  private static void sectionMemory(Opts o, Framework fw) throws Exception {
    System.out.println();
    System.out.println("== 3. Peak memory per estimator (MWN MLP, one child JVM per point) ==");
    System.out.println("Each child: -Xmx2g " + CHILD_GC + "; builds the problem, runs 2 warm-up cycles, then "
        + (o.quick ? 1 : 2) + " measured cycles of T inner steps that begin with a"
        + " meta-update; before each cycle System.gc() and a reset of the kernel's peak RSS"
        + " (/proc/self/clear_refs); peak RSS = VmHWM over the cycle (ND4J's buffers are native,"
        + " so they live here, together with the heap); rest RSS = VmRSS just before the cycle;"
        + " heap = sum of heap pools' peak use over the cycle (upper bound)."
        + (o.gcEveryMs > 0 ? " During measured cycles a thread calls System.gc() every "
            + o.gcEveryMs + " ms, so garbage buffers are freed promptly (times are then"
            + " inflated; only the memory figures count)." : ""));
    Load load = new Load();
    List<String> ests = new ArrayList<>();
    ests.add(PLAIN);
    ests.addAll(fw.registry().names());
    Map<String, Boolean> windowed = new HashMap<>();
    windowed.put(PLAIN, false);
    for (String e : fw.registry().names()) {
      windowed.put(e, fw.registry().get(e).needs() != TrajectoryNeeds.NONE);
    }
    String cp = BackendBench.childClassPath();
    List<MemPoint> points = new ArrayList<>();
    // Width sweep at T = o.window ("memory-t" alone skips it and its tables).
    boolean widthSweep = o.sections.contains("memory");
    for (String e : widthSweep ? ests : List.<String>of()) {
      for (int w : o.widths) {
        points.add(memChildRun(o, cp, e, e.equals(PLAIN) ? Kind.PLAIN : Kind.MWN, w,
            o.window));
        System.out.println("  measured " + describe(points.get(points.size() - 1)));
      }
    }
    // T sweep at the smallest width, estimators that work on a window (needs() is what a recorded
    // window must hold; forward declares one although the engine follows it online).
    int w0 = o.widths.get(0);
    List<MemPoint> tPoints = new ArrayList<>();
    for (String e : ests) {
      if (!windowed.get(e) && !e.equals(PLAIN)) {
        continue;
      }
      for (int t : o.ts) {
        MemPoint p = t == o.window ? find(points, e, w0, t) : null;
        if (p == null) {
          p = memChildRun(o, cp, e, e.equals(PLAIN) ? Kind.PLAIN : Kind.MWN, w0, t);
          System.out.println("  measured " + describe(p));
        }
        tPoints.add(p);
      }
    }
    // The same on the one-dimensional λ problem, which no estimator refuses.
    List<MemPoint> wdPoints = new ArrayList<>();
    for (MemPoint p : tPoints) {
      if (p.estimator().equals(PLAIN)) {
        wdPoints.add(p);
      }
    }
    for (String e : ests) {
      if (!windowed.get(e)) {
        continue;
      }
      for (int t : o.ts) {
        MemPoint p = memChildRun(o, cp, e, Kind.WD, w0, t);
        System.out.println("  measured " + describe(p));
        wdPoints.add(p);
      }
    }

    if (!widthSweep) {
      printTSweep(o, ests, windowed, tPoints, w0, "Meta-Weight-Net problem");
      printTSweep(o, ests, windowed, wdPoints, w0, "weight-decay problem (dim λ = 1)");
      System.out.println(load.describe());
      return;
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "Peak RSS / rest RSS / heap peak in MB, by MLP width (T=%d);"
        + " slope = peak RSS growth per million θ parameters (least squares)%n", o.window);
    StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-20s", "estimator"));
    for (int w : o.widths) {
      h.append(String.format(Locale.ROOT, " %22s", "w=" + w + " (" + fmt2(params(w) / 1e6)
          + "M)"));
    }
    h.append(String.format(Locale.ROOT, " %14s", "MB/M params"));
    System.out.println(h);
    Map<String, double[]> fits = new LinkedHashMap<>();
    for (String e : ests) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-20s", e));
      List<double[]> xy = new ArrayList<>();
      String refused = null;
      for (int w : o.widths) {
        MemPoint p = find(points, e, w, o.window);
        if (p == null || !p.ok()) {
          line.append(String.format(Locale.ROOT, " %22s", "refused"));
          refused = p == null ? "missing" : p.result().getOrDefault("refused", "failed");
          continue;
        }
        line.append(String.format(Locale.ROOT, " %22s", fmt0(p.get("peakRssMb")) + "/"
            + fmt0(p.get("restRssMb")) + "/" + fmt0(p.get("heapPeakMb"))));
        xy.add(new double[] {params(w) / 1e6, p.get("peakRssMb")});
      }
      if (xy.size() >= 2) {
        double[] ab = fit(xy);
        fits.put(e, ab);
        line.append(String.format(Locale.ROOT, " %14.1f", ab[1]));
      } else {
        line.append(String.format(Locale.ROOT, " %14s", "-"));
      }
      System.out.println(line);
      if (refused != null) {
        System.out.println("    " + e + ": " + refused);
      }
    }

    printTSweep(o, ests, windowed, tPoints, w0, "Meta-Weight-Net problem");
    printTSweep(o, ests, windowed, wdPoints, w0, "weight-decay problem (dim λ = 1)");

    System.out.println();
    System.out.printf(Locale.ROOT, "== 4. Largest MLP width each estimator can meta-train within"
        + " a %.0f MB peak-RSS budget (T=%d) ==%n", o.budgetMb, o.window);
    boolean search = o.searchResolution > 0 && !o.quick;
    System.out.println("Measured: the sweep's widths bracket the budget, or child runs beyond the"
        + " largest swept width find a width over it; the bracket is then halved on child runs"
        + (search ? " until it is at most " + o.searchResolution + " wide (widths in multiples"
            + " of 64; a width over the budget is measured twice and the lower peak kept). "
            : " (not with --quick or --search-resolution 0). ")
        + "Extrapolated: peak RSS fitted linearly in the number of θ parameters over the swept"
        + " widths " + o.widths + ", solved for the budget (a cross-check).");
    Map<String, Double> maxW = new LinkedHashMap<>();
    for (Map.Entry<String, double[]> en : fits.entrySet()) {
      double[] ab = en.getValue();
      double pMax = ab[1] <= 0 ? Double.POSITIVE_INFINITY : (o.budgetMb - ab[0]) / ab[1] * 1e6;
      maxW.put(en.getKey(), widthFor(pMax));
    }
    Map<String, Bracket> brackets = new LinkedHashMap<>();
    for (String e : fits.keySet()) {
      Bracket b = Bracket.of(points, e, o);
      if (search) {
        b = b.search(o, maxW.get(e), w -> {
          MemPoint p = memChildRun(o, cp, e, e.equals(PLAIN) ? Kind.PLAIN : Kind.MWN, w, o.window);
          System.out.println("  searched " + describe(p));
          return p;
        });
      }
      brackets.put(e, b);
    }
    Bracket plain = brackets.get(PLAIN);
    System.out.printf(Locale.ROOT, "%-20s %9s %10s %9s %13s %9s %13s %12s%n", "estimator",
        "measured", "θ params", "peak MB", "next over", "peak MB", "extrapolated", "vs plain");
    for (Map.Entry<String, Bracket> en : brackets.entrySet()) {
      Bracket b = en.getValue();
      double w = maxW.get(en.getKey());
      System.out.printf(Locale.ROOT, "%-20s %9s %10s %9s %13s %9s %13s %12s%n", en.getKey(),
          b.within() == null ? "none" : Integer.toString(b.within().width()),
          b.within() == null ? "-" : fmt2(params(b.within().width()) / 1e6) + "M",
          b.within() == null ? "-" : fmt0(b.within().get("peakRssMb")),
          b.over() == null ? "not found" : Integer.toString(b.over().width()),
          b.over() == null ? "-" : b.over().ok() ? fmt0(b.over().get("peakRssMb")) : "failed",
          Double.isInfinite(w) ? "unbounded" : w <= 0 ? "none" : fmt0(w),
          plain == null || plain.within() == null || b.within() == null ? "-"
              : String.format(Locale.ROOT, "%.2fx", params(b.within().width())
                  / params(plain.within().width())));
    }
    System.out.println("vs plain = measured θ parameters against plain training's (cf. EvoGrad's"
        + " ResNet10 -> ResNet34 within one GPU's memory); 'next over' = the narrowest width"
        + " measured over the budget (or whose child failed)");
    System.out.println(load.describe());
  }

  /** A child run at one width, for the search. */
  interface WidthProbe {
    MemPoint measure(int width) throws IOException, InterruptedException;
  }

  /**
   * The widest measured point within the budget, and the narrowest measured wider point over it
   * (or whose child failed), for one estimator.
   */
  record Bracket(MemPoint within, MemPoint over) {

    static boolean fits(MemPoint p, Opts o) {
      return p.ok() && p.get("peakRssMb") <= o.budgetMb;
    }

    static Bracket of(List<MemPoint> points, String e, Opts o) {
      MemPoint within = null;
      for (int w : o.widths) {
        MemPoint p = find(points, e, w, o.window);
        if (p != null && fits(p, o) && (within == null || w > within.width())) {
          within = p;
        }
      }
      MemPoint over = null;
      for (int w : o.widths) {
        MemPoint p = find(points, e, w, o.window);
        if (p != null && !fits(p, o) && (within == null || w > within.width())
            && (over == null || w < over.width())) {
          over = p;
        }
      }
      return new Bracket(within, over);
    }

    private Bracket with(MemPoint p, Opts o) {
      return fits(p, o) ? new Bracket(p, over) : new Bracket(within, p);
    }

    /**
     * A point over the budget is measured again and the lower peak kept: a child's peak RSS now
     * and then carries a transient of several hundred MB that a second run does not repeat
     * (plain training at width 6080 peaked at 2358 MB once and at 1668 and 1652 MB on two reruns),
     * and a transient taken for the boundary would cut the search short.
     */
    private static MemPoint confirmed(WidthProbe probe, int width, Opts o)
        throws IOException, InterruptedException {
      MemPoint p = probe.measure(width);
      if (fits(p, o)) {
        return p;
      }
      MemPoint again = probe.measure(width);
      if (!p.ok()) {
        return again;
      }
      return again.ok() && again.get("peakRssMb") < p.get("peakRssMb") ? again : p;
    }

    /**
     * Finds a width over the budget beyond the widest one within it (starting at the extrapolated
     * width, then a quarter wider each time), then halves the bracket.
     */
    Bracket search(Opts o, double extrapolated, WidthProbe probe)
        throws IOException, InterruptedException {
      Bracket b = this;
      int lo = within == null ? 0 : within.width();
      for (int tries = 0; b.over == null && tries < 6; tries++) {
        double target = Math.max(lo * 1.25, Double.isFinite(extrapolated) ? extrapolated * 1.1 : 0);
        b = b.with(confirmed(probe, roundUp64(Math.max(target, lo + 64)), o), o);
        lo = b.within == null ? 0 : b.within.width();
      }
      while (b.over != null && b.over.width() - (b.within == null ? 0 : b.within.width())
          > o.searchResolution) {
        int from = b.within == null ? 0 : b.within.width();
        int mid = roundUp64((from + b.over.width()) / 2.0);
        if (mid >= b.over.width() || mid <= from) {
          break;
        }
        b = b.with(confirmed(probe, mid, o), o);
      }
      return b;
    }

    private static int roundUp64(double w) {
      return (int) Math.ceil(w / 64) * 64;
    }
  }

  private static void printTSweep(Opts o, List<String> ests, Map<String, Boolean> windowed,
      List<MemPoint> tPoints, int w0, String what) {
    System.out.println();
    System.out.printf(Locale.ROOT, "Growth with T, %s, MLP width %d: peak RSS MB at each T, for"
        + " estimators that work on a window (recorded, or followed online like forward; the"
        + " others meta-update every step: T does not enter)%n", what,
        w0);
    StringBuilder th = new StringBuilder(String.format(Locale.ROOT, "%-20s", "estimator"));
    for (int t : o.ts) {
      th.append(String.format(Locale.ROOT, " %10s", "T=" + t));
    }
    th.append(String.format(Locale.ROOT, " %12s %14s %8s", "MB per step", "minus plain's",
        "flat?"));
    System.out.println(th);
    // Plain training keeps no window: its growth with the cycle length T is the measurement's
    // own (native buffers are freed only when the JVM collects their owners, and a cycle of T
    // steps runs without a forced GC). Estimators are judged on growth beyond it.
    double control = Double.NaN;
    List<double[]> cxy = new ArrayList<>();
    for (int t : o.ts) {
      MemPoint p = find(tPoints, PLAIN, w0, t);
      if (p != null && p.ok()) {
        cxy.add(new double[] {t, p.get("peakRssMb")});
      }
    }
    if (cxy.size() >= 2) {
      control = fit(cxy)[1];
    }
    for (String e : ests) {
      if (!windowed.get(e) && !(e.equals(PLAIN) && !Double.isNaN(control))) {
        continue;
      }
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-20s", e));
      List<double[]> xy = new ArrayList<>();
      for (int t : o.ts) {
        MemPoint p = find(tPoints, e, w0, t);
        if (p == null || !p.ok()) {
          line.append(String.format(Locale.ROOT, " %10s", "refused"));
          continue;
        }
        line.append(String.format(Locale.ROOT, " %10s", fmt0(p.get("peakRssMb"))));
        xy.add(new double[] {t, p.get("peakRssMb")});
      }
      if (xy.size() >= 2) {
        double slope = fit(xy)[1];
        // θ at this width, FP32: one copy per step is what a growing window stores.
        double thetaMb = params(w0) * 4 / 1048576.0;
        double excess = Double.isNaN(control) ? slope : slope - control;
        line.append(String.format(Locale.ROOT, " %12.2f %14s %8s", slope,
            e.equals(PLAIN) ? "(control)" : Double.isNaN(control) ? "n/a" : fmt2(excess),
            e.equals(PLAIN) ? "" : excess < 0.5 * thetaMb ? "yes" : "no"));
      }
      System.out.println(line);
    }
    System.out.printf(Locale.ROOT, "(one θ copy at width %d is %.2f MB; 'flat' = grows, beyond"
        + " plain training's growth with the cycle length, by less than half a θ copy per"
        + " unrolled step)%n", w0, params(w0) * 4 / 1048576.0);

  }

  private static String describe(MemPoint p) {
    return String.format(Locale.ROOT, "%-20s %-5s w=%-5d T=%-3d %s", p.estimator(),
        p.kind().name().toLowerCase(Locale.ROOT), p.width(), p.window(), p.ok()
            ? "peak " + fmt0(p.get("peakRssMb")) + " MB, rest " + fmt0(p.get("restRssMb"))
                + " MB, heap " + fmt0(p.get("heapPeakMb")) + " MB, meta " + fmt1(p.get("metaMs"))
                + " ms, " + fmt0(p.get("seconds")) + " s"
            : "refused/failed: " + p.result().getOrDefault("refused", p.result().toString()));
  }

  private static MemPoint find(List<MemPoint> ps, String e, int w, int t) {
    for (MemPoint p : ps) {
      if (p.estimator().equals(e) && p.width() == w && p.window() == t) {
        return p;
      }
    }
    return null;
  }

  /** θ parameters of the MLP 784-w-w-10. */
  static double params(double w) {
    return w * w + 796 * w + 10;
  }

  /** Inverse of {@link #params}. */
  static double widthFor(double p) {
    if (Double.isInfinite(p)) {
      return p;
    }
    if (p <= 10) {
      return 0;
    }
    return (-796 + Math.sqrt(796.0 * 796 - 4 * (10 - p))) / 2;
  }

  /** Least-squares line through (x, y): {intercept, slope}. */
  static double[] fit(List<double[]> xy) {
    double n = xy.size();
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (double[] p : xy) {
      sx += p[0];
      sy += p[1];
      sxx += p[0] * p[0];
      sxy += p[0] * p[1];
    }
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    return new double[] {(sy - slope * sx) / n, slope};
  }

  private static MemPoint memChildRun(Opts o, String cp, String est, Kind kind, int width,
      int window) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx2g");
    cmd.add(CHILD_GC);
    cmd.add("-cp");
    cmd.add(cp);
    cmd.add(PerfBench.class.getName());
    cmd.add(MEM_CHILD);
    cmd.add(est + "@" + kind.name());
    cmd.add(Integer.toString(width));
    cmd.add(Integer.toString(window));
    cmd.add(Integer.toString(o.quick ? 1 : 2));
    cmd.addAll(o.childArgs());
    if (o.quick) {
      cmd.add("--quick");
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    if (o.threads >= 0) {
      pb.environment().remove("OMP_NUM_THREADS");
    }
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Map<String, String> res = new LinkedHashMap<>();
    if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
      String tail = out.lines().filter(l -> !l.startsWith("\tat ")).reduce("",
          (a, b) -> a.length() > 600 ? a : a + " | " + b);
      res.put("refused", "child failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
          + "): " + tail);
    }
    for (String line : out.split("\n")) {
      if (line.startsWith(RESULT)) {
        String kv = line.substring(RESULT.length()).trim();
        int eq = kv.indexOf('=');
        res.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return new MemPoint(est, kind, width, window, res);
  }

  /** Child JVM: one estimator at one width and window; prints RESULT lines. */
  private static void memChild(Opts o, List<String> spec) {
    String[] ek = spec.get(0).split("@");
    String est = ek[0];
    Kind kind = ek.length > 1 ? Kind.valueOf(ek[1]) : Kind.MWN;
    int width = Integer.parseInt(spec.get(1));
    int window = Integer.parseInt(spec.get(2));
    int cycles = Integer.parseInt(spec.get(3));
    long start = System.nanoTime();
    Nd4jBackend backend = Nd4jBackend.start(o.backendOptions());
    Framework fw = Framework.create(backend);
    boolean plain = est.equals(PLAIN);
    HypergradientEstimator e = fw.registry().get(plain ? FirstOrder.NAME : est);
    BilevelProblem p = (plain ? Kind.PLAIN : kind).problem(Model.MLP, width, window);
    TrainingRun run;
    try {
      run = fw.trainer().start(p, 42, e);
    } catch (IllegalArgumentException ex) { // the estimator's refusals of this problem
      result("refused", (ex.getClass().getSimpleName() + ": " + ex.getMessage()).replace('\n', ' '));
      return;
    }
    Data inner = new Data(Model.MLP, 8, 11);
    Data outer = new Data(Model.MLP, 4, 97);
    Supplier<Batch> outerSupplier = outer::next;
    List<MemoryPoolMXBean> heapPools = new ArrayList<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPools.add(pool);
      }
    }
    // Optionally collect every gcEveryMs during the measured cycles, so that native buffers whose
    // owners are garbage are freed promptly and the peak approaches the live data.
    java.util.concurrent.atomic.AtomicBoolean collecting =
        new java.util.concurrent.atomic.AtomicBoolean(false);
    if (o.gcEveryMs > 0) {
      Thread gc = new Thread(() -> {
        while (true) {
          if (collecting.get()) {
            System.gc();
          }
          sleep(o.gcEveryMs);
        }
      }, "perfbench-gc");
      gc.setDaemon(true);
      gc.start();
    }
    double peak = 0;
    double rest = Double.MAX_VALUE;
    double heap = 0;
    List<Double> metaMs = new ArrayList<>();
    try {
      for (int c = 0; c < 2 + cycles; c++) {
        boolean measured = c >= 2;
        if (measured) {
          System.gc();
          System.gc();
          sleep(300);
          rest = Math.min(rest, procStatusMb("VmRSS"));
          heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
          resetPeakRss();
          collecting.set(true);
        }
        for (int s = 0; s < window; s++) {
          StepEvent ev = run.step(inner.next(), outerSupplier);
          if (measured && ev.metaUpdated()) {
            metaMs.add(ev.metaNanos() / 1e6);
          }
        }
        if (measured) {
          collecting.set(false);
          peak = Math.max(peak, procStatusMb("VmHWM"));
          double h = 0;
          for (MemoryPoolMXBean pool : heapPools) {
            h += pool.getPeakUsage().getUsed() / 1048576.0;
          }
          heap = Math.max(heap, h);
        }
      }
    } catch (RuntimeException ex) {
      result("refused", (ex.getClass().getSimpleName() + ": " + ex.getMessage())
          .replace('\n', ' '));
      return;
    }
    result("peakRssMb", fmt1(peak));
    result("restRssMb", fmt1(rest));
    result("heapPeakMb", fmt1(heap));
    result("metaMs", fmt1(metaMs.isEmpty() ? 0 : median(metaMs)));
    result("thetaParams", Long.toString(run.compiled().thetaLayout().size()));
    result("seconds", fmt1((System.nanoTime() - start) / 1e9));
  }

  /** Resets the kernel's peak-RSS counter (VmHWM) of this process; no-op where unsupported. */
  private static void resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException | RuntimeException e) {
      // VmHWM then holds the peak since start: still an upper bound
    }
  }

  private static final Pattern KB = Pattern.compile("(\\d+)\\s*kB");

  /** A {@code /proc/self/status} field in MB, NaN where missing. */
  static double procStatusMb(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          Matcher m = KB.matcher(line);
          if (m.find()) {
            return Long.parseLong(m.group(1)) / 1024.0;
          }
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return Double.NaN;
  }

  private static double totalMemMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          Matcher m = KB.matcher(line);
          if (m.find()) {
            return Long.parseLong(m.group(1)) / 1024.0;
          }
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return Double.NaN;
  }

  // ------------------------------------------------------------------------------- helpers

  private static void result(String key, String value) {
    System.out.println(RESULT + key + "=" + value);
    System.out.flush();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }

  private static String gitHead() {
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
          .redirectErrorStream(true).start();
      String s;
      try (InputStream in = p.getInputStream()) {
        s = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      }
      boolean dirty = false;
      Process q = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no")
          .redirectErrorStream(true).start();
      try (InputStream in = q.getInputStream()) {
        dirty = in.readAllBytes().length > 0;
      }
      return p.waitFor() == 0 ? s + (dirty ? " (+ uncommitted changes)" : "") : "unknown";
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  static double median(double[] v) {
    double[] a = v.clone();
    Arrays.sort(a);
    int n = a.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  static double median(List<Double> v) {
    return median(v.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private static String fmt0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private static String fmt1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String fmt2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
