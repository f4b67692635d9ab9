package dev.bilevel.dsl;

import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.OptimizerSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * An immutable, validated bilevel problem: inputs, parameter groups, the two objectives and the
 * training set-up. {@link #compile()} turns it into SameDiff graphs.
 */
public final class BilevelProblem {
  private final String name;
  private final List<InputSpec> inputs;
  private final List<GroupSpec> groups;
  private final Objective inner;
  private final Objective outer;
  private final OptimizerSpec innerOptimizer;
  private final OptimizerSpec outerOptimizer;
  private final int metaUpdateEvery;
  private final UpdateOrder order;
  private final DataType dtype;
  private final List<String> warnings;

  BilevelProblem(String name, List<InputSpec> inputs, List<GroupSpec> groups, Objective inner,
      Objective outer, OptimizerSpec innerOptimizer, OptimizerSpec outerOptimizer,
      int metaUpdateEvery, UpdateOrder order, DataType dtype, List<String> warnings) {
    this.name = name;
    this.inputs = List.copyOf(inputs);
    this.groups = List.copyOf(groups);
    this.inner = inner;
    this.outer = outer;
    this.innerOptimizer = innerOptimizer;
    this.outerOptimizer = outerOptimizer;
    this.metaUpdateEvery = metaUpdateEvery;
    this.order = order;
    this.dtype = dtype;
    this.warnings = List.copyOf(warnings);
  }

  BilevelProblem withWarnings(List<String> w) {
    return new BilevelProblem(name, inputs, groups, inner, outer, innerOptimizer, outerOptimizer,
        metaUpdateEvery, order, dtype, w);
  }

  public String name() {
    return name;
  }

  public List<InputSpec> inputs() {
    return inputs;
  }

  public List<GroupSpec> groups() {
    return groups;
  }

  public List<GroupSpec> groups(Role role) {
    return groups.stream().filter(g -> g.role() == role).toList();
  }

  public Optional<GroupSpec> group(String groupName) {
    return groups.stream().filter(g -> g.name().equals(groupName)).findFirst();
  }

  /** How many parameters a level has: dim θ for {@link Role#INNER}, dim λ for {@link Role#META}. */
  public long parameterCount(Role role) {
    return groups(role).stream().mapToLong(GroupSpec::length).sum();
  }

  public Objective objective(Level level) {
    return level == Level.INNER ? inner : outer;
  }

  public OptimizerSpec innerOptimizer() {
    return innerOptimizer;
  }

  public OptimizerSpec outerOptimizer() {
    return outerOptimizer;
  }

  public int metaUpdateEvery() {
    return metaUpdateEvery;
  }

  public UpdateOrder order() {
    return order;
  }

  public DataType dtype() {
    return dtype;
  }

  /**
   * Things that are legal but worth knowing, e.g. which estimators return zero because λ reaches
   * the outer objective only one way.
   */
  public List<String> warnings() {
    return warnings;
  }

  /** Fresh SameDiff graphs for this problem. Each call compiles anew; a run compiles once. */
  public CompiledProblem compile() {
    return CompiledProblem.compile(this);
  }

  /** The specification as provenance. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("dtype", dtype.toString());
    m.put("inputs", inputs.stream().map(InputSpec::toString).toList());
    Map<String, Object> gs = new LinkedHashMap<>();
    for (GroupSpec g : groups) {
      gs.put(g.name(), Map.of(
          "role", g.role().word(),
          "blocks", g.blocks().stream().map(b -> b.describe()).toList(),
          "parameters", g.length()));
    }
    m.put("groups", gs);
    m.put("innerOptimizer", innerOptimizer.describe());
    m.put("outerOptimizer", outerOptimizer.describe());
    m.put("metaUpdateEvery", metaUpdateEvery);
    m.put("order", order.name());
    return m;
  }
}
