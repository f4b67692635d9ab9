package dev.bilevel.bench;

import dev.bilevel.backend.BackendInfo;
import dev.bilevel.backend.BackendOptions;
import dev.bilevel.backend.CpuFeatures;
import dev.bilevel.backend.NativeBuild;
import dev.bilevel.backend.Nd4jBackend;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
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
 * oneDNN + AVX2) and thread counts (compute threads 1 vs 2, BLAS threads 1 vs 2, and
 * {@code OMP_NUM_THREADS=1} in the environment), on the training steps this library runs.
 *
 * <p>Design. The native library loads once per JVM, so the driver (this main, without arguments)
 * starts one warm child JVM per build, plus one per build with {@code OMP_NUM_THREADS=1} in its
 * environment (that variable only acts when ND4J loads). Thread counts are switched inside a child
 * with {@link Nd4jBackend#withThreads}. The driver then runs short bursts of steps, one (child,
 * thread setting, workload) at a time, in a shuffled order, for {@code --rounds} rounds. Only one
 * child computes at any moment, and every setting is sampled all through the run. So slow drifts
 * and other processes on a shared machine hit all settings alike, and the ratios printed, taken
 * within one run, stay fair. The table also says how much CPU other processes took meanwhile.
 *
 * <p>Workloads, each per training step (forward + backward via {@code SameDiff.calculateGradients}
 * + an in-place SGD update), median over all timed steps:
 *
 * <ul>
 *   <li>MLP 784-256-256-10, ReLU, softmax cross-entropy, batch 100, FP32 and FP64;
 *   <li>CNN conv3x3 1&rarr;32, ReLU, maxpool2, conv3x3 32&rarr;64, ReLU, maxpool2, dense
 *       3136&rarr;10 on 1&times;28&times;28 inputs, batch 100, FP32;
 *   <li>1024&times;1024 FP32 matrix product, as {@code INDArray.mmul} (ND4J's matmul op, which the
 *       oneDNN build may hand to oneDNN) and as a direct BLAS {@code gemm} call (OpenBLAS), in
 *       GFLOP/s.
 * </ul>
 *
 * <p>Run: {@code mvn -q -pl framework compile exec:java
 * -Dexec.mainClass=dev.bilevel.bench.BackendBench [-Dexec.args="--rounds 12"]}, or
 * {@code java -cp <framework class path> dev.bilevel.bench.BackendBench}. Options:
 * {@code --rounds N} (default 12), {@code --quick} (3 rounds, for smoke runs),
 * {@code --builds GENERIC,ONEDNN_AVX2}, {@code --seed S} (burst order).
 */
public final class BackendBench {

  private static final String SERVE = "--serve";

  /** Workloads in table order: key, header, steps per burst, warm-up steps at child start. */
  private enum Workload {
    MLP32("MLP f32 ms", 8, 20),
    MLP64("MLP f64 ms", 8, 20),
    CNN32("CNN f32 ms", 2, 3),
    MMUL("mmul GF/s", 4, 3),
    GEMM("BLAS sgemm GF/s", 4, 3);

    final String header;
    final int burst;
    final int warmup;

    Workload(String header, int burst, int warmup) {
      this.header = header;
      this.burst = burst;
      this.warmup = warmup;
    }

    boolean isRate() {
      return this == MMUL || this == GEMM;
    }
  }

  private static final int MM_N = 1024;

