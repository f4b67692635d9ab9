package dev.bilevel.graph;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.InputSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;

/**
 * One objective compiled to its own SameDiff graph. Parameters are graph variables whose arrays are
 * overwritten from the flat θ and λ vectors before each evaluation; the gradient function is built
 * once and reused.
 */
final class ObjectiveGraph {

  /** An objective whose value is not a scalar. */
  static final class NonScalarLoss extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    final long[] shape;

    NonScalarLoss(long[] shape) {
      super("the objective's value has shape " + java.util.Arrays.toString(shape)
          + "; an objective must return a scalar");
      this.shape = shape;
    }
  }

  private final SameDiff sd;
  private final String loss;
  private final Map<String, String> exposed;
  private final List<Bound> bound = new ArrayList<>();
  private final Map<String, InputSpec> inputs = new HashMap<>();
  private final Set<String> reachable;
  private final List<String> thetaGradVars = new ArrayList<>();
  private final List<String> lambdaGradVars = new ArrayList<>();

  /** A graph variable bound to a slice of θ or λ. */
  private record Bound(String var, boolean theta, ParameterLayout.Entry entry, INDArray array) {}

  ObjectiveGraph(TracingContext ctx, SDVariable lossVar, ParameterLayout theta,
      ParameterLayout lambda, List<InputSpec> inputSpecs) {
    this.sd = ctx.sd();
    this.loss = lossVar.name();
    sd.setLossVariables(loss);
    this.exposed = new HashMap<>();
    ctx.exposed().forEach((k, v) -> exposed.put(k, v.name()));
    for (InputSpec in : inputSpecs) {
      if (ctx.placeholders().containsKey(in.name())) {
        inputs.put(in.name(), in);
      }
    }
    this.reachable = differentiableVariables(sd, loss);
    bind(theta, true);
    bind(lambda, false);
    if (!thetaGradVars.isEmpty() || !lambdaGradVars.isEmpty()) {
      Quietly.run(sd::createGradFunction);
    }
  }

  private void bind(ParameterLayout layout, boolean theta) {
    for (ParameterLayout.Entry e : layout.entries()) {
      String var = e.variableName();
      if (sd.hasVariable(var)) {
        bound.add(new Bound(var, theta, e, sd.getArrForVarName(var)));
        if (reachable.contains(var)) {
          (theta ? thetaGradVars : lambdaGradVars).add(var);
        }
      }
    }
  }

  /** Variables a gradient can reach from the loss: a walk back through ops, stopping at stop_gradient. */
  private static Set<String> differentiableVariables(SameDiff sd, String from) {
    Set<String> found = new HashSet<>();
    Set<String> visited = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    todo.push(from);
    while (!todo.isEmpty()) {
      String v = todo.pop();
      if (!visited.add(v)) {
        continue;
      }
      SDVariable var = sd.getVariable(v);
      if (var.getVariableType() == VariableType.VARIABLE) {
        found.add(v);
        continue;
      }
      DifferentialFunction op = sd.getVariableOutputOp(v);
      if (op == null || op instanceof StopGradient) {
        continue;
      }
      for (SDVariable in : op.args()) {
        todo.push(in.name());
      }
    }
    return found;
  }

  boolean reachesTheta() {
    return !thetaGradVars.isEmpty();
  }

  boolean reachesLambda() {
    return !lambdaGradVars.isEmpty();
  }

  Set<String> exposedNames() {
    return exposed.keySet();
  }

  Evaluation evaluate(INDArray theta, INDArray lambda, Batch batch, Wrt wrt, DataType dtype,
      ParameterLayout thetaLayout, ParameterLayout lambdaLayout, String... outputs) {
    for (Bound b : bound) {
      INDArray src = b.theta ? theta : lambda;
      b.array.assign(src.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(
          b.entry.offset(), b.entry.offset() + b.entry.length())).reshape(b.entry.spec().shape()));
    }
    Map<String, INDArray> ph = placeholders(batch, dtype);
    List<String> outNames = new ArrayList<>();
    outNames.add(loss);
    for (String o : outputs) {
      String var = exposed.get(o);
      if (var == null) {
        throw new IllegalArgumentException("No output '" + o + "' in this objective; exposed outputs"
            + " are " + exposed.keySet() + ". Expose it with f.expose(\"" + o + "\", value)");
      }
      outNames.add(var);
    }
    List<String> gradVars = new ArrayList<>();
    if (wrt.theta()) {
      gradVars.addAll(thetaGradVars);
    }
    if (wrt.lambda()) {
      gradVars.addAll(lambdaGradVars);
    }
    Map<String, INDArray> values;
    Map<String, INDArray> grads = Map.of();
    if (gradVars.isEmpty()) {
      values = sd.output(ph, outNames);
    } else {
      OutAndGrad r = sd.calculateGradientsAndOutputs(ph, outNames, gradVars);
      values = r.getOutputs();
      grads = r.getGradients();
    }
    INDArray lossValue = values.get(loss);
    if (lossValue.length() != 1) {
      throw new NonScalarLoss(lossValue.shape());
    }
    double value = lossValue.getDouble(0);
    INDArray gTheta = wrt.theta() ? flatten(grads, thetaLayout, true) : null;
    INDArray gLambda = wrt.lambda() ? flatten(grads, lambdaLayout, false) : null;
    Map<String, INDArray> outs = new HashMap<>();
    for (String o : outputs) {
      outs.put(o, values.get(exposed.get(o)).dup());
    }
    return new Evaluation(value, gTheta, gLambda, outs);
  }

  private INDArray flatten(Map<String, INDArray> grads, ParameterLayout layout, boolean theta) {
    INDArray flat = layout.zeros();
    for (Bound b : bound) {
      if (b.theta != theta) {
        continue;
      }
      INDArray g = grads.get(b.var);
      if (g != null) {
        layout.slice(flat, b.entry).assign(g.reshape(b.entry.length()));
      }
    }
    return flat;
  }

  private Map<String, INDArray> placeholders(Batch batch, DataType dtype) {
    Map<String, INDArray> ph = new HashMap<>();
    for (InputSpec in : inputs.values()) {
      INDArray a = batch.get(in.name());
      long[] want = in.shape();
      long[] got = a.shape();
      boolean ok = want.length == got.length;
      for (int i = 0; ok && i < want.length; i++) {
        ok = want[i] == -1 || want[i] == got[i];
      }
      if (!ok) {
        throw new IllegalArgumentException("Batch input '" + in.name() + "' has shape "
            + java.util.Arrays.toString(got) + " but the problem declares "
            + java.util.Arrays.toString(want) + "; reshape the data or fix the input declaration");
      }
      ph.put(in.name(), a.dataType() == in.dtype() ? a : a.castTo(in.dtype()));
    }
    return ph;
  }
}
