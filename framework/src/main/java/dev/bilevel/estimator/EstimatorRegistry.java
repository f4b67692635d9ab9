package dev.bilevel.estimator;

import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** The registered estimators by name, and the one the injector selected. */
public final class EstimatorRegistry {
  private final Map<String, Provider<HypergradientEstimator>> estimators;
  private final Optional<String> selected;

  @Inject
  public EstimatorRegistry(Map<String, Provider<HypergradientEstimator>> estimators,
      @SelectedEstimator Optional<String> selected) {
    this.estimators = Map.copyOf(estimators);
    this.selected = selected;
  }

  /** Names of every registered estimator, sorted. */
  public java.util.SortedSet<String> names() {
    return new TreeSet<>(estimators.keySet());
  }

  /**
   * The estimator registered under a name.
   *
   * @throws IllegalArgumentException naming the estimators that are available
   */
  public HypergradientEstimator get(String name) {
    Provider<HypergradientEstimator> p = estimators.get(name);
    if (p == null) {
      throw new IllegalArgumentException("Unknown estimator '" + name + "'. Available: "
          + String.join(", ", names()) + ".");
    }
    return p.get();
  }

  /**
   * The estimator selected by an installed module (e.g. {@code new EvoGradModule()}).
   *
   * @throws IllegalStateException when no module selected one
   */
  public HypergradientEstimator selected() {
    return get(selected.orElseThrow(() -> new IllegalStateException(
        "No estimator selected. Install one estimator module (e.g. new EvoGradModule(),"
            + " new OneStepModule(), new FirstOrderModule()) or Estimators.select(binder, name)"
            + " with one of: " + String.join(", ", names()) + ".")));
  }

  public Optional<String> selectedName() {
    return selected;
  }
}
