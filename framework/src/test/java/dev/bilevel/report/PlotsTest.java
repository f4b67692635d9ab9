package dev.bilevel.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @TempDir Path tmp;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  @Test
  void lineChartOfSeveralSeries() throws IOException {
    double[] epochs = {1, 2, 3, 4, 5};
    List<Plots.Series> series = List.of(
        new Plots.Series("baseline", epochs, new double[] {0.50, 0.60, 0.65, 0.66, 0.67}),
        new Plots.Series("mwn", epochs, new double[] {0.52, 0.66, 0.72, 0.75, 0.77}));

    Path png = new Plots().lineChart(tmp.resolve("acc.png"),
        new Plots.Labels("Test accuracy", "epoch", "accuracy"), series);

    assertValidPng(png, Plots.DEFAULT_WIDTH, Plots.DEFAULT_HEIGHT);
  }

  @Test
  void functionPlotAtRequestedSize() throws IOException {
    double[] grid = IntStream.rangeClosed(0, 200).mapToDouble(i -> i * 0.05).toArray();
    double[] mwn = java.util.Arrays.stream(grid).map(l -> 1 / (1 + Math.exp(l - 3))).toArray();
    double[] flat = java.util.Arrays.stream(grid).map(l -> 0.5).toArray();

    Path png = new Plots(640, 480).functionPlot(tmp.resolve("v.png"),
        new Plots.Labels("Learned weighting function", "loss ℓ", "V(ℓ)"),
        List.of(new Plots.Series("mwn", grid, mwn), new Plots.Series("uniform", grid, flat)));

    assertValidPng(png, 640, 480);
  }

  @Test
  void overlaidHistogramsOfTwoSamples() throws IOException {
    Random rnd = new Random(1);
    double[] clean = rnd.doubles(900).map(u -> 0.6 + 0.4 * u).toArray();
    double[] noisy = rnd.doubles(100).map(u -> 0.3 * u).toArray();

    Path png = new Plots().histograms(tmp.resolve("w.png"),
        new Plots.Labels("Example weights", "weight", "fraction of examples"), 20,
        List.of(new Plots.Sample("clean", clean), new Plots.Sample("noisy", noisy)));

    assertValidPng(png, Plots.DEFAULT_WIDTH, Plots.DEFAULT_HEIGHT);
  }

  @Test
  void histogramsSkipEmptySamplesAndHandleASingleValue() throws IOException {
    Path png = new Plots().histograms(tmp.resolve("w.png"), new Plots.Labels("w", "x", "y"), 10,
        List.of(new Plots.Sample("clean", new double[] {1, 1, 1}),
            new Plots.Sample("noisy", new double[0])));

    assertValidPng(png, Plots.DEFAULT_WIDTH, Plots.DEFAULT_HEIGHT);
    assertThatThrownBy(() -> new Plots().histograms(tmp.resolve("e.png"),
        new Plots.Labels("weights", "x", "y"), 10, List.of(new Plots.Sample("a", new double[0]))))
        .hasMessage("Cannot plot histograms 'weights': every sample is empty.");
    assertThat(tmp.resolve("e.png")).doesNotExist();
  }

  @Test
  void invalidInputsAreRejectedBeforeRendering() {
    assertThatThrownBy(() -> new Plots.Series("mwn", new double[] {1, 2}, new double[] {1}))
        .hasMessage("Series 'mwn' needs as many x as y values, at least one, but has 2 x and"
            + " 1 y values.");
    assertThatThrownBy(() -> new Plots.Sample("noisy", new double[] {0.1, Double.NaN}))
        .hasMessage("Sample 'noisy' has the non-finite value NaN at index 1.");
    assertThatThrownBy(() -> new Plots(50, 600))
        .hasMessage("Plot size must be at least 100 x 100 pixels but was 50 x 600");
    assertThatThrownBy(() -> new Plots().lineChart(tmp.resolve("x.png"),
        new Plots.Labels("Empty", "x", "y"), List.of()))
        .hasMessage("Cannot plot 'Empty' without series.");
  }

  @Test
  void seriesByGroupSplitsMetricRowsPerMethod() {
    List<Map<String, Object>> rows = List.of(
        Map.of("method", "base", "epoch", 1L, "acc", 0.5),
        Map.of("method", "mwn", "epoch", 1L, "acc", 0.6),
        Map.of("method", "base", "epoch", 2L, "acc", 0.55),
        Map.of("method", "mwn", "epoch", 2L, "loss", 0.1),
        Map.of("method", "mwn", "epoch", 3L, "acc", 0.7));

    List<Plots.Series> series = Plots.Series.byGroup(rows, "method", "epoch", "acc");

    assertThat(series).containsExactly(
        new Plots.Series("base", new double[] {1, 2}, new double[] {0.5, 0.55}),
        new Plots.Series("mwn", new double[] {1, 3}, new double[] {0.6, 0.7}));
  }

  private static void assertValidPng(Path png, int width, int height) throws IOException {
    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes).startsWith(PNG_SIGNATURE);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).as("ImageIO decodes %s", png).isNotNull();
    assertThat(image.getWidth()).isEqualTo(width);
    assertThat(image.getHeight()).isEqualTo(height);
    // Not blank: axes, text and series give many distinct colours.
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < height; y += 3) {
      for (int x = 0; x < width; x += 3) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertThat(colours).hasSizeGreaterThan(10);
  }
}
