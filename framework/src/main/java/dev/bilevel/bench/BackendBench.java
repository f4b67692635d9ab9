package dev.bilevel.bench;

import dev.bilevel.backend.BackendInfo;
import dev.bilevel.backend.BackendOptions;
import dev.bilevel.backend.CpuFeatures;
import dev.bilevel.backend.NativeBuild;
import dev.bilevel.backend.Nd4jBackend;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures the ND4J backend settings that {@link BackendOptions} exposes: native build (generic vs
 * oneDNN + AVX2) and thread counts (compute threads 1 vs 2, BLAS threads 1 vs 2), on the training
 * steps this library runs.
 *
 * <p>The native library loads once per JVM, so the driver (this main, without arguments) runs
 * every setting in a child JVM of its own ({@code --child}), repeats the whole matrix
 * {@code --rounds} times in alternating order, and prints one table with ratios taken within the
 * same run. The driver itself never loads ND4J.
 *
 * <p>Workloads, each per training step (forward + backward via {@code SameDiff.calculateGradients}
 * + an in-place SGD update), median of timed steps after warm-up:
 *
 * <ul>
 *   <li>MLP 784-256-256-10, ReLU, softmax cross-entropy, batch 100, FP32 and FP64;
 *   <li>CNN conv3x3 1&rarr;32, ReLU, maxpool2, conv3x3 32&rarr;64, ReLU, maxpool2, dense
 *       3136&rarr;10 on 1&times;28&times;28 inputs, batch 100, FP32;
 *   <li>1024&times;1024 FP32 matrix product, as {@code INDArray.mmul} (ND4J's matmul op, which the
 *       oneDNN build may route to oneDNN) and as a direct BLAS {@code gemm} call (OpenBLAS).
 * </ul>
 *
 * <p>Run: {@code mvn -q -pl framework compile exec:java
 * -Dexec.mainClass=dev.bilevel.bench.BackendBench [-Dexec.args="--rounds 3"]}, or with
 * {@code java -cp <framework class path> dev.bilevel.bench.BackendBench}. Options:
 * {@code --rounds N} (default 3), {@code --quick} (fewer steps, for smoke runs),
 * {@code --builds GENERIC,ONEDNN_AVX2}, {@code --idle-busy F} and {@code --idle-wait S} (before
 * each child, wait up to S seconds (default 600) until less than F (default 0.10) of the cores
 * are busy, since other processes on the machine distort timings), {@code --max-other F} and
 * {@code --attempts N} (a run during which other processes took more than F (default 0.10) of the
 * cores is discarded and repeated, up to N (default 4) attempts; the least disturbed attempt is
 * kept, and the table reports how much CPU other processes took during the kept runs).
 */
public final class BackendBench {

  private static final String CHILD = "--child";
  private static final String RESULT = "RESULT ";

  private BackendBench() {}

  /** One setting: native build plus thread counts, or {@code OMP_NUM_THREADS} in the env. */
  record Setting(NativeBuild build, int omp, int blas, String envOmp) {
    String label() {
      String threads =
          envOmp != null
              ? "env OMP_NUM_THREADS=" + envOmp
              : "omp=" + omp + " blas=" + blas;
      return (build == NativeBuild.GENERIC ? "generic" : "onednn-avx2") + ", " + threads;
    }
  }

