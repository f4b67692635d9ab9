package dev.bilevel.graph;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.InputSpec;
import dev.bilevel.dsl.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The checks of {@code build()} that need the graphs: tracing both objectives, who reaches what,
 * and one evaluation on a tiny batch so shape errors in raw ops surface now, not at step 1,000.
 */
public final class GraphValidator {
  private GraphValidator() {}

  /** Problems (build fails) and warnings (build succeeds). */
  public record Report(List<String> problems, List<String> warnings) {}

  public static Report validate(BilevelProblem problem) {
    List<String> problems = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    CompiledProblem c = CompiledProblem.tryCompile(problem, Backends.current(), problems, false);
    if (c == null) {
      return new Report(problems, warnings);
    }
    boolean direct = c.lambdaReaches(Level.OUTER);
    boolean viaInner = c.lambdaReaches(Level.INNER) && c.thetaReaches(Level.OUTER);
    if (!direct && !viaInner) {
      problems.add("outer objective: no meta-parameter can reach it, neither directly nor through θ"
          + " (λ must appear in the inner objective, and θ in the outer one, or λ in the outer one);"
          + " every estimator (first-order, one-step, evograd, ...) would return zero");
    } else if (!direct) {
      warnings.add("λ reaches the outer objective only through θ: first-order returns zero");
    } else if (!viaInner) {
      warnings.add("λ does not reach the outer objective through θ: evograd returns zero and every"
          + " other estimator returns only the direct term ∂L_out/∂λ");
    }
    if (!c.thetaReaches(Level.INNER)) {
      problems.add("inner objective: does not depend on any inner parameter, so the inner optimizer"
          + " has nothing to train; use f.inner(...) in it");
    }
    if (problems.isEmpty()) {
      Batch tiny = tinyBatch(problem);
      INDArray th = c.initialTheta(0);
      INDArray la = c.initialLambda(0);
      for (Level level : Level.values()) {
        try {
          c.evaluate(level, th, la, tiny, Wrt.NONE);
          c.evaluate(level, th, la, tiny, Wrt.BOTH);
        } catch (ObjectiveGraph.NonScalarLoss e) {
          problems.add(level.word() + " objective: returns a value of shape "
              + java.util.Arrays.toString(e.shape) + " on a batch of 2; return a scalar, e.g."
              + " per-sample losses .mean()");
        } catch (RuntimeException e) {
          problems.add(level.word() + " objective: evaluating it on a batch of 2 zero examples failed"
              + " (" + rootMessage(e) + "); check the shapes your raw ops assume");
        }
      }
    }
    return new Report(problems, warnings);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private static Batch tinyBatch(BilevelProblem problem) {
    Map<String, INDArray> values = new HashMap<>();
    for (InputSpec in : problem.inputs()) {
      long[] shape = in.shape();
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] == -1) {
          shape[i] = 2;
        }
      }
      values.put(in.name(), Nd4j.zeros(in.dtype(), shape));
    }
    return Batch.of(values);
  }
}
