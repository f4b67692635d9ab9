package dev.bilevel.backend;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a main class (by default {@link BackendProbeMain}) in a fresh JVM on the test class path:
 * the native build, like the rest of ND4J's global state, is fixed per JVM.
 */
public final class ChildJvm {

  /** What the child printed: its {@code key=value} lines, and all of its output. */
  public record Result(int exitCode, Map<String, String> values, String output) {
    public String get(String key) {
      String v = values.get(key);
      if (v == null) {
        throw new AssertionError("child printed no " + key + "; output:\n" + output);
      }
      return v;
    }
  }

  private static final Pattern KEY_VALUE = Pattern.compile("([a-zA-Z][\\w.]*)=(.*)");

  private ChildJvm() {}

  static Result run(List<String> jvmArgs, String... args) throws IOException, InterruptedException {
    return run(BackendProbeMain.class, jvmArgs, args);
  }

  /** {@code main} with these JVM options and arguments; its output is read whole. */
  public static Result run(Class<?> main, List<String> jvmArgs, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Process p = pb.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("child JVM timed out; output:\n" + out);
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      Matcher m = KEY_VALUE.matcher(line);
      if (m.matches()) {
        values.put(m.group(1), m.group(2).trim());
      }
    }
    return new Result(p.exitValue(), values, out);
  }

  /**
   * The test class path. Surefire may start the test JVM from a manifest-only jar; it then
   * publishes the real class path as {@code surefire.test.class.path}.
   */
  static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    if (surefire != null && surefire.contains("nd4j")) {
      return surefire;
    }
    String cp = System.getProperty("java.class.path");
    if (!cp.contains("nd4j")) {
      throw new IllegalStateException("cannot find the test class path (java.class.path=" + cp
          + ")");
    }
    return cp;
  }
}
