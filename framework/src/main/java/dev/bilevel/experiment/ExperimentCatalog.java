package dev.bilevel.experiment;

import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/** Every bound experiment by name. */
public final class ExperimentCatalog {
  private final SortedMap<String, Experiment> byName = new TreeMap<>();

  @Inject
  public ExperimentCatalog(Set<Experiment> experiments) {
    for (Experiment e : experiments) {
      Experiment before = byName.put(e.name(), e);
      if (before != null) {
        throw new IllegalStateException("two experiments are named '" + e.name() + "': "
            + before.getClass().getName() + " and " + e.getClass().getName());
      }
    }
  }

  public Map<String, Experiment> all() {
    return java.util.Collections.unmodifiableSortedMap(byName);
  }

  /** The experiment with a name, or an error naming the available ones. */
  public Experiment get(String name) {
    Experiment e = byName.get(name);
    if (e == null) {
      throw new IllegalArgumentException("Unknown experiment '" + name + "'. Available: "
          + (byName.isEmpty() ? "none (no plugin on the class path)" : String.join(", ", byName.keySet()))
          + ".");
    }
    return e;
  }
}
