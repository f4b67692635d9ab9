package dev.bilevel.experiment;

import com.google.inject.Module;

/**
 * A plugin, found with {@link java.util.ServiceLoader}: list the implementing class in {@code
 * META-INF/services/dev.bilevel.experiment.BilevelPlugin}. Its module adds experiments with {@link
 * Experiments#bind} and may register further estimators in the estimator map binder.
 */
public interface BilevelPlugin {

  /** A short name, for listings and provenance. */
  String name();

  /** The plugin's Guice module. */
  Module module();
}
