package dev.bilevel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.bilevel.experiment.BilevelPlugin;
import dev.bilevel.experiment.Experiment;
import dev.bilevel.experiment.ExperimentContext;
import dev.bilevel.experiment.ExperimentOption;
import dev.bilevel.experiment.Experiments;
import dev.bilevel.experiment.OptionReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI with a plugin defined here: discovery by module, option parsing, method selection. */
class BilevelCliTest {
  static final AtomicReference<ExperimentContext> LAST = new AtomicReference<>();

  static final class Echo implements Experiment {
    @Override
    public String name() {
      return "echo";
    }

    @Override
    public String description() {
      return "records its context";
    }

    @Override
    public List<ExperimentOption> options() {
      return List.of(new ExperimentOption("rate", "0.4", "a rate"));
    }

    @Override
    public List<String> defaultMethods() {
      return List.of("plain", "one-step");
    }

    /** A rate outside [0, 1] and a seventh method are problems; both are reported. */
    @Override
    public List<String> check(Map<String, String> options, List<String> methods) {
      OptionReader r = new OptionReader(options);
      r.number("rate", x -> x >= 0 && x <= 1, "from 0 to 1");
      r.require(methods.size() <= 6, "at most 6 methods, got " + methods.size());
      return r.problems();
    }

    @Override
    public void run(ExperimentContext context) {
      LAST.set(context);
    }
  }

  static final class EchoPlugin implements BilevelPlugin {
    @Override
    public String name() {
      return "echo-plugin";
    }

    @Override
    public Module module() {
      return new AbstractModule() {
        @Override
        protected void configure() {
          Experiments.bind(binder()).addBinding().to(Echo.class);
        }
      };
    }
  }

  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final PrintStream ps = new PrintStream(buffer, true, StandardCharsets.UTF_8);

  @Test
  void listShowsPluginsExperimentsAndEstimators() {
    BilevelCli cli = new BilevelCli(List.of(new EchoPlugin()), ps, ps);
    assertThat(cli.execute("list")).isZero();
    assertThat(buffer.toString(StandardCharsets.UTF_8))
        .contains("echo-plugin", "echo", "records its context", "one-step", "evograd", "first-order");
  }

  @Test
  void runPassesOptionsMethodsAndSeeds(@TempDir Path tmp) {
    BilevelCli cli = new BilevelCli(List.of(new EchoPlugin()), ps, ps);
    assertThat(cli.execute("run", "echo", "--out", tmp.resolve("a").toString(), "--rate", "0.2",
        "--compare", "plain,evograd", "--seeds", "1,2,3")).isZero();
    ExperimentContext c = LAST.get();
    assertThat(c.number("rate")).isEqualTo(0.2);
    assertThat(c.methods()).containsExactly("plain", "evograd");
    assertThat(c.seeds()).containsExactly(1L, 2L, 3L);
    assertThat(c.resume()).isFalse();

    assertThat(cli.execute("run", "echo", "--out", tmp.resolve("b").toString())).isZero();
    assertThat(LAST.get().methods()).containsExactly("plain", "one-step");
    assertThat(LAST.get().string("rate")).isEqualTo("0.4");
  }

  @Test
  void errorsNameWhatIsAvailable(@TempDir Path tmp) {
    BilevelCli cli = new BilevelCli(List.of(new EchoPlugin()), ps, ps);
    assertThat(cli.execute("run", "echo", "--estimator", "bogus", "--out", tmp.resolve("c").toString())).isEqualTo(1);
    assertThat(cli.execute("run", "nothere")).isEqualTo(2);
    assertThat(cli.execute("run", "echo", "--estimator", "one-step", "--compare", "plain",
        "--out", tmp.resolve("d").toString())).isEqualTo(1);
    assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("Unknown estimator 'bogus'", "evograd");
  }

  @Test
  void theExperimentsCheckRunsBeforeTheRunFolderIsMadeAndReportsEverything(@TempDir Path tmp) {
    BilevelCli cli = new BilevelCli(List.of(new EchoPlugin()), ps, ps);
    Path dir = tmp.resolve("e");
    LAST.set(null);

    int code = cli.execute("run", "echo", "--out", dir.toString(), "--rate", "1.5", "--compare",
        "plain,one-step,evograd,reverse,drmad,neumann,first-order");

    assertThat(code).isEqualTo(1);
    assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("error: The options and methods of"
        + " 'echo' have 2 problems:\n  1) --rate must be a number from 0 to 1, got '1.5'\n  2) at most 6"
        + " methods, got 7\nSee: bilevel run echo --help");
    assertThat(dir).doesNotExist();
    assertThat(LAST.get()).isNull();
  }
}
