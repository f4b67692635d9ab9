package dev.bilevel.dsl;

import java.util.ArrayList;
import java.util.List;

/** Declares raw parameter tensors of a group: {@code p -> p.param("decay", Init.constant(1e-3), 784)}. */
public final class Params {
  private final List<ParamSpec> params = new ArrayList<>();
  private final List<String> problems;
  private final String group;

  Params(String group, List<String> problems) {
    this.group = group;
    this.problems = problems;
  }

  public Params param(String name, Init init, long... shape) {
    if (name == null || name.isBlank()) {
      problems.add("group '" + group + "': a parameter has no name; give every parameter a name");
      return this;
    }
    if (shape.length == 0) {
      shape = new long[] {1};
    }
    for (long d : shape) {
      if (d <= 0) {
        problems.add("group '" + group + "', parameter '" + name + "': shape "
            + java.util.Arrays.toString(shape) + " has a non-positive dimension; parameter shapes"
            + " are static and positive");
        return this;
      }
    }
    params.add(new ParamSpec(name, shape, init == null ? Init.zeros() : init));
    return this;
  }

  List<ParamSpec> params() {
    return List.copyOf(params);
  }
}
