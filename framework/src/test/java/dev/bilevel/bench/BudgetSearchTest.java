package dev.bilevel.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Section 4's search for the widest model within a memory budget, on a stand-in for the child runs
 * whose peak grows like a real estimator's: 300 MB plus 80 MB per million θ parameters.
 */
@DisplayName("The budget search brackets the widest model that fits")
class BudgetSearchTest {
  private static final double BUDGET = 2048;
  private final List<Integer> probed = new ArrayList<>();

  /** Widths whose first measurement carries a transient of 700 MB. */
  private final java.util.Set<Integer> transientOnce = new java.util.HashSet<>();

  private PerfBench.MemPoint point(int width) {
    probed.add(width);
    double peak = 300 + 80 * PerfBench.params(width) / 1e6 + (transientOnce.remove(width) ? 700 : 0);
    return new PerfBench.MemPoint("evograd", PerfBench.Kind.MWN, width, 5,
        Map.of("peakRssMb", Double.toString(peak)));
  }

  private static PerfBench.Opts opts() {
    PerfBench.Opts o = PerfBench.Opts.parse(new String[] {"--budget-mb", "2048"});
    assertThat(o.searchResolution).isEqualTo(128);
    return o;
  }

  /** The default sweep's widths, all within the budget. */
  private List<PerfBench.MemPoint> sweep(PerfBench.Opts o) {
    List<PerfBench.MemPoint> sweep = new ArrayList<>();
    for (int w : o.widths) {
      sweep.add(point(w));
    }
    return sweep;
  }

  private static double peak(PerfBench.MemPoint p) {
    return p.get("peakRssMb");
  }

  @Test
  void everySweptWidthFitsSoTheSearchGoesBeyondAndHalvesTheBracket() throws Exception {
    PerfBench.Opts o = opts();
    List<PerfBench.MemPoint> sweep = sweep(o);
    probed.clear();

    // A deliberately poor extrapolation (half the true width) must not mislead the result.
    PerfBench.Bracket b = PerfBench.Bracket.of(sweep, "evograd", o).search(o, 2200, this::point);

    assertThat(b.within().width()).isGreaterThan(2048);
    assertThat(peak(b.within())).isLessThanOrEqualTo(BUDGET);
    assertThat(peak(b.over())).isGreaterThan(BUDGET);
    assertThat(b.over().width() - b.within().width()).isLessThanOrEqualTo(128);
    assertThat(b.within().width() % 64).isZero();
    assertThat(probed).hasSizeLessThanOrEqualTo(10);
  }

  @Test
  void aBracketInsideTheSweepIsOnlyNarrowed() throws Exception {
    PerfBench.Opts o = PerfBench.Opts.parse(new String[] {"--widths", "1024,8192"});
    List<PerfBench.MemPoint> sweep = List.of(point(1024), point(8192));
    probed.clear();

    PerfBench.Bracket b = PerfBench.Bracket.of(sweep, "evograd", o).search(o, 1e9, this::point);

    assertThat(probed).allMatch(w -> w > 1024 && w < 8192);
    assertThat(peak(b.within())).isLessThanOrEqualTo(BUDGET);
    assertThat(peak(b.over())).isGreaterThan(BUDGET);
    assertThat(b.over().width() - b.within().width()).isLessThanOrEqualTo(128);
  }

  @Test
  void aTransientPeakOverTheBudgetIsMeasuredAgainAndDoesNotEndTheSearch() throws Exception {
    PerfBench.Opts o = opts();
    List<PerfBench.MemPoint> sweep = sweep(o);
    // The true boundary is near 4318; the extrapolated first probe, 3584, would read 2070 MB once.
    transientOnce.add(3584);

    PerfBench.Bracket b = PerfBench.Bracket.of(sweep, "evograd", o).search(o, 3258, this::point);

    assertThat(probed.stream().filter(w -> w == 3584)).hasSize(2);
    assertThat(b.within().width()).isGreaterThan(4096);
    assertThat(b.over().width() - b.within().width()).isLessThanOrEqualTo(128);
  }
}
