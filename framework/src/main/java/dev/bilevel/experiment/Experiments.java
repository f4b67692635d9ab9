package dev.bilevel.experiment;

import com.google.inject.Binder;
import com.google.inject.multibindings.Multibinder;

/** The multibinder that collects every plugin's experiments. */
public final class Experiments {
  private Experiments() {}

  /** The set binder of experiments; call {@code .addBinding().to(MyExperiment.class)}. */
  public static Multibinder<Experiment> bind(Binder binder) {
    return Multibinder.newSetBinder(binder, Experiment.class);
  }
}