  /** The workloads, in table order: key, column header, unit. */
  private static final String[][] METRICS = {
    {"mlp32.ms", "MLP f32 ms", "ms"},
    {"mlp64.ms", "MLP f64 ms", "ms"},
    {"cnn32.ms", "CNN f32 ms", "ms"},
    {"mmul.gflops", "mmul GF/s", "gflops"},
    {"gemm.gflops", "BLAS sgemm GF/s", "gflops"},
  };

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    if (a.contains(CHILD)) {
      runChild(args);
    } else {
      runDriver(args);
    }
  }

  // ---------------------------------------------------------------------------------- driver

  private static void runDriver(String[] args) throws Exception {
    int rounds = 3;
    boolean quick = false;
    double idleBusy = 0.10;
    int idleWaitSeconds = 600;
    double maxOther = 0.10;
    int attempts = 4;

    List<NativeBuild> builds = List.of(NativeBuild.GENERIC, NativeBuild.ONEDNN_AVX2);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--quick" -> quick = true;
        case "--idle-busy" -> idleBusy = Double.parseDouble(args[++i]);
        case "--max-other" -> maxOther = Double.parseDouble(args[++i]);
        case "--attempts" -> attempts = Integer.parseInt(args[++i]);
        case "--idle-wait" -> idleWaitSeconds = Integer.parseInt(args[++i]);
        case "--builds" -> {
          List<NativeBuild> bs = new ArrayList<>();
          for (String s : args[++i].split(",")) {
            bs.add(NativeBuild.valueOf(s.trim().toUpperCase(Locale.ROOT)));
          }
          builds = bs;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }

    List<Setting> settings = new ArrayList<>();
    for (NativeBuild b : builds) {
      settings.add(new Setting(b, 2, 2, null));
      settings.add(new Setting(b, 2, 1, null));
      settings.add(new Setting(b, 1, 2, null));
      settings.add(new Setting(b, 1, 1, null));
      settings.add(new Setting(b, 0, 0, "1"));
    }

    CpuFeatures cpu = CpuFeatures.detect();
    System.out.println("BackendBench: " + cpu.describe() + "; java " + Runtime.version());
    System.out.println(
        "  " + settings.size() + " settings x " + rounds + " rounds, one child JVM each"
            + (quick ? " (quick)" : ""));

    Map<Setting, List<Map<String, String>>> results = new LinkedHashMap<>();
    settings.forEach(s -> results.put(s, new ArrayList<>()));
    String classPath = childClassPath();
    for (int r = 0; r < rounds; r++) {
      List<Setting> order = new ArrayList<>(settings);
      if (r % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      for (Setting s : order) {
        Map<String, String> best = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
          double waited = waitForIdle(idleBusy, idleWaitSeconds);
          long[] cpu0 = cpuJiffies();
          long t0 = System.nanoTime();
          Map<String, String> res = runChildJvm(classPath, s, quick);
          double wallMs = (System.nanoTime() - t0) / 1e6;
          long[] cpu1 = cpuJiffies();
          // CPU time other processes used while the child ran, as a share of all cores.
          double busyMs = (cpu1[0] - cpu0[0]) * 10.0;
          double childMs = Double.parseDouble(res.getOrDefault("cpu.process.ms", "0"));
          double foreign = cpu0[1] == 0 ? 0
              : Math.max(0, busyMs - childMs)
                  / (wallMs * Runtime.getRuntime().availableProcessors());
          res.put("foreign", String.format(Locale.ROOT, "%.2f", foreign));
          System.out.printf(
              Locale.ROOT,
              "  round %d  %-36s %5.1f s  (waited %3.0f s for idle; other processes took %3.0f%%"
                  + " of the cores meanwhile%s)%n",
              r + 1,
              s.label(),
              wallMs / 1e3,
              waited,
              100 * foreign,
              foreign > maxOther && attempt < attempts ? ": discarded, again" : "");
          if (best == null
              || foreign < Double.parseDouble(best.get("foreign"))) {
            best = res;
          }
          if (foreign <= maxOther) {
            break;
          }
        }
        results.get(s).add(best);
      }
    }
    System.out.println();
    printTables(settings, results);
  }

  private static void printTables(
      List<Setting> settings, Map<Setting, List<Map<String, String>>> results) {
    Map<Setting, Map<String, Double>> med = new LinkedHashMap<>();
    for (Setting s : settings) {
      Map<String, Double> m = new LinkedHashMap<>();
      for (String[] metric : METRICS) {
        List<Double> vs = new ArrayList<>();
        for (Map<String, String> r : results.get(s)) {
          vs.add(Double.parseDouble(r.get(metric[0])));
        }
        m.put(metric[0], median(vs));
      }
      med.put(s, m);
    }

    Map<String, String> first = results.get(settings.get(0)).get(0);
    System.out.println(
        "nd4j " + first.get("info.nd4j.version") + ", " + first.get("info.blas.vendor")
            + "; median over rounds of per-run medians; ms per training step (lower is better),"
            + " GF/s (higher is better); other = most CPU other processes took during a run");
    StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-36s %-26s", "setting",
        "loaded: build omp/pool/master/blas"));
    for (String[] metric : METRICS) {
      h.append(String.format(Locale.ROOT, " %15s", metric[1]));
    }
    h.append(String.format(Locale.ROOT, " %8s", "other"));
    System.out.println(h);
    System.out.println("-".repeat(h.length()));
    for (Setting s : settings) {
      Map<String, String> r = results.get(s).get(0);
      String loaded =
          shortBuild(r.get("info.nd4j.nativeBuild")) + " " + r.get("info.omp.threads") + "/"
              + r.get("info.nd4j.poolThreads") + "/" + r.get("info.nd4j.masterThreads") + "/"
              + r.get("info.blas.threads");
      StringBuilder line =
          new StringBuilder(String.format(Locale.ROOT, "%-36s %-26s", s.label(), loaded));
      for (String[] metric : METRICS) {
        line.append(String.format(Locale.ROOT, " %15.2f", med.get(s).get(metric[0])));
      }
      double foreign = 0;
      for (Map<String, String> run : results.get(s)) {
        foreign = Math.max(foreign, Double.parseDouble(run.get("foreign")));
      }
      line.append(String.format(Locale.ROOT, " %7.0f%%", 100 * foreign));
      System.out.println(line);
    }

    // Speed-ups against the generic build with ND4J's own thread counts (omp=2 blas=2 on 2 cores).
    Setting base = settings.get(0);
    System.out.println();
    System.out.println("speed-up vs '" + base.label() + "' (>1 = faster)");
    for (Setting s : settings) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-36s %-26s", s.label(),
          ""));
      for (String[] metric : METRICS) {
        double v = med.get(s).get(metric[0]);
        double b = med.get(base).get(metric[0]);
        double ratio = metric[2].equals("ms") ? b / v : v / b;
        line.append(String.format(Locale.ROOT, " %14.2fx", ratio));
      }
      System.out.println(line);
    }

    // oneDNN vs generic at equal thread settings.
    boolean header = false;
    for (Setting s : settings) {
      if (s.build() != NativeBuild.ONEDNN_AVX2) {
        continue;
      }
      Setting g = new Setting(NativeBuild.GENERIC, s.omp(), s.blas(), s.envOmp());
      if (!med.containsKey(g)) {
        continue;
      }
      if (!header) {
        System.out.println();
        System.out.println("onednn-avx2 vs generic at the same threads (>1 = onednn faster)");
        header = true;
      }
      String threads = s.label().substring(s.label().indexOf(", ") + 2);
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-36s %-26s", threads,
          ""));
      for (String[] metric : METRICS) {
        double v = med.get(s).get(metric[0]);
        double b = med.get(g).get(metric[0]);
        double ratio = metric[2].equals("ms") ? b / v : v / b;
        line.append(String.format(Locale.ROOT, " %14.2fx", ratio));
      }
      System.out.println(line);
    }

    System.out.println();
    System.out.println("spread between rounds (max/min of per-run medians, 1.00 = identical):");
    double worst = 1;
    String worstAt = "";
    for (Setting s : settings) {
      for (String[] metric : METRICS) {
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (Map<String, String> r : results.get(s)) {
          double v = Double.parseDouble(r.get(metric[0]));
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        if (hi / lo > worst) {
          worst = hi / lo;
          worstAt = s.label() + " " + metric[1];
        }
      }
    }
    System.out.printf(Locale.ROOT, "  worst %.2f (%s)%n", worst, worstAt);
    System.out.println("sanity (loss first -> last step, per setting, round 1):");
    for (Setting s : settings) {
      Map<String, String> r = results.get(s).get(0);
      System.out.printf(
          Locale.ROOT,
          "  %-36s mlp32 %s, mlp64 %s, cnn32 %s, gemm==mmul %s%n",
          s.label(),
          r.get("mlp32.loss"),
          r.get("mlp64.loss"),
          r.get("cnn32.loss"),
          r.get("gemm.matches"));
    }
  }

  /**
   * Busy and total CPU time of the machine in jiffies (1/100 s) from {@code /proc/stat}, or
   * {@code {0, 0}} where it is missing.
   */
  static long[] cpuJiffies() {
    try {
      String first = java.nio.file.Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = first.trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  /**
   * Waits until the machine is idle: less than {@code maxBusy} of all cores busy over a 1 s
   * sample (other developers' builds would take cores from the measured JVM). Gives up after
   * {@code maxSeconds}. Returns the seconds waited.
   */
  static double waitForIdle(double maxBusy, int maxSeconds) throws InterruptedException {
    long t0 = System.nanoTime();
    while (System.nanoTime() - t0 < maxSeconds * 1_000_000_000L) {
      long[] a = cpuJiffies();
      Thread.sleep(1000);
      long[] b = cpuJiffies();
      if (b[1] == a[1] || (double) (b[0] - a[0]) / (b[1] - a[1]) < maxBusy) {
        break;
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static String shortBuild(String classifier) {
    if (classifier == null) {
      return "?";
    }
    return classifier.endsWith("-onednn-avx2") ? "onednn-avx2"
        : classifier.equals("linux-x86_64") ? "generic" : classifier;
  }

  private static double median(List<Double> vs) {
    double[] a = vs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = a.length;
    return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  private static Map<String, String> runChildJvm(String classPath, Setting s, boolean quick)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx3g");
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(BackendBench.class.getName());
    cmd.add(CHILD);
    cmd.add(s.build().name());
    cmd.add(Integer.toString(s.omp()));
    cmd.add(Integer.toString(s.blas()));
    if (quick) {
      cmd.add("--quick");
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    // Each setting controls threads itself; an inherited OMP_NUM_THREADS would override them.
    pb.environment().remove("OMP_NUM_THREADS");
    pb.environment().remove("SD_MAX_THREADS");
    pb.environment().remove("SD_MASTER_THREADS");
    if (s.envOmp() != null) {
      pb.environment().put("OMP_NUM_THREADS", s.envOmp());
    }
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("child JVM failed for " + s.label() + ":\n" + out);
    }
    Map<String, String> res = new HashMap<>();
    for (String line : out.split("\n")) {
      if (line.startsWith(RESULT)) {
        String kv = line.substring(RESULT.length()).trim();
        int eq = kv.indexOf('=');
        res.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    for (String[] metric : METRICS) {
      if (!res.containsKey(metric[0])) {
        throw new IllegalStateException("child JVM for " + s.label() + " reported no "
            + metric[0] + ":\n" + out);
      }
    }
    return res;
  }

  /**
   * The class path the children need: the URLs of this class's loader chain when it is a
   * {@link URLClassLoader} (as under {@code mvn exec:java}), else {@code java.class.path}.
   */
  static String childClassPath() {
    Set<String> entries = new LinkedHashSet<>();
    for (ClassLoader cl = BackendBench.class.getClassLoader(); cl != null; cl = cl.getParent()) {
      if (cl instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (URISyntaxException | IllegalArgumentException e) {
            // not a file URL; children cannot use it
          }
        }
      }
    }
    String joined = String.join(File.pathSeparator, entries);
    return joined.contains("nd4j") ? joined : System.getProperty("java.class.path");
  }

  // ----------------------------------------------------------------------------------- child

  private static void runChild(String[] args) {
    NativeBuild build = NativeBuild.valueOf(args[1]);
    int omp = Integer.parseInt(args[2]);
    int blas = Integer.parseInt(args[3]);
    boolean quick = Arrays.asList(args).contains("--quick");
    Nd4jBackend backend =
        Nd4jBackend.start(BackendOptions.builder().nativeBuild(build).ompThreads(omp)
            .blasThreads(blas).build());
    BackendInfo info = backend.info();
    info.asMap().forEach((k, v) -> result("info." + k, v));
    backend.seedRandom(42);

    int mlpWarm = quick ? 5 : 20;
    int mlpSteps = quick ? 10 : 60;
    int cnnWarm = quick ? 2 : 3;
    int cnnSteps = quick ? 4 : 15;
    int mmWarm = quick ? 2 : 3;
    int mmReps = quick ? 4 : 15;

    Step mlp32 = mlp(DataType.FLOAT);
    result("mlp32.ms", fmt(mlp32.timeMs(mlpWarm, mlpSteps)));
    result("mlp32.loss", mlp32.lossTrend());
    Step mlp64 = mlp(DataType.DOUBLE);
    result("mlp64.ms", fmt(mlp64.timeMs(mlpWarm, mlpSteps)));
    result("mlp64.loss", mlp64.lossTrend());
    Step cnn = cnn();
    result("cnn32.ms", fmt(cnn.timeMs(cnnWarm, cnnSteps)));
    result("cnn32.loss", cnn.lossTrend());

    int n = 1024;
    INDArray x = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray y = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray c = Nd4j.create(DataType.FLOAT, n, n);
    double flop = 2.0 * n * n * n;
    double mmulMs = medianMs(mmWarm, mmReps, () -> x.mmul(y));
    double gemmMs =
        medianMs(mmWarm, mmReps, () -> Nd4j.getBlasWrapper().level3().gemm(x, y, c, false, false,
            1.0, 0.0));
    result("mmul.gflops", fmt(flop / (mmulMs * 1e6)));
    result("gemm.gflops", fmt(flop / (gemmMs * 1e6)));
    result("gemm.matches", Boolean.toString(c.equalsWithEps(x.mmul(y), 1e-2)));
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      result("cpu.process.ms", fmt(sun.getProcessCpuTime() / 1e6));
    }
    System.out.flush();
  }

  private static void result(String key, String value) {
    System.out.println(RESULT + key + "=" + value);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static double medianMs(int warm, int reps, Runnable r) {
    for (int i = 0; i < warm; i++) {
      r.run();
    }
    double[] t = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      r.run();
      t[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(t);
    return reps % 2 == 1 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
  }

  /** A SameDiff model with fixed data and an SGD step on it. */
  private static final class Step {
    private final SameDiff sd;
    private final Map<String, INDArray> feed;
    private final List<String> params;
    private final double lr;
    private double firstLoss = Double.NaN;

    Step(SameDiff sd, Map<String, INDArray> feed, List<String> params, double lr) {
      this.sd = sd;
      this.feed = feed;
      this.params = params;
      this.lr = lr;
    }

    void run() {
      Map<String, INDArray> grads = sd.calculateGradients(feed, params);
      for (String p : params) {
        sd.getArrForVarName(p).subi(grads.get(p).muli(lr));
      }
    }

    double loss() {
      return sd.output(feed, "loss").get("loss").getDouble(0);
    }

    double timeMs(int warm, int steps) {
      firstLoss = loss();
      return medianMs(warm, steps, this::run);
    }

    String lossTrend() {
      return String.format(Locale.ROOT, "%.3f->%.3f", firstLoss, loss());
    }
  }

  private static final int BATCH = 100;

  private static INDArray oneHot(DataType dt, int rows, int classes) {
    INDArray y = Nd4j.zeros(dt, rows, classes);
    java.util.Random rnd = new java.util.Random(7);
    for (int i = 0; i < rows; i++) {
      y.putScalar(i, rnd.nextInt(classes), 1.0);
    }
    return y;
  }

  private static SDVariable dense(SameDiff sd, String name, SDVariable in, DataType dt, int fanIn,
      int fanOut) {
    SDVariable w = sd.var(name + "_w",
        Nd4j.randn(dt, fanIn, fanOut).muli(Math.sqrt(2.0 / fanIn)));
    SDVariable b = sd.var(name + "_b", Nd4j.zeros(dt, fanOut));
    return in.mmul(w).add(b);
  }

  private static Step mlp(DataType dt) {
    SameDiff sd = SameDiff.create();
    SDVariable x = sd.placeHolder("x", dt, -1, 784);
    SDVariable y = sd.placeHolder("y", dt, -1, 10);
    SDVariable h1 = sd.nn().relu(dense(sd, "l1", x, dt, 784, 256), 0);
    SDVariable h2 = sd.nn().relu(dense(sd, "l2", h1, dt, 256, 256), 0);
    SDVariable logits = dense(sd, "l3", h2, dt, 256, 10);
    sd.loss().softmaxCrossEntropy("loss", y, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT,
        0.0);
    sd.setLossVariables("loss");
    Map<String, INDArray> feed = new HashMap<>();
    feed.put("x", Nd4j.rand(dt, BATCH, 784));
    feed.put("y", oneHot(dt, BATCH, 10));
    return new Step(sd, feed,
        List.of("l1_w", "l1_b", "l2_w", "l2_b", "l3_w", "l3_b"), 0.05);
  }

  private static Step cnn() {
    DataType dt = DataType.FLOAT;
    SameDiff sd = SameDiff.create();
    SDVariable x = sd.placeHolder("x", dt, -1, 1, 28, 28);
    SDVariable y = sd.placeHolder("y", dt, -1, 10);
    Conv2DConfig conv = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1)
        .paddingMode(PaddingMode.SAME).dataFormat("NCHW").build();
    Pooling2DConfig pool = Pooling2DConfig.builder().kH(2).kW(2).sH(2).sW(2)
        .paddingMode(PaddingMode.VALID).isNHWC(false).build();
    SDVariable w1 = sd.var("c1_w", Nd4j.randn(dt, 3, 3, 1, 32).muli(Math.sqrt(2.0 / 9)));
    SDVariable b1 = sd.var("c1_b", Nd4j.zeros(dt, 32));
    SDVariable w2 = sd.var("c2_w", Nd4j.randn(dt, 3, 3, 32, 64).muli(Math.sqrt(2.0 / 288)));
    SDVariable b2 = sd.var("c2_b", Nd4j.zeros(dt, 64));
    SDVariable a1 = sd.cnn().maxPooling2d(sd.nn().relu(sd.cnn().conv2d(x, w1, b1, conv), 0), pool);
    SDVariable a2 =
        sd.cnn().maxPooling2d(sd.nn().relu(sd.cnn().conv2d(a1, w2, b2, conv), 0), pool);
    SDVariable flat = a2.reshape(-1, 64 * 7 * 7);
    SDVariable logits = dense(sd, "fc", flat, dt, 64 * 7 * 7, 10);
    sd.loss().softmaxCrossEntropy("loss", y, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT,
        0.0);
    sd.setLossVariables("loss");
    Map<String, INDArray> feed = new HashMap<>();
    feed.put("x", Nd4j.rand(dt, BATCH, 1, 28, 28));
    feed.put("y", oneHot(dt, BATCH, 10));
    return new Step(sd, feed, List.of("c1_w", "c1_b", "c2_w", "c2_b", "fc_w", "fc_b"), 0.05);
  }
}
