package dev.bilevel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final BilevelCli cli = new BilevelCli(List.of(), ps, ps);

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void reportsEachEstimatorAgainstExactReverseMode(@TempDir Path dir) throws Exception {
    int code = cli.execute("check", "ridge", "--steps", "4", "--warmup", "10", "--estimators",
        "reverse,forward,one-step,first-order", "--no-memory", "--out", dir.toString());

    assertThat(code).as(output()).isZero();
    assertThat(output()).contains("| estimator | keeps | cosine | rel. error |");
    // The exact estimators agree with the reference to six decimals.
    assertThat(output()).containsPattern("\\| reverse \\| [^|]+ \\| 1\\.000000 \\|");
    assertThat(output()).containsPattern("\\| forward \\| [^|]+ \\| 1\\.000000 \\|");
    assertThat(output()).containsPattern("\\| first-order \\| [^|]+ \\| – \\(g = 0\\) \\|");
    assertThat(Files.readString(dir.resolve("quality-ridge.csv")).lines()).hasSize(5);
    assertThat(dir.resolve("quality-ridge.md")).exists();
  }

  @Test
  void anUnknownProblemIsNamedWithTheAvailableOnes() {
    int code = cli.execute("check", "lasso");

    assertThat(code).isEqualTo(1);
    assertThat(output()).contains("error: Unknown problem 'lasso' for check. Available: ridge,"
        + " fashion-mlp.");
  }

  @Test
  void anUnknownEstimatorIsNamedWithTheAvailableOnes() {
    int code = cli.execute("check", "ridge", "--estimators", "evo", "--no-memory");

    assertThat(code).isEqualTo(1);
    assertThat(output()).contains("error: Unknown estimator 'evo'. Available: ");
  }
}
