package dev.bilevel.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

  @Test
  void barShowsTaskCountsRateEtaAndMessage() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    Progress p = Progress.bar("mwn epoch 3", 10, out);
    for (int i = 0; i < 4; i++) {
      p.step();
    }
    p.stepBy(2);
    p.setExtraMessage("loss 0.2500");
    p.close();
    int length = bytes.size();
    p.close();
    p.step();
    p.setExtraMessage("ignored");

    String text = bytes.toString(StandardCharsets.UTF_8);
    String[] frames = text.split("\r");
    String last = frames[frames.length - 1];
    assertThat(last).startsWith("mwn epoch 3")
        .contains("60%", "6/10", "/s", "loss 0.2500")
        .containsPattern("\\(\\d+:\\d\\d:\\d\\d / \\d+:\\d\\d:\\d\\d\\)"); // elapsed / ETA
    assertThat(bytes.size()).as("nothing printed after close").isEqualTo(length);
    assertThat(text).doesNotContain("ignored");
  }

  @Test
  void unknownTotalStillCounts() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (Progress p = Progress.bar("scan", 0, new PrintStream(bytes, true,
        StandardCharsets.UTF_8))) {
      p.stepBy(7);
    }

    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("scan").contains("7");
  }

  @Test
  void disabledFactoryAndNoopShowNothing() {
    try (Progress p = Progress.Factory.disabled().start("x", 100)) {
      p.step();
      p.stepBy(5);
      p.setExtraMessage("m");
      assertThat(p).isSameAs(Progress.noop());
    }
  }

  @Test
  void autoFactoryShowsNothingWithoutATerminal() {
    assumeThat(System.console()).isNull();

    assertThat(Progress.Factory.auto().start("x", 10)).isSameAs(Progress.noop());
  }

  @Test
  void printingFactoryPrintsBars() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress.Factory f = Progress.Factory.printingTo(new PrintStream(bytes, true,
        StandardCharsets.UTF_8));
    try (Progress p = f.start("inner", 3)) {
      p.step();
    }
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("inner", "1/3");
  }
}
