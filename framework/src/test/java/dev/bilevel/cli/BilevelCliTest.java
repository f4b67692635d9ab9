package dev.bilevel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.bilevel.experiment.BilevelPlugin;
import dev.bilevel.experiment.Experiment;
import dev.bilevel.experiment.ExperimentContext;
import dev.bilevel.experiment.ExperimentOption;
import dev.bilevel.experiment.Experiments;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
}
