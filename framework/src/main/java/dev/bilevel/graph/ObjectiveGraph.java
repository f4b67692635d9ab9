package dev.bilevel.graph;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.InputSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 *
 * <p>Evaluations run on a {@link GraphPlan} per request (outputs, gradients, placeholder shapes)
 * when the graph allows one. The first evaluation of each request runs on SameDiff's own executor
 * and the new plan must reproduce it, or this graph stays on SameDiff's executor for good.
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
  private final Map<String, String> gradNames = new HashMap<>();
  private final Set<ParameterLayout.Entry> boundTheta = new HashSet<>();
  private final Set<ParameterLayout.Entry> boundLambda = new HashSet<>();
  private final boolean replay;
  private String replayRefused;
  private long heldPatterns;
  // The plan of the last evaluation, whose pattern a held evaluation takes; null if it ran on
  // SameDiff's executor without leaving a plan.
  private GraphPlan lastPlan;
  private final Map<PlanKey, GraphPlan> plans = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<PlanKey, GraphPlan> eldest) {
      return size() > MAX_PLANS;
    }
  };

  // A plan keeps every intermediate array, so only the most recent requests keep theirs.
  private static final int MAX_PLANS = 6;
  private static final System.Logger LOG = System.getLogger(ObjectiveGraph.class.getName());

  /** What a plan is specific to. */
  private record PlanKey(List<String> outputs, List<String> gradVars, Map<String, List<Long>> shapes) {}

  /** A graph variable bound to a slice of θ or λ. */
  private record Bound(String var, boolean theta, ParameterLayout.Entry entry, INDArray array) {}

  ObjectiveGraph(TracingContext ctx, SDVariable lossVar, ParameterLayout theta,
      ParameterLayout lambda, List<InputSpec> inputSpecs) {
    this(ctx, lossVar, theta, lambda, inputSpecs, true);
  }

  /** @param replay whether evaluations may run on replay plans, or always on SameDiff's executor */
  ObjectiveGraph(TracingContext ctx, SDVariable lossVar, ParameterLayout theta,
      ParameterLayout lambda, List<InputSpec> inputSpecs, boolean replay) {
    this.replay = replay;
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
      for (String v : thetaGradVars) {
        gradName(v);
      }
      for (String v : lambdaGradVars) {
        gradName(v);
      }
    }
  }

  private void gradName(String var) {
    SDVariable g = sd.getVariable(var).gradient();
    if (g != null) {
      gradNames.put(var, g.name());
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

  /**
   * Value, the gradients {@code wrt} asks for and the named outputs, at θ and λ on a batch. A
   * non-null {@code gradThetaInto} receives ∇θ instead of a new array. With {@code holdPattern},
   * the graph's piecewise-constant ops (ReLU masks) take the
   * values of this objective's previous evaluation, whatever it asked for, where both ran on
   * replay plans with the same batch shapes (a request's first evaluation builds its plan, then
   * runs it again holding the pattern). Elsewhere (SameDiff's executor, another batch shape) they
   * are computed as usual, and {@link #heldPatterns()} does not count the evaluation.
   */
  Evaluation evaluate(INDArray theta, INDArray lambda, Batch batch, Wrt wrt, DataType dtype,
      ParameterLayout thetaLayout, ParameterLayout lambdaLayout, INDArray gradThetaInto,
      boolean holdPattern, String... outputs) {
    INDArray[] thetaIn = thetaViews.of(theta, thetaLayout).views();
    INDArray[] lambdaIn = lambdaViews.of(lambda, lambdaLayout).views();
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
    PlanKey key = replay && replayRefused == null ? planKey(ph, outNames, gradVars) : null;
    GraphPlan plan = key == null ? null : plans.get(key);
    // A plan reads θ and λ where the caller keeps them; SameDiff reads the graph's own arrays.
    for (int i = 0; i < bound.size(); i++) {
      Bound b = bound.get(i);
      INDArray in = b.theta ? thetaIn[i] : lambdaIn[i];
      if (plan == null || !plan.bind(b.var, in)) {
        b.array.assign(in);
      }
    }
    if (plan != null && wrt.theta()) {
      // ∇θ straight into the caller's buffer where the plan can; elsewhere flatten copies it.
      INDArray[] into = gradThetaInto == null ? null
          : gradViews.of(gradThetaInto, thetaLayout).views();
      for (int i = 0; i < bound.size(); i++) {
        Bound b = bound.get(i);
        String g = b.theta ? gradNames.get(b.var) : null;
        if (g != null) {
          plan.redirect(g, into == null ? null : into[i]);
        }
      }
    }
    if (plan != null) {
      boolean hold = holdPattern && plan.patternOps() > 0 && lastPlan != null
          && plan.takePatternFrom(lastPlan);
      values = plan.run(ph, planOutputs(outNames, gradVars), hold);
      grads = planGradients(values, gradVars);
      lastPlan = plan;
      if (hold) {
        heldPatterns++;
      }
    } else {
      if (gradVars.isEmpty()) {
        values = sd.output(ph, outNames);
      } else {
        OutAndGrad r = sd.calculateGradientsAndOutputs(ph, outNames, gradVars);
        values = r.getOutputs();
        grads = r.getGradients();
      }
      GraphPlan previous = lastPlan;
      lastPlan = null;
      if (key != null) {
        tryPlan(key, ph, outNames, gradVars, values, grads);
        GraphPlan built = plans.get(key); // built and run at this point, if it was kept
        if (built != null && holdPattern && previous != null && built.patternOps() > 0
            && built.takePatternFrom(previous)) {
          // The request's first evaluation: its new plan runs again, holding the pattern.
          values = built.run(ph, planOutputs(outNames, gradVars), true);
          grads = planGradients(values, gradVars);
          heldPatterns++;
        }
        lastPlan = built;
      }
    }
    INDArray lossValue = values.get(loss);
    if (lossValue.length() != 1) {
      throw new NonScalarLoss(lossValue.shape());
    }
    double value = lossValue.getDouble(0);
    INDArray gTheta = wrt.theta() ? flatten(grads, thetaLayout, true, gradThetaInto) : null;
    INDArray gLambda = wrt.lambda() ? flatten(grads, lambdaLayout, false, null) : null;
    Map<String, INDArray> outs = new HashMap<>();
    for (String o : outputs) {
      outs.put(o, values.get(exposed.get(o)).dup());
    }
    return new Evaluation(value, gTheta, gLambda, outs);
  }

  /** The gradients among a plan run's results, keyed by the variable they are taken for. */
  private Map<String, INDArray> planGradients(Map<String, INDArray> results, List<String> gradVars) {
    Map<String, INDArray> grads = new HashMap<>();
    for (String v : gradVars) {
      grads.put(v, results.get(gradNames.get(v)));
    }
    return grads;
  }

  private PlanKey planKey(Map<String, INDArray> ph, List<String> outNames, List<String> gradVars) {
    for (String v : gradVars) {
      if (!gradNames.containsKey(v)) {
        return null;
      }
    }
    Map<String, List<Long>> shapes = new HashMap<>();
    ph.forEach((k, a) -> {
      List<Long> s = new ArrayList<>();
      for (long d : a.shape()) {
        s.add(d);
      }
      s.add((long) a.dataType().ordinal());
      shapes.put(k, s);
    });
    return new PlanKey(List.copyOf(outNames), List.copyOf(gradVars), shapes);
  }

  private List<String> planOutputs(List<String> outNames, List<String> gradVars) {
    List<String> all = new ArrayList<>(outNames);
    for (String v : gradVars) {
      all.add(gradNames.get(v));
    }
    return all;
  }

  /**
   * Builds a plan for this request and keeps it if it reproduces SameDiff's result. A graph the
   * planner cannot handle, or whose plan disagrees, stays on SameDiff's executor.
   */
  private void tryPlan(PlanKey key, Map<String, INDArray> ph, List<String> outNames,
      List<String> gradVars, Map<String, INDArray> values, Map<String, INDArray> grads) {
    if (!finite(values, outNames) || !finite(grads, gradVars)) {
      return; // nothing trustworthy to compare against; try again on the next call
    }
    SameDiff graph = gradVars.isEmpty() ? sd : sd.getFunction("grad");
    try {
      GraphPlan plan = GraphPlan.build(graph, ph, planOutputs(outNames, gradVars));
      Map<String, INDArray> r = plan.run(ph, planOutputs(outNames, gradVars));
      for (String o : outNames) {
        String why = disagreement(values.get(o), r.get(o));
        if (why != null) {
          refuse("output '" + o + "' " + why);
          return;
        }
      }
      for (String v : gradVars) {
        String why = disagreement(grads.get(v), r.get(gradNames.get(v)));
        if (why != null) {
          refuse("gradient of '" + v + "' " + why);
          return;
        }
      }
      plans.put(key, plan);
    } catch (GraphPlan.Unsupported e) {
      refuse(e.getMessage());
    } catch (RuntimeException e) {
      refuse("planning failed: " + e);
    }
  }

  private void refuse(String why) {
    replayRefused = why;
    plans.clear();
    LOG.log(System.Logger.Level.DEBUG, "objective ''{0}'' runs on SameDiff''s executor: {1}",
        loss, why);
  }

  /** Evaluations that held a previous evaluation's activation pattern. */
  long heldPatterns() {
    return heldPatterns;
  }

  /** Why this objective runs on SameDiff's executor, or null if it runs on replay plans. */
  String replayRefused() {
    return replay ? replayRefused : "replay is off";
  }

  int planCount() {
    return plans.size();
  }

  /** The plans currently kept, most recently used last. */
  List<GraphPlan> plans() {
    return List.copyOf(plans.values());
  }

  private static boolean finite(Map<String, INDArray> arrays, List<String> names) {
    for (String n : names) {
      INDArray a = arrays.get(n);
      if (a == null) {
        return false;
      }
      if (a.dataType().isFPType() && a.length() > 0
          && (a.isNaN().any() || a.isInfinite().any())) {
        return false;
      }
    }
    return true;
  }

  private static String disagreement(INDArray want, INDArray got) {
    if (got == null) {
      return "is missing from the plan";
    }
    if (!java.util.Arrays.equals(want.shape(), got.shape())) {
      return "has shape " + java.util.Arrays.toString(got.shape()) + " instead of "
          + java.util.Arrays.toString(want.shape());
    }
    if (want.length() == 0 || !want.dataType().isFPType()) {
      return want.equals(got) ? null : "differs";
    }
    double scale = Math.max(1e-30, want.amaxNumber().doubleValue());
    double diff = want.sub(got.castTo(want.dataType())).amaxNumber().doubleValue();
    double tol = want.dataType() == DataType.DOUBLE ? 1e-9 : 1e-4;
    return diff <= tol * scale ? null : "differs by " + diff + " (scale " + scale + ")";
  }

  private INDArray flatten(Map<String, INDArray> grads, ParameterLayout layout, boolean theta,
      INDArray into) {
    // ∇λ goes through a small kept scratch vector and leaves as one copy: callers may keep it
    // (EvoGrad keeps K of them). ∇θ without a buffer from the caller gets a fresh vector and
    // fresh views, so that no θ-sized scratch stays alive.
    INDArray flat;
    ViewSet set;
    if (into != null) {
      flat = into;
      set = gradViews.of(into, layout);
    } else if (theta) {
      flat = layout.zeros();
      set = viewsOf(flat, layout, true);
    } else {
      if (lambdaScratch == null) {
        lambdaScratch = layout.zeros();
      }
      flat = lambdaScratch;
      set = lambdaScratchViews.of(flat, layout);
    }
    for (int i = 0; i < bound.size(); i++) {
      Bound b = bound.get(i);
      if (b.theta != theta) {
        continue;
      }
      INDArray g = grads.get(b.var);
      if (g == set.views()[i]) {
        continue; // the plan wrote it there
      }
      if (g != null) {
        set.views()[i].assign(g);
      } else {
        set.views()[i].assign(0);
      }
    }
    // Entries this objective never binds have zero gradient; a reused buffer must say so.
    for (INDArray unbound : set.unbound()) {
      unbound.assign(0);
    }
    return into != null || theta ? flat : flat.dup();
  }

  /** Views of one flat vector: per bound variable (null for the other level), and the unbound. */
  private record ViewSet(INDArray flat, INDArray[] views, List<INDArray> unbound) {}

  private ViewSet viewsOf(INDArray v, ParameterLayout layout, boolean theta) {
    INDArray[] made = new INDArray[bound.size()];
    for (int i = 0; i < made.length; i++) {
      Bound b = bound.get(i);
      if (b.theta == theta) {
        made[i] = layout.slice(v, b.entry).reshape(b.entry.spec().shape());
      }
    }
    List<INDArray> zero = new ArrayList<>();
    for (ParameterLayout.Entry e : layout.entries()) {
      if (!boundEntries(theta).contains(e)) {
        zero.add(layout.slice(v, e));
      }
    }
    return new ViewSet(v, made, zero);
  }

  /**
   * The views of the two vectors (θ, λ, or a reused ∇θ buffer) seen last, kept while callers pass
   * them again: a view allocates a native shape buffer, and the training step and an estimator
   * alternate between two buffers (θ and a candidate, θ and a shifted θ). The views read and write
   * the vectors' current contents, so reuse is exact; holding them keeps at most two vectors alive.
   */
  private final class Views {
    private final boolean theta;
    private ViewSet last;
    private ViewSet before;

    Views(boolean theta) {
      this.theta = theta;
    }

    ViewSet of(INDArray v, ParameterLayout layout) {
      if (last == null || last.flat() != v) {
        ViewSet hit = before != null && before.flat() == v ? before : viewsOf(v, layout, theta);
        before = last;
        last = hit;
      }
      return last;
    }
  }

  private final Views thetaViews = new Views(true);
  private final Views lambdaViews = new Views(false);
  private final Views gradViews = new Views(true);
  private final Views lambdaScratchViews = new Views(false);
  private INDArray lambdaScratch;

  private Set<ParameterLayout.Entry> boundEntries(boolean theta) {
    Set<ParameterLayout.Entry> s = theta ? boundTheta : boundLambda;
    if (s.isEmpty()) {
      for (Bound b : bound) {
        if (b.theta == theta) {
          s.add(b.entry);
        }
      }
    }
    return s;
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
