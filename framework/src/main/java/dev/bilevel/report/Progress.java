package dev.bilevel.report;

import java.io.PrintStream;
import java.util.Objects;

/**
 * Progress of a long loop, as a console bar with throughput and ETA, or nothing.
 *
 * <p>Training code calls {@link #step()} and {@link #setExtraMessage(String)} and never decides
 * whether a bar is shown: it receives a {@link Factory}, and the command line picks {@link
 * Factory#auto()} (a bar only when attached to a terminal) while tests pick {@link
 * Factory#disabled()}. The bar itself is me.tongfei's {@code progressbar}.
 *
 * <pre>{@code
 * try (Progress p = progressFactory.start("mwn epoch 3", batches)) {
 *   for (Batch b : batches) {
 *     ...
 *     p.step();
 *     p.setExtraMessage(String.format("loss %.4f", loss));
 *   }
 * }
 * }</pre>
 */
public interface Progress extends AutoCloseable {

  /** Advances by one unit of work. Ignored after {@link #close()}. */
  void step();

  /** Advances by {@code n} units of work. Ignored after {@link #close()}. */
  void stepBy(long n);

  /** Replaces the short message shown after the bar, e.g. the current loss. */
  void setExtraMessage(String message);

  /** Finishes the bar. Closing again has no effect. */
  @Override
  void close();

  /** Progress that shows nothing. */
  static Progress noop() {
    return NoopProgress.INSTANCE;
  }

  /**
   * A bar printed to {@code out}, in ASCII, regardless of whether {@code out} is a terminal.
   *
   * @param task the label in front of the bar
   * @param total units of work, or a value below 1 if unknown (then no ETA is shown)
   */
  static Progress bar(String task, long total, PrintStream out) {
    Objects.requireNonNull(out, "out");
    return BarProgress.start(task, total, out);
  }

  /** Creates the {@link Progress} of each loop; inject one instead of choosing in the loop. */
  @FunctionalInterface
  interface Factory {

    /**
     * Starts tracking a loop.
     *
     * @param task the label in front of the bar
     * @param total units of work, or a value below 1 if unknown
     */
    Progress start(String task, long total);

    /**
     * Bars on standard error when the JVM is attached to a terminal, and nothing otherwise
     * (output redirected to a file, CI, tests), where a redrawn bar would only fill logs with
     * carriage returns.
     */
    static Factory auto() {
      return System.console() != null ? BarProgress::onConsole : disabled();
    }

    /** Never shows anything. */
    static Factory disabled() {
      return (task, total) -> NoopProgress.INSTANCE;
    }

    /** Always prints bars to {@code out}. */
    static Factory printingTo(PrintStream out) {
      Objects.requireNonNull(out, "out");
      return (task, total) -> BarProgress.start(task, total, out);
    }
  }
}
