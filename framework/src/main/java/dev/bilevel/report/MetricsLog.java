package dev.bilevel.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Appends metric rows to {@code metrics.csv} and {@code metrics.jsonl} at the same time.
 *
 * <p>The CSV is for people and spreadsheets; the JSON lines keep types and are what {@link
 * #rows()} reads back. Every record is written to the OS before {@code append} returns, so a
 * killed run loses at most the record being written.
 *
 * <p><b>Columns.</b> The first record fixes the CSV header. A later record may leave columns out
 * (they are written empty in CSV and omitted from JSON), but a column the header does not have is
 * an error: it could only be added by rewriting the whole file.
 *
 * <p><b>Resuming.</b> A checkpoint stores {@link #rowCount()}. On resume, {@link
 * #resume(RunFolder, long)} cuts both files back to that many rows (dropping rows logged after
 * the checkpoint and any half-written last line) and appends from there; if the resumed run logs
 * the same rows, both files end byte-identical to those of an uninterrupted run. Cutting by row
 * count rather than by step works even when several methods each count steps from zero.
 *
 * <p>Values may be {@link String}, {@link Boolean}, any {@link Number}, or {@code null}; numbers
 * are formatted with {@code toString()}, which for doubles is the shortest form that reads back
 * to the same value. Thread-safe; one instance per pair of files.
 */
public final class MetricsLog implements Closeable {

  private static final TypeReference<LinkedHashMap<String, Object>> ROW =
      new TypeReference<>() {};

  private final Path csv;
  private final Path jsonl;
  private final FileChannel csvOut;
  private final FileChannel jsonOut;
  private List<String> columns;
  private long rowCount;
  private boolean closed;
  private IOException failure;

  private MetricsLog(Path csv, Path jsonl) throws IOException {
    this.csv = csv;
    this.jsonl = jsonl;
    FileChannel c = FileChannel.open(csv, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      this.jsonOut =
          FileChannel.open(jsonl, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      c.close();
      throw e;
    }
    this.csvOut = c;
    this.columns = List.of();
  }

  /**
   * Starts the metrics of a new run in {@code folder}.
   *
   * @throws IllegalStateException if the folder already has metric files with content
   * @throws IOException if the files cannot be opened
   */
  public static MetricsLog create(RunFolder folder) throws IOException {
    return create(folder.metricsCsv(), folder.metricsJsonl());
  }

  /**
   * Starts a new metrics log in the given files, creating them.
   *
   * @throws IllegalStateException if either file exists and is not empty
   * @throws IOException if the files cannot be opened
   */
  public static MetricsLog create(Path csv, Path jsonl) throws IOException {
    for (Path p : List.of(csv, jsonl)) {
      if (Files.exists(p) && Files.size(p) > 0) {
        throw new IllegalStateException("Metrics file " + p + " already has content; resume the"
            + " run to append to it.");
      }
    }
    return resume(csv, jsonl, 0);
  }

  /**
   * Continues the metrics of an interrupted run in {@code folder}, keeping its first {@code
   * rowsToKeep} rows.
   *
   * @param rowsToKeep the {@link #rowCount()} stored with the checkpoint being resumed
   * @throws IllegalArgumentException if the files hold fewer complete rows than {@code
   *     rowsToKeep}, or if the files are not a metrics log
   * @throws IOException if the files cannot be read or truncated
   */
  public static MetricsLog resume(RunFolder folder, long rowsToKeep) throws IOException {
    return resume(folder.metricsCsv(), folder.metricsJsonl(), rowsToKeep);
  }

  /**
   * Continues a metrics log in the given files (created if missing), keeping the first {@code
   * rowsToKeep} rows.
   *
   * @see #resume(RunFolder, long)
   */
  public static MetricsLog resume(Path csv, Path jsonl, long rowsToKeep) throws IOException {
    Objects.requireNonNull(csv, "csv");
    Objects.requireNonNull(jsonl, "jsonl");
    MetricsLog log = new MetricsLog(csv, jsonl);
    try {
      log.truncateAfter(rowsToKeep);
    } catch (IOException | RuntimeException e) {
      log.close();
      throw e;
    }
    return log;
  }

  /**
   * Appends one row.
   *
   * @param row column name to value. The first row's iteration order sets the column order, so
   *     pass a {@link LinkedHashMap} (or a {@link MetricRecord}) rather than {@code Map.of}, whose
   *     order changes from one JVM to the next
   * @throws IllegalArgumentException if {@code row} has a column the header lacks, is empty, or
   *     holds a value of an unsupported type or with a line break
   * @throws IllegalStateException if the log is closed
   * @throws UncheckedIOException if writing fails
   */
  public synchronized void append(Map<String, ?> row) {
    Objects.requireNonNull(row, "row");
    ensureOpen();
    if (row.isEmpty()) {
      throw new IllegalArgumentException("Record " + (rowCount + 1) + " of " + csv
          + " has no columns.");
    }
    row.forEach(this::checkCell);
    List<String> header = columns;
    boolean first = header.isEmpty();
    if (first) {
      header = List.copyOf(row.keySet());
    } else {
      List<String> unknown = new ArrayList<>();
      for (String key : row.keySet()) {
        if (!header.contains(key)) {
          unknown.add(key);
        }
      }
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException("Record " + (rowCount + 1) + " of " + csv
            + " has columns " + unknown + " that are not in its header " + header + ". The first"
            + " record fixes the columns; log every column from the first record on, with null"
            + " where a value is not known yet.");
      }
    }
    StringBuilder csvText = new StringBuilder();
    if (first) {
      csvText.append(Csv.formatLine(header));
    }
    List<Object> cells = new ArrayList<>(header.size());
    Map<String, Object> ordered = new LinkedHashMap<>();
    for (String column : header) {
      Object value = row.get(column);
      cells.add(value);
      if (row.containsKey(column)) {
        ordered.put(column, value);
      }
    }
    csvText.append(Csv.formatLine(cells));
    String jsonText;
    try {
      jsonText = Json.MAPPER.writeValueAsString(ordered) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Record " + (rowCount + 1) + " cannot be written as"
          + " JSON: " + e.getOriginalMessage(), e);
    }
    try {
      writeFully(csvOut, csvText.toString());
      writeFully(jsonOut, jsonText);
    } catch (IOException e) {
      // One file may now have the record and the other not; refuse to write misaligned rows.
      failure = e;
      throw new UncheckedIOException("Could not append record " + (rowCount + 1) + " to " + csv
          + " and " + jsonl, e);
    }
    columns = header;
    rowCount++;
  }

  /**
   * Appends a {@link MetricRecord} as a row.
   *
   * @see #append(Map)
   */
  public void append(MetricRecord record) {
    append(record.toRow());
  }

  private void checkCell(String column, Object value) {
    Objects.requireNonNull(column, "column name");
    if (column.isEmpty() || Csv.hasLineBreak(column)) {
      throw new IllegalArgumentException("Column name '" + column + "' must be non-empty and on"
          + " one line.");
    }
    if (value == null || value instanceof Boolean) {
      return;
    }
    if (value instanceof String s) {
      if (Csv.hasLineBreak(s)) {
        throw new IllegalArgumentException("Value of column '" + column + "' contains a line"
            + " break; metric values must fit on one line.");
      }
      return;
    }
    if (value instanceof Double || value instanceof Float || value instanceof Long
        || value instanceof Integer || value instanceof Short || value instanceof Byte
        || value instanceof BigDecimal || value instanceof BigInteger) {
      return;
    }
    throw new IllegalArgumentException("Value of column '" + column + "' has type "
        + value.getClass().getName() + "; log a String, Boolean, Number or null.");
  }

  /**
   * Cuts both files back to their first {@code rowsToKeep} rows; the next {@link #append} writes
   * row {@code rowsToKeep + 1}. With zero rows the header goes too, so the next record fixes it
   * again exactly as in a fresh run.
   *
   * @throws IllegalArgumentException if {@code rowsToKeep} is negative or either file holds fewer
   *     complete rows
   * @throws IOException if reading or truncating fails
   */
  public synchronized void truncateAfter(long rowsToKeep) throws IOException {
    ensureOpen();
    if (rowsToKeep < 0) {
      throw new IllegalArgumentException("rowsToKeep must not be negative but was "
          + rowsToKeep);
    }
    long csvEnd = rowsToKeep == 0 ? 0 : endOfLine(csv, rowsToKeep + 1, rowsToKeep, 1);
    long jsonEnd = endOfLine(jsonl, rowsToKeep, rowsToKeep, 0);
    List<String> header = List.of();
    if (rowsToKeep > 0) {
      try (BufferedReader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
        header = List.copyOf(Csv.parseLine(reader.readLine()));
      }
    }
    csvOut.truncate(csvEnd);
    csvOut.position(csvEnd);
    jsonOut.truncate(jsonEnd);
    jsonOut.position(jsonEnd);
    columns = header;
    rowCount = rowsToKeep;
  }

  /**
   * The byte offset just after the {@code lines}-th newline of {@code file}.
   *
   * @param rows the rows that were asked for, for the error message
   * @param headerLines lines before the first row
   */
  private static long endOfLine(Path file, long lines, long rows, int headerLines)
      throws IOException {
    if (lines == 0) {
      return 0;
    }
    long seen = 0;
    long offset = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n' && ++seen == lines) {
            return offset + i + 1;
          }
        }
        offset += n;
      }
    }
    long completeRows = Math.max(0, seen - headerLines);
    throw new IllegalArgumentException("Cannot keep " + rows + " rows of " + file + ": it holds"
        + " only " + completeRows + " complete rows.");
  }

  private static void writeFully(FileChannel channel, String text) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
  }

  /** Rows appended so far, including rows kept on resume. Store this with each checkpoint. */
  public synchronized long rowCount() {
    return rowCount;
  }

  /** The CSV header; empty until the first row. */
  public synchronized List<String> columns() {
    return columns;
  }

  /** The CSV file. */
  public Path csvFile() {
    return csv;
  }

  /** The JSON-lines file. */
  public Path jsonlFile() {
    return jsonl;
  }

  /**
   * Reads back the rows logged so far.
   *
   * @see #readRows(Path)
   */
  public synchronized List<Map<String, Object>> rows() throws IOException {
    return readRows(jsonl);
  }

  /**
   * Reads the complete rows of a {@code metrics.jsonl}, ignoring a half-written last line.
   * Integers come back as {@link Long}, other numbers as {@link Double}; the maps keep column
   * order and are unmodifiable.
   *
   * @throws IOException if the file cannot be read or a complete line is not a JSON object
   */
  public static List<Map<String, Object>> readRows(Path jsonl) throws IOException {
    String text = Files.readString(jsonl, StandardCharsets.UTF_8);
    List<Map<String, Object>> rows = new ArrayList<>();
    int start = 0;
    int end;
    while ((end = text.indexOf('\n', start)) >= 0) {
      String line = text.substring(start, end);
      try {
        rows.add(Collections.unmodifiableMap(Json.MAPPER.readValue(line, ROW)));
      } catch (JsonProcessingException e) {
        throw new IOException("Line " + (rows.size() + 1) + " of " + jsonl + " is not a JSON"
            + " object: " + e.getOriginalMessage(), e);
      }
      start = end + 1;
    }
    return Collections.unmodifiableList(rows);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("Metrics log " + csv + " is closed.");
    }
    if (failure != null) {
      throw new IllegalStateException("An earlier write to metrics log " + csv + " failed ("
          + failure.getMessage() + "); resume the run from its last checkpoint.", failure);
    }
  }

  /** Closes both files. Closing twice has no effect. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try (FileChannel c = csvOut; FileChannel j = jsonOut) {
      c.force(false);
      j.force(false);
    }
  }
}
