package dev.bilevel.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MarkdownReportTest {

  @TempDir Path tmp;

  @Test
  void rendersBlocksInOrder() {
    MarkdownReport report = MarkdownReport.builder()
        .heading(1, "mwn-cifar10-noise40")
        .paragraph("Meta-Weight-Net against the **baseline**.\n")
        .table(List.of("method", "test acc", "epochs", "note"), List.of(
            Arrays.asList("baseline", 0.6734567, 100, "lr|0.1"),
            Arrays.asList("mwn", 0.7749, 100L, null)), 3)
        .image("Test accuracy", "plots/test-accuracy.png")
        .code("json", "{\"lr\": 0.1}")
        .build();

    assertThat(report.markdown()).isEqualTo(
        "# mwn-cifar10-noise40\n"
            + "\n"
            + "Meta-Weight-Net against the **baseline**.\n"
            + "\n"
            + "| method | test acc | epochs | note |\n"
            + "| --- | ---: | ---: | --- |\n"
            + "| baseline | 0.673 | 100 | lr\\|0.1 |\n"
            + "| mwn | 0.775 | 100 |  |\n"
            + "\n"
            + "![Test accuracy](plots/test-accuracy.png)\n"
            + "\n"
            + "```json\n"
            + "{\"lr\": 0.1}\n"
            + "```\n");
  }

  @Test
  void tableOfMetricRowsAndWrittenFileContainsRowsAndImageLinks() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    try (MetricsLog log = MetricsLog.create(run)) {
      log.append(new MetricRecord("r", "baseline", 9, 90, Map.of("test_acc", 0.81234)));
      log.append(new MetricRecord("r", "mwn", 9, 90, Map.of("test_acc", Double.NaN)));
      Path plot = run.plot("test-accuracy");

      MarkdownReport.builder()
          .heading(2, "Final epoch")
          .tableOfMaps(List.of("method", "epoch", "test_acc", "missing"), log.rows(), 2)
          .image("Test accuracy", run.relativize(plot))
          .build()
          .writeTo(run.reportMd());
    }

    assertThat(Files.readAllLines(run.reportMd())).containsExactly(
        "## Final epoch",
        "",
        "| method | epoch | test_acc | missing |",
        "| --- | ---: | ---: | ---: |",
        "| baseline | 9 | 0.81 |  |",
        "| mwn | 9 | NaN |  |",
        "",
        "![Test accuracy](plots/test-accuracy.png)");
  }

  @Test
  void codeFenceOutgrowsBackticksInTheCode() {
    String md = MarkdownReport.builder().code("", "use ``` fences\n").build().markdown();

    assertThat(md).isEqualTo("````\nuse ``` fences\n````\n");
  }

  @Test
  void fixedDecimalsDoNotDependOnTheDefaultLocale() {
    assertThat(MarkdownReport.Builder.format(1234.5, 2)).isEqualTo("1234.50");
    assertThat(MarkdownReport.Builder.format(0.125f, 0)).isEqualTo("0");
    assertThat(MarkdownReport.Builder.format(new java.math.BigDecimal("2.345"), 2))
        .isEqualTo("2.35");
    assertThat(MarkdownReport.Builder.format(Double.NEGATIVE_INFINITY, 2)).isEqualTo("-Infinity");
  }

  @Test
  void rejectsMalformedBlocks() {
    MarkdownReport.Builder b = MarkdownReport.builder();

    assertThatThrownBy(() -> b.heading(7, "x"))
        .hasMessage("Heading level must be 1 to 6 but was 7");
    assertThatThrownBy(() -> b.image("plot", "/abs/plots/a.png"))
        .hasMessage("Image path '/abs/plots/a.png' must be relative to the report and use '/'"
            + " separators, e.g. plots/accuracy.png");
    assertThatThrownBy(() -> b.table(List.of("a", "b"), List.of(List.of(1)), 2))
        .hasMessage("Table row 1 has 1 cells but the header has 2 columns.");
    assertThat(b.build().markdown()).isEmpty();
  }

  @Test
  void builtReportIsNotAffectedByLaterBlocks() {
    MarkdownReport.Builder b = MarkdownReport.builder().paragraph("one");
    MarkdownReport first = b.build();
    b.paragraph("two");

    assertThat(first.markdown()).isEqualTo("one\n");
    assertThat(b.build().markdown()).isEqualTo("one\n\ntwo\n");
  }

  @Test
  void imageLinksWithSpacesStayOneLink() {
    assertThat(MarkdownReport.builder().image("w (clean)", "plots/my plot (1).png").build()
        .markdown()).isEqualTo("![w (clean)](plots/my%20plot%20%281%29.png)\n");
  }
}
