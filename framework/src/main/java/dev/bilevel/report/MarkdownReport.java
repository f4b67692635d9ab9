package dev.bilevel.report;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code report.md} of a run: headings, paragraphs, tables of results, plots and code
 * blocks, rendered as GitHub-flavoured Markdown. Built with {@link #builder()}, immutable once
 * built. Images link to paths relative to the report, so the run folder can be moved or zipped
 * and the report still shows its plots.
 */
public final class MarkdownReport {

  private final String markdown;

  private MarkdownReport(String markdown) {
    this.markdown = markdown;
  }

  /** A new, empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The Markdown text; blocks separated by blank lines, ending with a newline. */
  public String markdown() {
    return markdown;
  }

  /**
   * Writes the report to {@code file} atomically.
   *
   * @throws IOException if writing fails; an existing file is then unchanged
   */
  public void writeTo(Path file) throws IOException {
    AtomicFiles.writeString(file, markdown);
  }

  @Override
  public String toString() {
    return markdown;
  }

  /**
   * Appends blocks in order. Each method checks its arguments immediately. Paragraph text is
   * Markdown and is written as given; table cells are escaped.
   */
  public static final class Builder {

    private static final Pattern BACKTICKS = Pattern.compile("`+");

    private final List<String> blocks = new ArrayList<>();

    private Builder() {}

    /**
     * A heading.
     *
     * @param level 1 (title) to 6
     * @throws IllegalArgumentException if the level is out of range or the text spans lines
     */
    public Builder heading(int level, String text) {
      if (level < 1 || level > 6) {
        throw new IllegalArgumentException("Heading level must be 1 to 6 but was " + level);
      }
      requireOneLine(text, "Heading");
      blocks.add("#".repeat(level) + " " + text);
      return this;
    }

    /** A paragraph of Markdown text. */
    public Builder paragraph(String text) {
      Objects.requireNonNull(text, "text");
      blocks.add(text.strip());
      return this;
    }

    /**
     * A table with the given header, one row per list. Numbers are right-aligned; {@link Double}
     * and {@link Float} values, and {@link BigDecimal}, are written with {@code decimals} digits
     * after the point, integers as they are. NaN is written {@code NaN}, null as an empty cell.
     *
     * @param decimals digits after the decimal point, 0 to 15
     * @throws IllegalArgumentException if a row's length differs from the header's
     */
    public Builder table(List<String> header, List<? extends List<?>> rows, int decimals) {
      Objects.requireNonNull(header, "header");
      Objects.requireNonNull(rows, "rows");
      if (header.isEmpty()) {
        throw new IllegalArgumentException("A table needs at least one column.");
      }
      if (decimals < 0 || decimals > 15) {
        throw new IllegalArgumentException("decimals must be 0 to 15 but was " + decimals);
      }
      boolean[] numeric = new boolean[header.size()];
      Arrays.fill(numeric, !rows.isEmpty());
      for (int r = 0; r < rows.size(); r++) {
        List<?> row = rows.get(r);
        if (row.size() != header.size()) {
          throw new IllegalArgumentException("Table row " + (r + 1) + " has " + row.size()
              + " cells but the header has " + header.size() + " columns.");
        }
        for (int c = 0; c < row.size(); c++) {
          numeric[c] &= row.get(c) == null || row.get(c) instanceof Number;
        }
      }
      StringBuilder sb = new StringBuilder();
      appendRow(sb, header.stream().map(h -> escapeCell(String.valueOf(h))).toList());
      List<String> rule = new ArrayList<>();
      for (boolean n : numeric) {
        rule.add(n ? "---:" : "---");
      }
      appendRow(sb, rule);
      for (List<?> row : rows) {
        List<String> cells = new ArrayList<>();
        for (Object v : row) {
          cells.add(escapeCell(format(v, decimals)));
        }
        appendRow(sb, cells);
      }
      sb.setLength(sb.length() - 1); // blocks carry no trailing newline
      blocks.add(sb.toString());
      return this;
    }

    /**
     * A table of the given columns of map rows, such as {@link MetricsLog#rows()}; a missing key
     * gives an empty cell.
     *
     * @see #table(List, List, int)
     */
    public Builder tableOfMaps(List<String> columns, List<? extends Map<String, ?>> rows,
        int decimals) {
      List<List<Object>> cells = new ArrayList<>();
      for (Map<String, ?> row : rows) {
        List<Object> line = new ArrayList<>();
        for (String c : columns) {
          line.add(row.get(c));
        }
        cells.add(line);
      }
      return table(columns, cells, decimals);
    }

    /**
     * An image, e.g. {@code image("Test accuracy", "plots/test-accuracy.png")}.
     *
     * @param relativePath path relative to the report, with {@code /} separators
     * @throws IllegalArgumentException if the path is absolute or uses {@code \}
     */
    public Builder image(String altText, String relativePath) {
      requireOneLine(altText, "Image text");
      Objects.requireNonNull(relativePath, "relativePath");
      if (relativePath.isEmpty() || relativePath.startsWith("/") || relativePath.contains("\\")
          || relativePath.contains(":") || Csv.hasLineBreak(relativePath)) {
        throw new IllegalArgumentException("Image path '" + relativePath + "' must be relative"
            + " to the report and use '/' separators, e.g. plots/accuracy.png");
      }
      String target = relativePath.replace(" ", "%20").replace("(", "%28").replace(")", "%29");
      blocks.add("![" + altText.replace("[", "\\[").replace("]", "\\]") + "](" + target + ")");
      return this;
    }

    /**
     * A fenced code block. The fence is made longer than any run of backticks in the code, so
     * any text (including Markdown) is shown verbatim.
     *
     * @param language info string such as {@code json}, or empty
     */
    public Builder code(String language, String code) {
      requireOneLine(language, "Code language");
      Objects.requireNonNull(code, "code");
      int longest = 0;
      Matcher m = BACKTICKS.matcher(code);
      while (m.find()) {
        longest = Math.max(longest, m.group().length());
      }
      String fence = "`".repeat(Math.max(3, longest + 1));
      String body = code.endsWith("\n") ? code : code + "\n";
      blocks.add(fence + language + "\n" + body + fence);
      return this;
    }

    /** The report so far; the builder can keep being used. */
    public MarkdownReport build() {
      return new MarkdownReport(blocks.isEmpty() ? "" : String.join("\n\n", blocks) + "\n");
    }

    private static void requireOneLine(String text, String what) {
      Objects.requireNonNull(text, what);
      if (Csv.hasLineBreak(text)) {
        throw new IllegalArgumentException(what + " must be on one line: '" + text + "'");
      }
    }

    private static void appendRow(StringBuilder sb, List<String> cells) {
      sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    static String format(Object v, int decimals) {
      if (v == null) {
        return "";
      }
      if (v instanceof Double || v instanceof Float) {
        double d = ((Number) v).doubleValue();
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%." + decimals + "f", d)
            : Double.toString(d);
      }
      if (v instanceof BigDecimal b) {
        return b.setScale(decimals, RoundingMode.HALF_UP).toPlainString();
      }
      return v.toString();
    }

    private static String escapeCell(String s) {
      return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "<br>")
          .replace("\n", "<br>").replace("\r", "<br>");
    }
  }
}
