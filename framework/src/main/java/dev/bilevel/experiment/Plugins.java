package dev.bilevel.experiment;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import dev.bilevel.inject.BilevelModule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Finds plugins on the class path and builds the injector that holds their experiments. */
public final class Plugins {
  private Plugins() {}

  /** Every plugin the class loader's {@code META-INF/services} lists, sorted by name. */
  public static List<BilevelPlugin> discover(ClassLoader loader) {
    List<BilevelPlugin> found = new ArrayList<>();
    ServiceLoader.load(BilevelPlugin.class, loader).forEach(found::add);
    found.sort(Comparator.comparing(BilevelPlugin::name));
    return found;
  }

  public static List<BilevelPlugin> discover() {
    return discover(Thread.currentThread().getContextClassLoader());
  }

  /**
   * An injector with the framework's bindings, every plugin's module and {@code extra} modules
   * (e.g. one that selects an estimator).
   */
  public static Injector injector(List<BilevelPlugin> plugins, Module... extra) {
    List<Module> modules = new ArrayList<>();
    modules.add(new BilevelModule());
    modules.add(new AbstractModule() {
      @Override
      protected void configure() {
        Experiments.bind(binder()); // present even when no plugin adds one
      }
    });
    plugins.forEach(p -> modules.add(p.module()));
    modules.addAll(List.of(extra));
    return Guice.createInjector(modules);
  }
}