  private BackendBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals(SERVE)) {
      serve(NativeBuild.valueOf(args[1]));
    } else {
      drive(args);
    }
  }

  // ---------------------------------------------------------------------------------- driver

  /** A thread setting inside one child: counts (0 = as loaded) and the child's environment. */
  record Setting(NativeBuild build, int omp, int blas, boolean envOmp1) {
    String label() {
      String b = build == NativeBuild.GENERIC ? "generic" : "onednn-avx2";
      return b + ", " + threads();
    }

    String threads() {
      return envOmp1 ? "env OMP_NUM_THREADS=1" : "omp=" + omp + " blas=" + blas;
    }
  }

  private record Task(Setting setting, Workload workload) {}

  /** Per (setting, workload): all timed samples in ms, and CPU other processes took. */
  private static final class Samples {
    final List<Double> ms = new ArrayList<>();
    double wallMs;
    double foreignMs;
    String readback = "";
  }

  private static void drive(String[] args) throws Exception {
    int rounds = 12;
    long seed = 1;
    List<NativeBuild> builds = List.of(NativeBuild.GENERIC, NativeBuild.ONEDNN_AVX2);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--quick" -> rounds = 3;
        case "--seed" -> seed = Long.parseLong(args[++i]);
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

    CpuFeatures cpu = CpuFeatures.detect();
    System.out.println("BackendBench: " + cpu.describe() + "; java " + Runtime.version());

    List<Setting> settings = new ArrayList<>();
    Map<Setting, Child> childOf = new LinkedHashMap<>();
    List<Child> children = new ArrayList<>();
    String classPath = childClassPath();
    try {
      for (NativeBuild b : builds) {
        Child plain = Child.start(classPath, b, false);
        Child env1 = Child.start(classPath, b, true);
        children.add(plain);
        children.add(env1);
        for (int[] t : new int[][] {{2, 2}, {2, 1}, {1, 2}, {1, 1}}) {
          Setting s = new Setting(b, t[0], t[1], false);
          settings.add(s);
          childOf.put(s, plain);
        }
        Setting s = new Setting(b, 0, 0, true);
        settings.add(s);
        childOf.put(s, env1);
      }
      for (Child c : children) {
        c.awaitReady();
      }

      List<Task> tasks = new ArrayList<>();
      for (Setting s : settings) {
        for (Workload w : Workload.values()) {
          tasks.add(new Task(s, w));
        }
      }
      System.out.printf(
          Locale.ROOT,
          "  %d settings x %d workloads, %d rounds of shuffled bursts, %d warm child JVMs%n",
          settings.size(), Workload.values().length, rounds, children.size());

      Map<Task, Samples> samples = new HashMap<>();
      tasks.forEach(t -> samples.put(t, new Samples()));
      Random order = new Random(seed);
      int cores = Runtime.getRuntime().availableProcessors();
      long t0 = System.nanoTime();
      for (int r = 0; r < rounds; r++) {
        List<Task> shuffled = new ArrayList<>(tasks);
        Collections.shuffle(shuffled, order);
        for (Task t : shuffled) {
          Child c = childOf.get(t.setting());
          long[] cpu0 = cpuJiffies();
          long w0 = System.nanoTime();
          Burst b = c.run(t.workload(), t.setting().omp(), t.setting().blas());
          double wallMs = (System.nanoTime() - w0) / 1e6;
          long[] cpu1 = cpuJiffies();
          Samples s = samples.get(t);
          s.ms.addAll(b.ms());
          s.readback = b.readback();
          s.wallMs += wallMs * cores;
          if (cpu0[1] != 0) {
            s.foreignMs += Math.max(0, (cpu1[0] - cpu0[0]) * 10.0 - b.cpuMs());
          }
        }
        System.out.printf(Locale.ROOT, "  round %2d done, %5.0f s%n", r + 1,
            (System.nanoTime() - t0) / 1e9);
      }
      Map<Child, String> losses = new LinkedHashMap<>();
      for (Child c : children) {
        losses.put(c, c.quit());
      }
      System.out.println();
      printTables(settings, samples, children.get(0).info);
      System.out.println();
      System.out.println("sanity: loss before -> after all steps, and BLAS gemm == mmul:");
      for (Map.Entry<Child, String> e : losses.entrySet()) {
        System.out.printf(Locale.ROOT, "  %-34s %s%n", e.getKey().label(), e.getValue());
      }
    } finally {
      for (Child c : children) {
        c.destroy();
      }
    }
  }

  private static void printTables(
      List<Setting> settings, Map<Task, Samples> samples, Map<String, String> info) {
    Map<Setting, Map<Workload, Double>> value = new LinkedHashMap<>();
    for (Setting s : settings) {
      Map<Workload, Double> m = new LinkedHashMap<>();
      for (Workload w : Workload.values()) {
        double ms = median(samples.get(new Task(s, w)).ms);
        m.put(w, w.isRate() ? 2.0 * MM_N * MM_N * MM_N / (ms * 1e6) : ms);
      }
      value.put(s, m);
    }
    System.out.println(
        "nd4j " + info.get("nd4j.version") + ", " + info.get("blas.vendor") + "; medians over all"
            + " timed steps; ms per training step (lower is better), GF/s (higher is better)");
    System.out.println(
        "loaded = build omp/pool/master/blas threads read back; other = CPU share other processes"
            + " took during the setting's bursts");
    StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-34s %-21s", "setting",
        "loaded"));
    for (Workload w : Workload.values()) {
      h.append(String.format(Locale.ROOT, " %15s", w.header));
    }
    h.append(String.format(Locale.ROOT, " %6s", "other"));
    System.out.println(h);
    System.out.println("-".repeat(h.length()));
    for (Setting s : settings) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-34s %-21s", s.label(),
          samples.get(new Task(s, Workload.MLP32)).readback));
      double wall = 0;
      double foreign = 0;
      for (Workload w : Workload.values()) {
        line.append(String.format(Locale.ROOT, " %15.2f", value.get(s).get(w)));
        wall += samples.get(new Task(s, w)).wallMs;
        foreign += samples.get(new Task(s, w)).foreignMs;
      }
      line.append(String.format(Locale.ROOT, " %5.0f%%", 100 * foreign / wall));
      System.out.println(line);
    }

    Setting base = settings.get(0);
    System.out.println();
    System.out.println("speed-up vs '" + base.label() + "' (>1 = faster)");
    for (Setting s : settings) {
      System.out.println(ratioLine(s.label(), value.get(s), value.get(base)));
    }

    boolean header = false;
    for (Setting s : settings) {
      Setting g = new Setting(NativeBuild.GENERIC, s.omp(), s.blas(), s.envOmp1());
      if (s.build() != NativeBuild.ONEDNN_AVX2 || !value.containsKey(g)) {
        continue;
      }
      if (!header) {
        System.out.println();
        System.out.println("onednn-avx2 vs generic at the same threads (>1 = onednn faster)");
        header = true;
      }
      System.out.println(ratioLine(s.threads(), value.get(s), value.get(g)));
    }
  }

  private static String ratioLine(String label, Map<Workload, Double> v, Map<Workload, Double> b) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-34s %-21s", label, ""));
    for (Workload w : Workload.values()) {
      double ratio = w.isRate() ? v.get(w) / b.get(w) : b.get(w) / v.get(w);
      line.append(String.format(Locale.ROOT, " %14.2fx", ratio));
    }
    return line.toString();
  }

  private static double median(List<Double> vs) {
    double[] a = vs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = a.length;
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  /**
   * Busy and total CPU time of the machine in jiffies (1/100 s) from {@code /proc/stat}, or
   * {@code {0, 0}} where it is missing.
   */
  static long[] cpuJiffies() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
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

  /** One burst's result: timed samples (ms), the child's CPU time, threads read back. */
  private record Burst(List<Double> ms, double cpuMs, String readback) {}

  /** A warm child JVM with one native build, driven over stdin/stdout. */
  private static final class Child {
    final NativeBuild build;
    final boolean envOmp1;
    final Process process;
    final BufferedReader out;
    final BufferedWriter in;
    final List<String> log = new ArrayList<>();
    Map<String, String> info = new LinkedHashMap<>();

    private Child(NativeBuild build, boolean envOmp1, Process process) {
      this.build = build;
      this.envOmp1 = envOmp1;
      this.process = process;
      this.out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = new BufferedWriter(
          new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    }

    String label() {
      return new Setting(build, 0, 0, envOmp1).label().replace(", omp=0 blas=0", "");
    }

    static Child start(String classPath, NativeBuild build, boolean envOmp1) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xmx2g");
      cmd.add("-cp");
      cmd.add(classPath);
      cmd.add(BackendBench.class.getName());
      cmd.add(SERVE);
      cmd.add(build.name());
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      // Thread counts are set per burst; only the env children get OMP_NUM_THREADS.
      pb.environment().remove("OMP_NUM_THREADS");
      pb.environment().remove("SD_MAX_THREADS");
      pb.environment().remove("SD_MASTER_THREADS");
      if (envOmp1) {
        pb.environment().put("OMP_NUM_THREADS", "1");
      }
      return new Child(build, envOmp1, pb.start());
    }

    /** Reads until a line starting with {@code prefix}; returns its remainder. */
    String expect(String prefix) throws IOException {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith(prefix)) {
          return line.substring(prefix.length());
        }
        log.add(line);
      }
      throw new IllegalStateException(
          "child " + label() + " ended before '" + prefix.trim() + "':\n" + String.join("\n", log));
    }

    void awaitReady() throws IOException {
      for (String kv : expect("READY ").split("\t")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          info.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
    }

    Burst run(Workload w, int omp, int blas) throws IOException {
      send("RUN " + w.name() + " " + omp + " " + blas);
      String[] f = expect("TIMES ").split(" ");
      List<Double> ms = new ArrayList<>();
      for (String t : f[2].split(",")) {
        ms.add(Double.parseDouble(t));
      }
      return new Burst(ms, Double.parseDouble(f[0]), f[1].replace('_', ' '));
    }

    String quit() throws IOException {
      send("QUIT");
      return expect("LOSS ");
    }

    void send(String command) throws IOException {
      in.write(command);
      in.newLine();
      in.flush();
    }

    void destroy() {
      try {
        in.close();
      } catch (IOException e) {
        // already gone
      }
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
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

  private static void serve(NativeBuild build) throws IOException {
    Nd4jBackend backend =
        Nd4jBackend.start(BackendOptions.builder().nativeBuild(build).threads(0).build());
    backend.seedRandom(42);
    Map<Workload, Runnable> work = new LinkedHashMap<>();
    Step mlp32 = mlp(DataType.FLOAT);
    Step mlp64 = mlp(DataType.DOUBLE);
    Step cnn = cnn();
    INDArray x = Nd4j.rand(DataType.FLOAT, MM_N, MM_N);
    INDArray y = Nd4j.rand(DataType.FLOAT, MM_N, MM_N);
    INDArray c = Nd4j.create(DataType.FLOAT, MM_N, MM_N);
    work.put(Workload.MLP32, mlp32::run);
    work.put(Workload.MLP64, mlp64::run);
    work.put(Workload.CNN32, cnn::run);
    work.put(Workload.MMUL, () -> x.mmul(y));
    work.put(Workload.GEMM,
        () -> Nd4j.getBlasWrapper().level3().gemm(x, y, c, false, false, 1.0, 0.0));
    String losses0 = mlp32.loss() + " " + mlp64.loss() + " " + cnn.loss();
    for (Map.Entry<Workload, Runnable> e : work.entrySet()) {
      for (int i = 0; i < e.getKey().warmup; i++) {
        e.getValue().run();
      }
    }
    StringBuilder ready = new StringBuilder("READY ");
    backend.info().asMap().forEach((k, v) -> ready.append(k).append('=').append(v).append('\t'));
    System.out.println(ready);

    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    BufferedReader commands =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = commands.readLine()) != null) {
      String[] f = line.trim().split(" ");
      if (f[0].equals("QUIT")) {
        String[] l0 = losses0.split(" ");
        System.out.printf(
            Locale.ROOT,
            "LOSS mlp32 %.3f->%.3f, mlp64 %.3f->%.3f, cnn32 %.3f->%.3f, gemm==mmul %s%n",
            Double.parseDouble(l0[0]), mlp32.loss(), Double.parseDouble(l0[1]), mlp64.loss(),
            Double.parseDouble(l0[2]), cnn.loss(), c.equalsWithEps(x.mmul(y), 1e-2));
        break;
      }
      if (!f[0].equals("RUN")) {
        continue;
      }
      Workload w = Workload.valueOf(f[1]);
      int omp = Integer.parseInt(f[2]);
      int blas = Integer.parseInt(f[3]);
      long cpu0 = os.getProcessCpuTime();
      backend = backend.withThreads(omp, blas);
      Runnable r = work.get(w);
      r.run(); // one untimed step after switching threads
      StringBuilder times = new StringBuilder();
      for (int i = 0; i < w.burst; i++) {
        long t0 = System.nanoTime();
        r.run();
        times.append(i == 0 ? "" : ",")
            .append(String.format(Locale.ROOT, "%.4f", (System.nanoTime() - t0) / 1e6));
      }
      double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6;
      BackendInfo info = backend.info();
      String readback =
          shortBuild(info.nativeBuild()) + " " + info.ompThreads() + "/" + info.poolThreads() + "/"
              + info.masterThreads() + "/" + info.blasThreads();
      System.out.printf(Locale.ROOT, "TIMES %.3f %s %s%n", cpuMs, readback.replace(' ', '_'),
          times);
    }
    System.out.flush();
  }

  private static String shortBuild(String classifier) {
    return classifier.endsWith("-onednn-avx2") ? "onednn-avx2"
        : classifier.equals("linux-x86_64") ? "generic" : classifier;
  }

  /** A SameDiff model with fixed data and an SGD step on it. */
  private static final class Step {
    private final SameDiff sd;
    private final Map<String, INDArray> feed;
    private final List<String> params;
    private final double lr;

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
  }

  private static final int BATCH = 100;

  private static INDArray oneHot(DataType dt, int rows, int classes) {
    INDArray y = Nd4j.zeros(dt, rows, classes);
    Random rnd = new Random(7);
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
    // A small learning rate keeps the many benchmark steps from driving the loss to zero.
    return new Step(sd, feed, List.of("l1_w", "l1_b", "l2_w", "l2_b", "l3_w", "l3_b"), 1e-3);
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
    return new Step(sd, feed, List.of("c1_w", "c1_b", "c2_w", "c2_b", "fc_w", "fc_b"), 1e-3);
  }
}
