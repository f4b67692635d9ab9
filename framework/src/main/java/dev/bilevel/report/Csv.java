package dev.bilevel.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The CSV dialect of {@code metrics.csv}: RFC 4180 quoting, {@code \n} line ends, one record
 * per line. Line breaks inside values are rejected rather than quoted, so that a row is exactly
 * one line and resuming can truncate by counting newlines. A {@code null} cell is empty; an empty
 * string is written {@code ""} to tell the two apart.
 */
final class Csv {

  private Csv() {}

  /** Formats one record, including the trailing newline. */
  static String formatLine(List<?> cells) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(cell(cells.get(i)));
    }
    return sb.append('\n').toString();
  }

  private static String cell(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    if (s.isEmpty() || s.indexOf(',') >= 0 || s.indexOf('"') >= 0) {
      return '"' + s.replace("\"", "\"\"") + '"';
    }
    return s;
  }

  /** True if {@code s} cannot be written as part of a single CSV line. */
  static boolean hasLineBreak(String s) {
    return s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
  }

  /**
   * Parses one line written by {@link #formatLine}, without its newline. Unquoted empty cells
   * come back as {@code null}.
   */
  static List<String> parseLine(String line) {
    List<String> cells = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (true) {
      if (i < n && line.charAt(i) == '"') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) {
            throw new IllegalArgumentException("Unterminated quoted cell in CSV line: " + line);
          }
          char c = line.charAt(i++);
          if (c == '"') {
            if (i < n && line.charAt(i) == '"') {
              sb.append('"');
              i++;
            } else {
              break;
            }
          } else {
            sb.append(c);
          }
        }
        cells.add(sb.toString());
      } else {
        int end = line.indexOf(',', i);
        String raw = line.substring(i, end < 0 ? n : end);
        cells.add(raw.isEmpty() ? null : raw);
        i = end < 0 ? n : end;
      }
      if (i >= n) {
        return cells;
      }
      if (line.charAt(i) != ',') {
        throw new IllegalArgumentException("Expected ',' at position " + i + " of CSV line: "
            + line);
      }
      i++;
      if (i == n) {
        cells.add(null);
        return cells;
      }
    }
  }
}
