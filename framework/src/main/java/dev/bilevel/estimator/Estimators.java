package dev.bilevel.estimator;

import com.google.inject.Binder;
import com.google.inject.Key;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.multibindings.OptionalBinder;

/** Guice helpers for estimator modules: register an estimator by name, select one. */
public final class Estimators {
  private Estimators() {}

  /** The map of every estimator by name; plugins add theirs to it. */
  public static MapBinder<String, HypergradientEstimator> registry(Binder binder) {
    return MapBinder.newMapBinder(binder, String.class, HypergradientEstimator.class);
  }

  /** The optional binding of the selected estimator's name. */
  public static OptionalBinder<String> selection(Binder binder) {
    return OptionalBinder.newOptionalBinder(binder, Key.get(String.class, SelectedEstimator.class));
  }

  /** Selects the estimator registered under {@code name}. */
  public static void select(Binder binder, String name) {
    selection(binder).setBinding().toInstance(name);
  }
}
