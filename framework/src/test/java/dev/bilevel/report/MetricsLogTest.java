package dev.bilevel.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {

  @TempDir Path tmp;

  private static Map<String, Object> row(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private static MetricRecord record(String method, int epoch, long step) {
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("train_loss", 1.0 / (step + 1));
    values.put("test_acc", 0.5 + step * 0.01);
    return new MetricRecord("run-7", method, epoch, step, values);
  }

  @Test
  void writesCsvAndJsonLinesThatParseBackToWhatWasLogged() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    List<Map<String, Object>> logged = List.of(
        row("method", "mwn", "step", 0, "loss", 2.5, "note", "lr=0.1, \"warm\"", "ok", true),
        row("method", "mwn", "step", 1, "loss", Double.NaN, "note", "", "ok", false),
        row("method", "base", "step", 2L, "loss", 1.0E-7, "note", null, "ok", null));

    try (MetricsLog log = MetricsLog.create(run)) {
      logged.forEach(log::append);
      assertThat(log.rowCount()).isEqualTo(3);
      assertThat(log.columns()).containsExactly("method", "step", "loss", "note", "ok");
    }

    assertThat(Files.readString(run.metricsCsv())).isEqualTo(
        "method,step,loss,note,ok\n"
            + "mwn,0,2.5,\"lr=0.1, \"\"warm\"\"\",true\n"
            + "mwn,1,NaN,\"\",false\n"
            + "base,2,1.0E-7,,\n");
    List<String> csvLines = Files.readAllLines(run.metricsCsv());
    for (int i = 0; i < logged.size(); i++) {
      List<String> expected = new ArrayList<>();
      logged.get(i).values().forEach(v -> expected.add(v == null ? null : v.toString()));
      assertThat(Csv.parseLine(csvLines.get(i + 1))).isEqualTo(expected);
    }

    List<Map<String, Object>> back = MetricsLog.readRows(run.metricsJsonl());
    assertThat(back).containsExactly(
        row("method", "mwn", "step", 0L, "loss", 2.5, "note", "lr=0.1, \"warm\"", "ok", true),
        row("method", "mwn", "step", 1L, "loss", Double.NaN, "note", "", "ok", false),
        row("method", "base", "step", 2L, "loss", 1.0E-7, "note", null, "ok", null));
    assertThat(back.get(0).keySet()).containsExactly("method", "step", "loss", "note", "ok");
  }

  @Test
  void metricRecordsLogBookkeepingColumnsFirst() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    try (MetricsLog log = MetricsLog.create(run)) {
      log.append(record("mwn", 1, 0));
      log.append(record("mwn", 1, 1));

      assertThat(Files.readString(run.metricsCsv())).isEqualTo(
          "run,method,epoch,step,train_loss,test_acc\n"
              + "run-7,mwn,1,0,1.0,0.5\n"
              + "run-7,mwn,1,1,0.5,0.51\n");
      assertThat(Files.readAllLines(run.metricsJsonl())).containsExactly(
          "{\"run\":\"run-7\",\"method\":\"mwn\",\"epoch\":1,\"step\":0,\"train_loss\":1.0,"
              + "\"test_acc\":0.5}",
          "{\"run\":\"run-7\",\"method\":\"mwn\",\"epoch\":1,\"step\":1,\"train_loss\":0.5,"
              + "\"test_acc\":0.51}");
      assertThat(log.rows()).hasSize(2);
      assertThat(log.rows().get(1)).containsEntry("test_acc", 0.51).containsEntry("epoch", 1L);
    }
  }

  @Test
  void recordWithColumnMissingFromHeaderIsRejectedWithExplanation() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    try (MetricsLog log = MetricsLog.create(run)) {
      log.append(row("step", 0, "loss", 1.0));
      log.append(row("step", 1, "loss", 0.9));

      assertThatThrownBy(() -> log.append(row("step", 2, "loss", 0.8, "lr", 0.1, "meta", 3)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Record 3 of " + run.metricsCsv() + " has columns [lr, meta] that are not"
              + " in its header [step, loss]. The first record fixes the columns; log every"
              + " column from the first record on, with null where a value is not known yet.");

      // Nothing of the rejected record reached either file.
      assertThat(log.rowCount()).isEqualTo(2);
      assertThat(Files.readAllLines(run.metricsCsv())).hasSize(3);
      assertThat(Files.readAllLines(run.metricsJsonl())).hasSize(2);
    }
  }

  @Test
  void recordMayLeaveOutColumns() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    try (MetricsLog log = MetricsLog.create(run)) {
      log.append(row("step", 0, "loss", 1.0, "acc", 0.1));
      log.append(row("acc", 0.2, "step", 1));

      assertThat(Files.readAllLines(run.metricsCsv())).containsExactly(
          "step,loss,acc", "0,1.0,0.1", "1,,0.2");
      assertThat(log.rows().get(1)).isEqualTo(row("step", 1L, "acc", 0.2));
      assertThat(log.rows().get(1).keySet()).containsExactly("step", "acc");
    }
  }

  @Test
  void rejectsValuesThatCannotBeOneCsvCell() throws IOException {
    try (MetricsLog log = MetricsLog.create(RunFolder.create(tmp.resolve("run")))) {
      assertThatThrownBy(() -> log.append(row("note", "two\nlines")))
          .hasMessage("Value of column 'note' contains a line break; metric values must fit on"
              + " one line.");
      assertThatThrownBy(() -> log.append(row("w", new double[] {1, 2})))
          .hasMessage("Value of column 'w' has type [D; log a String, Boolean, Number or null.");
      assertThat(log.rowCount()).isZero();
      assertThat(log.columns()).isEmpty();
    }
  }

  /**
   * The contract resume relies on: run to the end in one go, or die after the checkpoint
   * (mid-record even) and resume from it, and the files come out byte for byte the same.
   */
  @Test
  void killedAndResumedRunWritesByteIdenticalFiles() throws IOException {
    List<MetricRecord> rows = new ArrayList<>();
    for (int step = 0; step < 10; step++) {
      rows.add(record(step < 5 ? "baseline" : "mwn", step % 5 / 2, step % 5));
    }

    RunFolder straight = RunFolder.create(tmp.resolve("straight"));
    try (MetricsLog log = MetricsLog.create(straight)) {
      rows.forEach(log::append);
    }

    RunFolder killed = RunFolder.create(tmp.resolve("killed"));
    long checkpoint;
    try (MetricsLog log = MetricsLog.create(killed)) {
      rows.subList(0, 6).forEach(log::append);
      checkpoint = log.rowCount();
      rows.subList(6, 8).forEach(log::append); // logged after the checkpoint, then lost
    }
    // The process died while writing the next record: half a line in each file.
    Files.writeString(killed.metricsCsv(), "run-7,mwn,0,3,0.2", StandardOpenOption.APPEND);
    Files.writeString(killed.metricsJsonl(), "{\"run\":\"ru", StandardOpenOption.APPEND);

    RunFolder resumed = RunFolder.resume(tmp.resolve("killed"));
    try (MetricsLog log = MetricsLog.resume(resumed, checkpoint)) {
      assertThat(log.rowCount()).isEqualTo(6);
      assertThat(log.columns())
          .containsExactly("run", "method", "epoch", "step", "train_loss", "test_acc");
      rows.subList(6, 10).forEach(log::append);
    }

    assertThat(Files.readAllBytes(resumed.metricsCsv()))
        .isEqualTo(Files.readAllBytes(straight.metricsCsv()));
    assertThat(Files.readAllBytes(resumed.metricsJsonl()))
        .isEqualTo(Files.readAllBytes(straight.metricsJsonl()));
    assertThat(Files.readAllLines(resumed.metricsCsv())).hasSize(11);
  }

  @Test
  void resumingBeforeTheFirstRecordRewritesTheHeader() throws IOException {
    RunFolder straight = RunFolder.create(tmp.resolve("straight"));
    try (MetricsLog log = MetricsLog.create(straight)) {
      log.append(record("mwn", 0, 0));
    }
    RunFolder killed = RunFolder.create(tmp.resolve("killed"));
    try (MetricsLog log = MetricsLog.create(killed)) {
      log.append(record("mwn", 0, 0));
    }
    try (MetricsLog log = MetricsLog.resume(RunFolder.resume(killed.root()), 0)) {
      assertThat(log.columns()).isEmpty();
      assertThat(Files.size(killed.metricsCsv())).isZero();
      log.append(record("mwn", 0, 0));
    }

    assertThat(Files.readAllBytes(killed.metricsCsv()))
        .isEqualTo(Files.readAllBytes(straight.metricsCsv()));
    assertThat(Files.readAllBytes(killed.metricsJsonl()))
        .isEqualTo(Files.readAllBytes(straight.metricsJsonl()));
  }

  @Test
  void truncateAfterOnAnOpenLogRewritesTheTail() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    try (MetricsLog log = MetricsLog.create(run)) {
      for (int i = 0; i < 5; i++) {
        log.append(row("step", i, "loss", 1.0 / (i + 1)));
      }
      log.truncateAfter(2);
      log.append(row("step", 2, "loss", 7.0));

      assertThat(Files.readAllLines(run.metricsCsv()))
          .containsExactly("step,loss", "0,1.0", "1,0.5", "2,7.0");
      assertThat(log.rows()).extracting(r -> r.get("loss")).containsExactly(1.0, 0.5, 7.0);
      assertThat(log.rowCount()).isEqualTo(3);
    }
  }

  @Test
  void cannotKeepMoreRowsThanWereWritten() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    try (MetricsLog log = MetricsLog.create(run)) {
      log.append(row("step", 0));
      log.append(row("step", 1));
    }
    // Kill between the CSV and the JSON line of record 3: the CSV has it, the JSON does not.
    Files.writeString(run.metricsCsv(), "2\n", StandardOpenOption.APPEND);

    assertThatThrownBy(() -> MetricsLog.resume(run, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot keep 3 rows of " + run.metricsJsonl() + ": it holds only 2 complete"
            + " rows.");
    assertThatThrownBy(() -> MetricsLog.resume(run, 4))
        .hasMessage("Cannot keep 4 rows of " + run.metricsCsv() + ": it holds only 3 complete"
            + " rows.");
    try (MetricsLog log = MetricsLog.resume(run, 2)) {
      assertThat(log.rowCount()).isEqualTo(2);
      assertThat(Files.readAllLines(run.metricsCsv())).containsExactly("step", "0", "1");
    }
  }

  @Test
  void createRefusesFilesThatAlreadyHaveRows() throws IOException {
    RunFolder run = RunFolder.create(tmp.resolve("run"));
    Files.writeString(run.metricsCsv(), "step\n0\n");

    assertThatThrownBy(() -> MetricsLog.create(run))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Metrics file " + run.metricsCsv() + " already has content; resume the run"
            + " to append to it.");
  }

  @Test
  void closeIsIdempotentAndAppendAfterCloseFails() throws IOException {
    MetricsLog log = MetricsLog.create(RunFolder.create(tmp.resolve("run")));
    log.close();
    log.close();

    assertThatThrownBy(() -> log.append(row("step", 0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageEndingWith("metrics.csv is closed.");
  }

  @Test
  void readRowsIgnoresHalfWrittenLastLine() throws IOException {
    Path jsonl = tmp.resolve("m.jsonl");
    Files.writeString(jsonl, "{\"a\":1}\n{\"a\":2}\n{\"a\":", StandardCharsets.UTF_8);

    assertThat(MetricsLog.readRows(jsonl)).containsExactly(row("a", 1L), row("a", 2L));
  }

  @Test
  void metricRecordRejectsReservedNamesAndCopiesValues() {
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("step", 1.0);
    assertThatThrownBy(() -> new MetricRecord("r", "m", 0, 0, values))
        .hasMessage("Metric name 'step' is reserved for the record's own field; rename the"
            + " metric.");

    Map<String, Double> ok = new LinkedHashMap<>(Map.of("loss", 1.0));
    MetricRecord r = new MetricRecord("r", "m", 0, 0, ok);
    ok.put("acc", 0.0);
    assertThat(r.values()).containsOnlyKeys("loss");
    assertThat(Arrays.asList(r.toRow().keySet().toArray()))
        .containsExactly("run", "method", "epoch", "step", "loss");
  }
}
