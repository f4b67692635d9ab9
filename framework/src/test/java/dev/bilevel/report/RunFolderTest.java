package dev.bilevel.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFolderTest {

  @TempDir Path tmp;

  @Test
  void createsLayoutInMissingFolder() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("runs/mwn-1"));

    assertThat(run.root()).isEqualTo(tmp.resolve("runs/mwn-1").toAbsolutePath());
    assertThat(run.isResumed()).isFalse();
    assertThat(run.plotsDir()).isDirectory();
    assertThat(run.checkpointsDir()).isDirectory();
    assertThat(run.metricsCsv()).isEqualTo(run.root().resolve("metrics.csv"));
    assertThat(run.metricsJsonl()).isEqualTo(run.root().resolve("metrics.jsonl"));
    assertThat(run.provenanceJson()).isEqualTo(run.root().resolve("provenance.json"));
    assertThat(run.reportMd()).isEqualTo(run.root().resolve("report.md"));
    assertThat(run.plot("test-accuracy")).isEqualTo(run.root().resolve("plots/test-accuracy.png"));
    assertThat(run.relativize(run.plot("test-accuracy"))).isEqualTo("plots/test-accuracy.png");
  }

  @Test
  void acceptsExistingEmptyFolder() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("out"));

    assertThat(RunFolder.create(dir).plotsDir()).isDirectory();
  }

  @Test
  void refusesNonEmptyFolderNamingTheFolderAndTheFixes() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("out"));
    Files.writeString(dir.resolve("metrics.csv"), "step,loss\n");

    assertThatThrownBy(() -> RunFolder.create(dir))
        .isInstanceOf(RunFolderInUseException.class)
        .hasMessage("Run folder " + dir.toAbsolutePath() + " is not empty. Pass --resume to"
            + " continue the run in it, or choose another folder with --out.")
        .satisfies(e -> assertThat(((RunFolderInUseException) e).folder())
            .isEqualTo(dir.toAbsolutePath()));
    assertThat(dir.resolve("plots")).doesNotExist();
  }

  @Test
  void refusesAFileAsFolder() throws IOException {
    Path file = Files.writeString(tmp.resolve("out"), "x");

    assertThatThrownBy(() -> RunFolder.create(file)).isInstanceOf(RunFolderInUseException.class);
    assertThatThrownBy(() -> RunFolder.resume(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot resume in " + file.toAbsolutePath()
            + ": it is a file, not a run folder.");
  }

  @Test
  void resumeReusesNonEmptyFolderAndKeepsItsFiles() throws IOException {
    RunFolder first = RunFolder.create(tmp.resolve("out"));
    Files.writeString(first.metricsCsv(), "step,loss\n0,1.0\n");

    RunFolder again = RunFolder.resume(tmp.resolve("out"));

    assertThat(again.isResumed()).isTrue();
    assertThat(again.root()).isEqualTo(first.root());
    assertThat(Files.readString(again.metricsCsv())).isEqualTo("step,loss\n0,1.0\n");
  }

  @Test
  void plotNamesCannotEscapeThePlotsFolder() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("out"));

    for (String bad : new String[] {"../x", "a/b", ".hidden", "", "-flag"}) {
      assertThatThrownBy(() -> run.plot(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Plot name '" + bad + "' must be a plain file name");
    }
    assertThatThrownBy(() -> run.relativize(tmp.resolve("elsewhere.png")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not inside the run folder");
  }
}
