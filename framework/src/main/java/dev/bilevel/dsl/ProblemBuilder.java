package dev.bilevel.dsl;

import dev.bilevel.graph.GraphValidator;
import dev.bilevel.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Describes a bilevel problem. Each call records what it was given; {@link #build()} checks the
 * whole description, traces both objectives into graphs, and reports every problem at once.
 */
public final class ProblemBuilder {
  private final String name;
  private final List<String> problems = new ArrayList<>();
  private final List<InputSpec> inputs = new ArrayList<>();
  private final List<GroupSpec> groups = new ArrayList<>();
  private Objective inner;
  private Objective outer;
  private OptimizerSpec innerOptimizer;
  private OptimizerSpec outerOptimizer;
  private int metaUpdateEvery = 1;
  private UpdateOrder order = UpdateOrder.META_FIRST;
  private DataType dtype = DataType.FLOAT;

  ProblemBuilder(String name) {
    this.name = name == null || name.isBlank() ? "<unnamed>" : name;
    if (name == null || name.isBlank()) {
      problems.add("the problem has no name; pass one to Bilevel.problem(\"...\")");
    }
  }

  /** An input of the problem's dtype; -1 marks the batch dimension. */
  public ProblemBuilder input(String inputName, long... shape) {
    return input(inputName, null, shape);
  }

  /** An input with an explicit dtype (use an integer type for class indices). */
  public ProblemBuilder input(String inputName, DataType type, long... shape) {
    if (inputName == null || inputName.isBlank()) {
      problems.add("an input has no name; give every input a name");
      return this;
    }
    if (shape.length == 0) {
      problems.add("input '" + inputName + "' has no shape; give it one, with -1 for the batch"
          + " dimension, e.g. input(\"" + inputName + "\", -1, 784)");
    }
    for (long d : shape) {
      if (d == 0 || d < -1) {
        problems.add("input '" + inputName + "' has shape " + Arrays.toString(shape)
            + "; dimensions must be positive, or -1 for unknown");
        break;
      }
    }
    inputs.add(new InputSpec(inputName, type, shape));
    return this;
  }

  /** An inner (θ) group defined by a network. */
  public ProblemBuilder inner(String group, Consumer<Net> network) {
    return network(group, Role.INNER, network);
  }

  /** A meta (λ) group defined by a network. */
  public ProblemBuilder meta(String group, Consumer<Net> network) {
    return network(group, Role.META, network);
  }

  /** An inner (θ) group of raw parameters. */
  public ProblemBuilder innerParams(String group, Consumer<Params> params) {
    return raw(group, Role.INNER, params);
  }

  /** A meta (λ) group of raw parameters. */
  public ProblemBuilder metaParams(String group, Consumer<Params> params) {
    return raw(group, Role.META, params);
  }

  private ProblemBuilder network(String group, Role role, Consumer<Net> network) {
    if (group == null || group.isBlank()) {
      problems.add("a " + role.word() + " group has no name; name every group");
      return this;
    }
    Net net = new Net();
    try {
      network.accept(net);
    } catch (IllegalArgumentException e) {
      problems.add(role.word() + " group '" + group + "': " + e.getMessage());
      return this;
    }
    if (net.blocks().isEmpty()) {
      problems.add(role.word() + " group '" + group + "' has no blocks; add at least one, e.g."
          + " net.dense(784, 10)");
      return this;
    }
    groups.add(new GroupSpec(group, role, net.blocks(), List.of()));
    return this;
  }

  private ProblemBuilder raw(String group, Role role, Consumer<Params> params) {
    if (group == null || group.isBlank()) {
      problems.add("a " + role.word() + " group has no name; name every group");
      return this;
    }
    Params p = new Params(group, problems);
    params.accept(p);
    if (p.params().isEmpty()) {
      problems.add(role.word() + " group '" + group + "' declares no parameters; add one with"
          + " p.param(name, init, shape...)");
      return this;
    }
    groups.add(new GroupSpec(group, role, List.of(), p.params()));
    return this;
  }

  /** L_in(θ, λ; batch), minimised over θ by the inner optimizer. */
  public ProblemBuilder innerObjective(Objective objective) {
    if (inner != null) {
      problems.add("the inner objective is set twice; keep one innerObjective(...) call");
    }
    inner = objective;
    return this;
  }

  /** L_out(θ, λ; batch), whose hypergradient with respect to λ drives the outer optimizer. */
  public ProblemBuilder outerObjective(Objective objective) {
    if (outer != null) {
      problems.add("the outer objective is set twice; keep one outerObjective(...) call");
    }
    outer = objective;
    return this;
  }

  public ProblemBuilder innerOptimizer(OptimizerSpec spec) {
    innerOptimizer = spec;
    return this;
  }

  public ProblemBuilder outerOptimizer(OptimizerSpec spec) {
    outerOptimizer = spec;
    return this;
  }

  /** How many inner steps between meta-updates (1 = online). */
  public ProblemBuilder metaUpdateEvery(int steps) {
    if (steps < 1) {
      problems.add("metaUpdateEvery(" + steps + "): the interval must be at least 1");
    } else {
      metaUpdateEvery = steps;
    }
    return this;
  }

  /** Meta-update before the inner update of a step (the default; Meta-Weight-Net's order). */
  public ProblemBuilder metaFirst() {
    order = UpdateOrder.META_FIRST;
    return this;
  }

  /** Inner update before the meta-update of a step (LFT's order). */
  public ProblemBuilder baseFirst() {
    order = UpdateOrder.BASE_FIRST;
    return this;
  }

  /** FLOAT (the default) or DOUBLE, for parameters and floating inputs. */
  public ProblemBuilder dtype(DataType type) {
    if (type != DataType.FLOAT && type != DataType.DOUBLE) {
      problems.add("dtype(" + type + "): use DataType.FLOAT or DataType.DOUBLE");
    } else {
      dtype = type;
    }
    return this;
  }

  /**
   * Checks everything, traces both objectives, and returns the immutable problem.
   *
   * @throws BilevelSpecException listing every problem found
   */
  public BilevelProblem build() {
    List<String> all = new ArrayList<>(problems);
    Set<String> seen = new HashSet<>();
    for (InputSpec in : inputs) {
      if (!seen.add(in.name())) {
        all.add("input '" + in.name() + "' is declared twice; give each input a distinct name");
      }
    }
    Map<String, Role> groupRoles = new HashMap<>();
    for (GroupSpec g : groups) {
      Role before = groupRoles.put(g.name(), g.role());
      if (before != null && before != g.role()) {
        all.add("group '" + g.name() + "' is declared both inner and meta; a parameter belongs to"
            + " θ or to λ, not both: rename one of them");
      } else if (before != null) {
        all.add(g.role().word() + " group '" + g.name() + "' is declared twice; give each group a"
            + " distinct name");
      }
      Set<String> names = new HashSet<>();
      for (ParamSpec p : g.params()) {
        if (!names.add(p.name())) {
          all.add("group '" + g.name() + "': parameter '" + p.name() + "' is declared twice");
        }
      }
    }
    if (groups.stream().noneMatch(g -> g.role() == Role.INNER)) {
      all.add("no inner parameters; declare the model with .inner(name, net -> ...) or"
          + " .innerParams(name, p -> ...)");
    }
    if (groups.stream().noneMatch(g -> g.role() == Role.META)) {
      all.add("no meta-parameters; declare λ with .meta(name, net -> ...) or"
          + " .metaParams(name, p -> ...)");
    }
    if (inner == null) {
      all.add("no inner objective; add .innerObjective(f -> ...) returning L_in(θ, λ)");
    }
    if (outer == null) {
      all.add("no outer objective; add .outerObjective(f -> ...) returning L_out(θ, λ)");
    }
    if (innerOptimizer == null) {
      all.add("no inner optimizer; add e.g. .innerOptimizer(Sgd.of(0.1))");
    }
    if (outerOptimizer == null) {
      all.add("no outer optimizer; add e.g. .outerOptimizer(Adam.of(1e-3))");
    }
    List<InputSpec> typedInputs = inputs.stream()
        .map(i -> new InputSpec(i.name(), i.dtype() == null ? dtype : i.dtype(), i.shape()))
        .toList();
    for (InputSpec in : typedInputs) {
      if (in.dtype().isFPType() && in.dtype() != dtype) {
        all.add("input '" + in.name() + "' is " + in.dtype() + " but the problem is " + dtype
            + "; drop the input's dtype or make them match");
      }
    }
    BilevelProblem problem = new BilevelProblem(name, typedInputs, groups, inner, outer,
        innerOptimizer, outerOptimizer, metaUpdateEvery, order, dtype, List.of());
    // Trace whatever objectives exist even when others are missing, so one build reports all.
    GraphValidator.Report report = GraphValidator.validate(problem);
    all.addAll(report.problems());
    if (!all.isEmpty()) {
      throw new BilevelSpecException(name, all);
    }
    return problem.withWarnings(report.warnings());
  }
}
