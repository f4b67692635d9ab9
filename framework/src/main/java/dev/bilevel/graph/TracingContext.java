package dev.bilevel.graph;

import dev.bilevel.blocks.Block;
import dev.bilevel.blocks.BlockScope;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.GroupRef;
import dev.bilevel.dsl.GroupSpec;
import dev.bilevel.dsl.InputSpec;
import dev.bilevel.dsl.Level;
import dev.bilevel.dsl.ObjectiveContext;
import dev.bilevel.dsl.ParamSpec;
import dev.bilevel.dsl.Role;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/** Builds one objective's graph while the user's objective code runs, recording every problem. */
final class TracingContext implements ObjectiveContext {

  /** Stops tracing an objective after a problem that makes going on meaningless. */
  static final class Abort extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Abort() {
      super(null, null, false, false);
    }
  }

  private final SameDiff sd = SameDiff.create();
  private final BilevelProblem problem;
  private final Level level;
  private final List<String> problems;
  private final Map<String, SDVariable> placeholders = new LinkedHashMap<>();
  private final Map<String, SDVariable> params = new LinkedHashMap<>();
  private final Map<String, long[]> shapes = new HashMap<>();
  private final Map<String, SDVariable> exposed = new LinkedHashMap<>();
  private int counter;

  TracingContext(BilevelProblem problem, Level level, List<String> problems) {
    this.problem = problem;
    this.level = level;
    this.problems = problems;
  }

  private String where() {
    return level.word() + " objective";
  }

  private Abort fail(String message) {
    problems.add(where() + ": " + message);
    return new Abort();
  }

  @Override
  public SameDiff sd() {
    return sd;
  }

  @Override
  public Level level() {
    return level;
  }

  @Override
  public DataType dtype() {
    return problem.dtype();
  }

  @Override
  public SDVariable input(String name) {
    SDVariable v = placeholders.get(name);
    if (v != null) {
      return v;
    }
    InputSpec spec = problem.inputs().stream().filter(i -> i.name().equals(name)).findFirst()
        .orElseThrow(() -> fail("unknown input '" + name + "'; declared inputs are "
            + problem.inputs().stream().map(InputSpec::name).toList()
            + ". Declare it with .input(\"" + name + "\", ...) or fix the name"));
    v = sd.placeHolder(name, spec.dtype(), spec.shape());
    placeholders.put(name, v);
    shapes.put(v.name(), spec.shape());
    return v;
  }

  @Override
  public GroupRef inner(String group) {
    return group(group, Role.INNER);
  }

  @Override
  public GroupRef meta(String group) {
    return group(group, Role.META);
  }

  private GroupRef group(String name, Role role) {
    GroupSpec g = problem.group(name).orElseThrow(() -> fail("unknown " + role.word() + " group '"
        + name + "'; " + role.word() + " groups are "
        + problem.groups(role).stream().map(GroupSpec::name).toList()));
    if (g.role() != role) {
      throw fail("'" + name + "' is a " + g.role().word() + " group; use f." + g.role().word()
          + "(\"" + name + "\")");
    }
    return new Ref(g);
  }

  private SDVariable param(GroupSpec g, ParamSpec p) {
    String var = g.name() + "." + p.name();
    return params.computeIfAbsent(var, k -> sd.var(k, problem.dtype(), p.shape()));
  }

  @Override
  public void expose(String name, SDVariable value) {
    if (exposed.containsKey(name)) {
      throw fail("output '" + name + "' is exposed twice; give each exposed output its own name");
    }
    exposed.put(name, value);
  }

  SDVariable trace() {
    SDVariable loss = problem.objective(level).define(this);
    if (loss == null) {
      throw fail("returned null; return the scalar loss variable");
    }
    return loss;
  }

  Map<String, SDVariable> placeholders() {
    return placeholders;
  }

  Map<String, SDVariable> params() {
    return params;
  }

  Map<String, SDVariable> exposed() {
    return exposed;
  }

  private final class Ref implements GroupRef {
    private final GroupSpec g;

    Ref(GroupSpec g) {
      this.g = g;
    }

    @Override
    public String name() {
      return g.name();
    }

    @Override
    public Role role() {
      return g.role();
    }

    @Override
    public SDVariable param(String name) {
      ParamSpec p = g.params().stream().filter(ps -> ps.name().equals(name)).findFirst()
          .orElseThrow(() -> fail("group '" + g.name() + "' has no parameter '" + name
              + "'; it has " + g.params().stream().map(ParamSpec::name).toList()));
      return TracingContext.this.param(g, p);
    }

    @Override
    public List<SDVariable> params() {
      List<SDVariable> out = new ArrayList<>();
      for (ParamSpec p : g.params()) {
        out.add(TracingContext.this.param(g, p));
      }
      return out;
    }

    @Override
    public SDVariable apply(SDVariable input) {
      if (!g.isNetwork()) {
        throw fail("group '" + g.name() + "' declares raw parameters, not a network, so it cannot"
            + " be applied; use f." + g.role().word() + "(\"" + g.name() + "\").param(name)");
      }
      long[] shape = shapes.get(input.name());
      if (shape == null && input.getShape() != null) {
        shape = input.getShape();
      }
      SDVariable h = input;
      int call = counter++;
      for (int i = 0; i < g.blocks().size(); i++) {
        Block b = g.blocks().get(i);
        long[] in = shape;
        if (in != null) {
          try {
            shape = b.outputShape(in);
          } catch (IllegalArgumentException e) {
            throw fail("group '" + g.name() + "', block " + i + " " + b.describe() + ": "
                + e.getMessage());
          }
        }
        int index = i;
        long[] inShape = in == null ? new long[] {-1} : in;
        h = b.apply(new BlockScope() {
          @Override
          public SameDiff sd() {
            return sd;
          }

          @Override
          public SDVariable param(String localName) {
            return Ref.this.param(index + "." + localName);
          }

          @Override
          public long[] inputShape() {
            return inShape.clone();
          }

          @Override
          public String name(String suffix) {
            return g.name() + "." + index + "." + suffix + "_" + level.word() + call;
          }
        }, h);
      }
      if (shape != null) {
        shapes.put(h.name(), shape);
      }
      return h;
    }

    @Override
    public String toString() {
      return g.role().word() + " group " + g.name() + Arrays.toString(new long[] {g.length()});
    }
  }
}
