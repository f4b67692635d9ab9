package dev.bilevel.backend;

import java.io.PrintStream;
import java.util.List;

/**
 * A {@code System.out} wrapper that drops the lines ND4J prints unconditionally with
 * {@code System.out.println} (there is no switch for them in 1.0.0-M2.1), e.g. SameDiff's
 * "Added differentiated op ..." for every op of a graph the first time its gradient is built.
 * Everything else passes through unchanged.
 */
final class ChatterFilter extends PrintStream {

  /** Prefixes of ND4J's unconditional stdout lines. */
  static final List<String> DROPPED_PREFIXES = List.of("Added differentiated op ");

  private final PrintStream target;

  private ChatterFilter(PrintStream target) {
    super(target, true);
    this.target = target;
  }

  /** Installs the filter on {@code System.out} unless it is already installed. */
  static void install() {
    synchronized (System.class) {
      PrintStream out = System.out;
      if (!(out instanceof ChatterFilter)) {
        System.setOut(new ChatterFilter(out));
      }
    }
  }

  /** Whether {@code System.out} currently filters ND4J's chatter. */
  static boolean installed() {
    return System.out instanceof ChatterFilter;
  }

  static boolean dropped(String line) {
    if (line == null) {
      return false;
    }
    for (String prefix : DROPPED_PREFIXES) {
      if (line.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void println(String x) {
    if (!dropped(x)) {
      target.println(x);
    }
  }

  @Override
  public void println(Object x) {
    if (!(x instanceof String s && dropped(s))) {
      target.println(x);
    }
  }
}
