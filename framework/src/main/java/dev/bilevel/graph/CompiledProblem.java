package dev.bilevel.graph;

import dev.bilevel.backend.Backend;
import dev.bilevel.data.Batch;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Level;
import dev.bilevel.dsl.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A problem compiled to two SameDiff graphs, one per objective. Graphs are built once; every
 * evaluation loads the given θ and λ into them. Not thread-safe: one run, one compiled problem.
 */
public final class CompiledProblem implements BilevelOracle {
  private final BilevelProblem problem;
  private final ParameterLayout theta;
  private final ParameterLayout lambda;
  private final ObjectiveGraph inner;
  private final ObjectiveGraph outer;
  private final Backend backend;
  private long forward;
  private long backward;

  private CompiledProblem(BilevelProblem problem, ObjectiveGraph inner, ObjectiveGraph outer,
      ParameterLayout theta, ParameterLayout lambda, Backend backend) {
    this.problem = problem;
    this.inner = inner;
    this.outer = outer;
    this.theta = theta;
    this.lambda = lambda;
    this.backend = backend;
  }

  /** Compiles with the process's ND4J backend. */
  public static CompiledProblem compile(BilevelProblem problem) {
    return compile(problem, Backends.current());
  }

  /**
   * Compiles a validated problem.
   *
   * @throws IllegalStateException if tracing fails (cannot happen for a problem that built)
   */
  public static CompiledProblem compile(BilevelProblem problem, Backend backend) {
    return compile(problem, backend, true);
  }

  /** Compiles with a chosen executor, e.g. SameDiff's own to rule the replay plans out. */
  public static CompiledProblem compile(BilevelProblem problem, Backend backend, Executor executor) {
    return compile(problem, backend, executor == Executor.REPLAY);
  }

  /** @param replay false keeps every evaluation on SameDiff's own executor (the reference) */
  static CompiledProblem compile(BilevelProblem problem, Backend backend, boolean replay) {
    List<String> problems = new ArrayList<>();
    CompiledProblem c = tryCompile(problem, backend, problems, replay);
    if (c == null) {
      throw new IllegalStateException("Problem '" + problem.name() + "' failed to compile: "
          + problems);
    }
    return c;
  }

  static CompiledProblem tryCompile(BilevelProblem problem, Backend backend, List<String> problems) {
    return tryCompile(problem, backend, problems, true);
  }

  static CompiledProblem tryCompile(BilevelProblem problem, Backend backend,
      List<String> problems, boolean replay) {
    ParameterLayout theta = new ParameterLayout(Role.INNER, problem.groups(Role.INNER), problem.dtype());
    ParameterLayout lambda = new ParameterLayout(Role.META, problem.groups(Role.META), problem.dtype());
    ObjectiveGraph in = problem.objective(Level.INNER) == null ? null
        : trace(problem, Level.INNER, theta, lambda, problems, replay);
    ObjectiveGraph out = problem.objective(Level.OUTER) == null ? null
        : trace(problem, Level.OUTER, theta, lambda, problems, replay);
    if (in == null || out == null) {
      return null;
    }
    return new CompiledProblem(problem, in, out, theta, lambda, backend);
  }

  private static ObjectiveGraph trace(BilevelProblem problem, Level level, ParameterLayout theta,
      ParameterLayout lambda, List<String> problems, boolean replay) {
    TracingContext ctx = new TracingContext(problem, level, problems);
    try {
      SDVariable loss = ctx.trace();
      long[] shape = loss.getShape();
      if (shape != null && shape.length > 0 && java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b) != 1) {
        problems.add(level.word() + " objective: returns a value of shape "
            + java.util.Arrays.toString(shape) + "; return a scalar, e.g. per-sample losses .mean()");
        return null;
      }
      return new ObjectiveGraph(ctx, loss, theta, lambda, problem.inputs(), replay);
    } catch (TracingContext.Abort a) {
      return null;
    } catch (RuntimeException e) {
      problems.add(level.word() + " objective: building the graph failed: " + e.getMessage());
      return null;
    }
  }

  public BilevelProblem problem() {
    return problem;
  }

  @Override
  public ParameterLayout thetaLayout() {
    return theta;
  }

  @Override
  public ParameterLayout lambdaLayout() {
    return lambda;
  }

  @Override
  public DataType dtype() {
    return problem.dtype();
  }

  /** θ_0 from the initialisers, drawn with one seed. */
  public INDArray initialTheta(long seed) {
    return theta.initialValues(seed);
  }

  /** λ_0 from the initialisers, drawn with one seed. */
  public INDArray initialLambda(long seed) {
    return lambda.initialValues(seed ^ 0x5DEECE66DL);
  }

  ObjectiveGraph graph(Level level) {
    return level == Level.INNER ? inner : outer;
  }

  @Override
  public Evaluation evaluate(Level level, INDArray th, INDArray la, Batch batch, Wrt wrt,
      String... outputs) {
    return run(level, th, la, batch, wrt, null, false, outputs);
  }

  @Override
  public Evaluation evaluateInto(Level level, INDArray th, INDArray la, Batch batch, Wrt wrt,
      INDArray gradThetaInto) {
    if (!wrt.theta()) {
      throw new IllegalArgumentException("evaluateInto writes ∇θ, but wrt is " + wrt
          + "; use evaluate for requests without θ");
    }
    return run(level, th, la, batch, wrt, gradThetaInto, false);
  }

  @Override
  public Evaluation evaluateHoldingPattern(Level level, INDArray th, INDArray la, Batch batch,
      Wrt wrt, INDArray gradThetaInto) {
    if (gradThetaInto != null && !wrt.theta()) {
      throw new IllegalArgumentException("evaluateHoldingPattern writes ∇θ into a buffer, but wrt"
          + " is " + wrt + "; pass null for requests without θ");
    }
    return run(level, th, la, batch, wrt, gradThetaInto, true);
  }

  /** The checks, the noise seed and the counters every evaluation shares. */
  private Evaluation run(Level level, INDArray th, INDArray la, Batch batch, Wrt wrt,
      INDArray gradThetaInto, boolean holdPattern, String... outputs) {
    checkLength("θ", th, theta);
    checkLength("λ", la, lambda);
    if (gradThetaInto != null) {
      checkLength("the gradient buffer", gradThetaInto, theta);
    }
    backend.seedRandom(batch.noiseSeed());
    forward++;
    if (wrt != Wrt.NONE) {
      backward++;
    }
    return graph(level).evaluate(th, la, batch, wrt, problem.dtype(), theta, lambda,
        gradThetaInto, holdPattern, outputs);
  }

  /** Evaluations of an objective that held a previous evaluation's activation pattern. */
  public long heldPatterns(Level level) {
    return graph(level).heldPatterns();
  }

  private static void checkLength(String what, INDArray v, ParameterLayout layout) {
    if (v.length() != layout.size()) {
      throw new IllegalArgumentException(what + " has " + v.length() + " elements but the problem's "
          + what + " layout has " + layout.size() + "; pass a flat vector of the layout's size");
    }
  }

  @Override
  public Map<String, INDArray> outputs(Level level, INDArray th, INDArray la, Batch batch,
      String... names) {
    return evaluate(level, th, la, batch, Wrt.NONE, names).outputs();
  }

  @Override
  public boolean lambdaReaches(Level level) {
    return graph(level).reachesLambda();
  }

  @Override
  public boolean thetaReaches(Level level) {
    return graph(level).reachesTheta();
  }

  @Override
  public Counts counts() {
    return new Counts(forward, backward);
  }
}
