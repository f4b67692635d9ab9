package dev.bilevel.report;

import java.io.PrintStream;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** {@link Progress} backed by a {@link ProgressBar}; guards close and use after close. */
final class BarProgress implements Progress {

  /** Width of bars printed to a stream that is not a terminal (whose width is unknown). */
  static final int STREAM_WIDTH = 120;

  private final ProgressBar bar;
  private final AtomicBoolean closed = new AtomicBoolean();

  private BarProgress(ProgressBar bar) {
    this.bar = bar;
  }

  /** A bar on the console (standard error), sized and styled for the terminal. */
  static Progress onConsole(String task, long total) {
    return new BarProgress(builder(task, total).build());
  }

  /** A plain ASCII bar on {@code out}. */
  static Progress start(String task, long total, PrintStream out) {
    return new BarProgress(builder(task, total)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(out, STREAM_WIDTH))
        .build());
  }

  private static ProgressBarBuilder builder(String task, long total) {
    Objects.requireNonNull(task, "task");
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total < 1 ? -1 : total)
        .showSpeed()
        .setSpeedUnit(ChronoUnit.SECONDS)
        .setUpdateIntervalMillis(500);
  }

  @Override
  public void step() {
    if (!closed.get()) {
      bar.step();
    }
  }

  @Override
  public void stepBy(long n) {
    if (!closed.get()) {
      bar.stepBy(n);
    }
  }

  @Override
  public void setExtraMessage(String message) {
    if (!closed.get()) {
      // The renderer glues the message to the speed column; keep them apart.
      bar.setExtraMessage(" " + Objects.requireNonNull(message, "message"));
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      bar.close();
    }
  }
}
