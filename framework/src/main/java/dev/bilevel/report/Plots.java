package dev.bilevel.report;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Renders the charts of a run report to PNG with XChart, headless.
 *
 * <p>Three kinds cover the experiments: a {@linkplain #lineChart line chart} of values per epoch
 * or step (test accuracy per method, learning curves), a {@linkplain #functionPlot function
 * plot} of a curve sampled on a grid (a learned weighting function V(loss) per method), and
 * {@linkplain #histograms overlaid histograms} of samples (weights given to clean versus noisy
 * examples). Files are written atomically. Instances are immutable and thread-safe.
 */
public final class Plots {

  /** Default image width in pixels. */
  public static final int DEFAULT_WIDTH = 800;

  /** Default image height in pixels. */
  public static final int DEFAULT_HEIGHT = 600;

  private final int width;
  private final int height;

  /** Plots of {@value #DEFAULT_WIDTH} x {@value #DEFAULT_HEIGHT} pixels. */
  public Plots() {
    this(DEFAULT_WIDTH, DEFAULT_HEIGHT);
  }

  /**
   * Plots of the given size. Sets {@code java.awt.headless=true} unless the property is already
   * set, so that rendering works on servers without a display.
   *
   * @throws IllegalArgumentException if a dimension is smaller than 100 pixels
   */
  public Plots(int width, int height) {
    if (width < 100 || height < 100) {
      throw new IllegalArgumentException("Plot size must be at least 100 x 100 pixels but was "
          + width + " x " + height);
    }
    this.width = width;
    this.height = height;
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /**
   * Title and axis labels of a chart.
   *
   * @param title chart title
   * @param xAxis label of the x axis, with unit if any
   * @param yAxis label of the y axis, with unit if any
   */
  public record Labels(String title, String xAxis, String yAxis) {
    /** Checks that no label is null. */
    public Labels {
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(xAxis, "xAxis");
      Objects.requireNonNull(yAxis, "yAxis");
    }
  }

  /**
   * A named series of points; the name is its legend entry. NaN y values leave a gap.
   *
   * @param name legend entry, e.g. the method
   * @param x x coordinates
   * @param y y coordinates, as many as {@code x}
   */
  public record Series(String name, double[] x, double[] y) {

    /**
     * Copies the arrays.
     *
     * @throws IllegalArgumentException if the arrays are empty or differ in length
     */
    public Series {
      Objects.requireNonNull(name, "name");
      x = Objects.requireNonNull(x, "x").clone();
      y = Objects.requireNonNull(y, "y").clone();
      if (x.length == 0 || x.length != y.length) {
        throw new IllegalArgumentException("Series '" + name + "' needs as many x as y values,"
            + " at least one, but has " + x.length + " x and " + y.length + " y values.");
      }
    }

    /** A copy of the x coordinates. */
    @Override
    public double[] x() {
      return x.clone();
    }

    /** A copy of the y coordinates. */
    @Override
    public double[] y() {
      return y.clone();
    }

    /**
     * One series per value of {@code groupColumn}, in order of first appearance, taking
     * {@code xColumn} and {@code yColumn} from each row, e.g. test accuracy per epoch for each
     * method from {@link MetricsLog#rows()}. Rows without a numeric x or y are skipped.
     */
    public static List<Series> byGroup(List<? extends Map<String, ?>> rows, String groupColumn,
        String xColumn, String yColumn) {
      Map<String, List<double[]>> points = new LinkedHashMap<>();
      for (Map<String, ?> row : rows) {
        if (row.get(xColumn) instanceof Number x && row.get(yColumn) instanceof Number y) {
          points.computeIfAbsent(String.valueOf(row.get(groupColumn)), k -> new ArrayList<>())
              .add(new double[] {x.doubleValue(), y.doubleValue()});
        }
      }
      List<Series> out = new ArrayList<>();
      points.forEach((name, xy) -> out.add(new Series(name,
          xy.stream().mapToDouble(p -> p[0]).toArray(),
          xy.stream().mapToDouble(p -> p[1]).toArray())));
      return out;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Series s && name.equals(s.name) && Arrays.equals(x, s.x)
          && Arrays.equals(y, s.y);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, Arrays.hashCode(x), Arrays.hashCode(y));
    }

    @Override
    public String toString() {
      return "Series[" + name + ", " + x.length + " points]";
    }
  }

  /**
   * A named sample for a histogram.
   *
   * @param name legend entry, e.g. {@code clean}
   * @param values the observations; must be finite
   */
  public record Sample(String name, double[] values) {

    /**
     * Copies the values.
     *
     * @throws IllegalArgumentException if a value is NaN or infinite
     */
    public Sample {
      Objects.requireNonNull(name, "name");
      values = Objects.requireNonNull(values, "values").clone();
      for (int i = 0; i < values.length; i++) {
        if (!Double.isFinite(values[i])) {
          throw new IllegalArgumentException("Sample '" + name + "' has the non-finite value "
              + values[i] + " at index " + i + ".");
        }
      }
    }

    /** A copy of the values. */
    @Override
    public double[] values() {
      return values.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Sample s && name.equals(s.name) && Arrays.equals(values, s.values);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, Arrays.hashCode(values));
    }

    @Override
    public String toString() {
      return "Sample[" + name + ", " + values.length + " values]";
    }
  }

  /**
   * Plots series as lines with a marker at each point, for values measured at discrete times
   * (per epoch, per evaluation).
   *
   * @param png the file to write
   * @param series at least one
   * @return {@code png}
   * @throws IOException if the file cannot be written
   */
  public Path lineChart(Path png, Labels labels, List<Series> series) throws IOException {
    return save(png, xyChart(labels, series, true));
  }

  /**
   * Plots series as smooth lines without markers, for functions sampled on a dense grid.
   *
   * @param png the file to write
   * @param series at least one
   * @return {@code png}
   * @throws IOException if the file cannot be written
   */
  public Path functionPlot(Path png, Labels labels, List<Series> series) throws IOException {
    return save(png, xyChart(labels, series, false));
  }

  /**
   * Overlays histograms of several samples on common bins spanning all values. Each bar is the
   * fraction of its own sample that falls in the bin, so samples of different sizes (few noisy,
   * many clean examples) compare by shape. Empty samples are left out of the chart.
   *
   * @param png the file to write
   * @param bins number of bins, at least 1
   * @param samples at least one non-empty sample
   * @return {@code png}
   * @throws IOException if the file cannot be written
   */
  public Path histograms(Path png, Labels labels, int bins, List<Sample> samples)
      throws IOException {
    Objects.requireNonNull(labels, "labels");
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be at least 1 but was " + bins);
    }
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Sample s : samples) {
      for (double v : s.values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (min > max) {
      throw new IllegalArgumentException("Cannot plot histograms '" + labels.title()
          + "': every sample is empty.");
    }
    if (min == max) { // one distinct value: give the bins a width
      min -= 0.5;
      max += 0.5;
    }
    CategoryChart chart = new CategoryChartBuilder().width(width).height(height)
        .title(labels.title()).xAxisTitle(labels.xAxis()).yAxisTitle(labels.yAxis()).build();
    chart.getStyler().setOverlapped(true).setAvailableSpaceFill(0.98)
        .setXAxisMaxLabelCount(11).setXAxisDecimalPattern("0.###").setYAxisDecimalPattern("0.###")
        .setXAxisLabelRotation(45)
        .setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setSeriesColors(translucent(chart.getStyler().getSeriesColors()));
    for (Sample s : samples) {
      if (s.values.length == 0) {
        continue;
      }
      List<Double> data = Arrays.stream(s.values).boxed().toList();
      Histogram h = new Histogram(data, bins, min, max);
      double n = s.values.length;
      List<Double> fractions = h.getyAxisData().stream().map(c -> c / n).toList();
      chart.addSeries(s.name, h.getxAxisData(), fractions);
    }
    return save(png, chart);
  }

  private XYChart xyChart(Labels labels, List<Series> series, boolean markers) {
    Objects.requireNonNull(labels, "labels");
    if (series.isEmpty()) {
      throw new IllegalArgumentException("Cannot plot '" + labels.title() + "' without series.");
    }
    XYChart chart = new XYChartBuilder().width(width).height(height).title(labels.title())
        .xAxisTitle(labels.xAxis()).yAxisTitle(labels.yAxis()).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setMarkerSize(6);
    for (Series s : series) {
      XYSeries xy = chart.addSeries(s.name, s.x, s.y);
      if (!markers) {
        xy.setMarker(SeriesMarkers.NONE);
      }
    }
    return chart;
  }

  private static Color[] translucent(Color[] colors) {
    Color[] out = new Color[colors.length];
    for (int i = 0; i < colors.length; i++) {
      Color c = colors[i];
      out[i] = new Color(c.getRed(), c.getGreen(), c.getBlue(), 140);
    }
    return out;
  }

  private static Path save(Path png, Chart<?, ?> chart) throws IOException {
    AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out,
        BitmapEncoder.BitmapFormat.PNG));
    return png;
  }
}
