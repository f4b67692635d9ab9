package dev.bilevel.mwn;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.bilevel.experiment.BilevelPlugin;
import dev.bilevel.experiment.Experiments;

/** Meta-Weight-Net: learned per-sample loss weights for noisy labels and class imbalance. */
public final class MwnPlugin implements BilevelPlugin {
  @Override
  public String name() {
    return "mwn";
  }

  @Override
  public Module module() {
    return new AbstractModule() {
      @Override
      protected void configure() {
        Experiments.bind(binder()).addBinding().to(MwnExperiment.class);
      }
    };
  }
}
