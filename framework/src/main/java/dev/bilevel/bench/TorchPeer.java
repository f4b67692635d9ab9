package dev.bilevel.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PerfBench section 1's PyTorch peer: {@code scripts/torch_reference.py --serve} on one thread,
 * asked for blocks of plain steps between blocks of ours. This machine's speed drifts by tens of
 * percent within minutes (fourteen one-shot runs put the MLP ratio between 0.53x and 2.17x,
 * docs/performance.md), so the ratio has to compare steps taken in the same seconds, as section 2
 * does for the meta-iterations.
 */
final class TorchPeer implements AutoCloseable {
  private final Process process;
  private final BufferedReader in;
  private final PrintWriter out;
  private final JsonNode info;

  private TorchPeer(Process process, BufferedReader in, PrintWriter out, JsonNode info) {
    this.process = process;
    this.in = in;
    this.out = out;
    this.info = info;
  }

  /** The peer once its models are warm; null, with the reason printed, when it cannot run. */
  static TorchPeer start(Path script, boolean quick) {
    if (script == null) {
      System.out.println("torch column: n/a (scripts/torch_reference.py not found from "
          + Path.of("").toAbsolutePath() + "; pass --torch-script)");
      return null;
    }
    Path python = Path.of("/usr/bin/python3");
    if (!Files.isExecutable(python)) {
      System.out.println("torch column: n/a (no /usr/bin/python3)");
      return null;
    }
    List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "--threads",
        "1", "--serve"));
    if (quick) {
      cmd.add("--quick");
    }
    Process p = null;
    Path err = null;
    try {
      // stderr to a file, not a pipe nobody drains: its last line is the reason when start fails.
      err = Files.createTempFile("torch-peer", ".err");
      err.toFile().deleteOnExit();
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
      pb.environment().put("OMP_NUM_THREADS", "1");
      pb.environment().put("OPENBLAS_NUM_THREADS", "1");
      p = pb.start();
      BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8));
      PrintWriter out = new PrintWriter(new OutputStreamWriter(p.getOutputStream(),
          StandardCharsets.UTF_8), true);
      String line = in.readLine();
      if (line == null || !line.startsWith("READY ")) {
        p.waitFor(10, TimeUnit.SECONDS);
        String reason = !p.isAlive() && p.exitValue() == 3 ? "torch not importable"
            : line != null ? "the peer said " + line
            : "the peer ended: " + Files.readString(err).strip().lines()
                .reduce((a, b) -> b).orElse("no message");
        System.out.println("torch column: n/a (" + reason + ")");
        p.destroy();
        return null;
      }
      return new TorchPeer(p, in, out, new ObjectMapper().readTree(line.substring(6)));
    } catch (IOException e) {
      System.out.println("torch column: n/a (" + e.getMessage() + ")");
      if (p != null) {
        p.destroy();
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroy();
      return null;
    }
  }

  /** The peer's version, thread count, oneDNN and the BLAS it mapped. */
  JsonNode info() {
    return info;
  }

  /** Milliseconds of each of {@code n} plain steps of {@code model}: mlp, cnn or cnn_cl. */
  double[] run(String model, int n) throws IOException {
    out.println("RUN " + model + " " + n);
    String line = in.readLine();
    String prefix = "TIMES " + model + " ";
    if (line == null || !line.startsWith(prefix)) {
      throw new IOException("the PyTorch peer answered " + (line == null ? "nothing" : line)
          + " to RUN " + model + " " + n);
    }
    String[] f = line.substring(prefix.length()).split(",");
    double[] t = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      t[i] = Double.parseDouble(f[i]);
    }
    return t;
  }

  @Override
  public void close() {
    out.println("QUIT");
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroy();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
    }
  }

  /** scripts/torch_reference.py in this folder or the nearest parent that has one. */
  static Path findScript() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path s = d.resolve("scripts/torch_reference.py");
      if (Files.isRegularFile(s)) {
        return s;
      }
    }
    return null;
  }
}
