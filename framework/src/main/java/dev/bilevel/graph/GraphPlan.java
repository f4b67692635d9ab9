package dev.bilevel.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.RandomOp;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2DDerivative;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.reduce.MmulBp;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * A fixed execution plan for one SameDiff graph at one set of placeholder shapes: the ops needed
 * for the requested outputs, in order, each with an op context whose input and output buffers are
 * allocated once.
 *
 * <p>Why: SameDiff's session re-derives the execution order, computes every output shape and
 * allocates every intermediate array on each call. For the small ops of an MLP step that
 * bookkeeping cost several times the kernels themselves (docs/performance.md). Replaying the
 * recorded ops against fixed buffers leaves one native call per op.
 *
 * <p>A plan only holds graphs whose shapes are fixed by the placeholder shapes: graphs with
 * random ops, control flow or value-dependent shapes are refused, and the caller keeps using
 * SameDiff's own executor for them. Not thread-safe.
 */
final class GraphPlan {

  /** The graph has something a fixed plan cannot replay faithfully. */
  static final class Unsupported extends Exception {
    private static final long serialVersionUID = 1L;

    Unsupported(String message) {
      super(message);
    }
  }

  // Ops whose output shape depends on input values, or that carry hidden state between calls.
  private static final Set<String> DYNAMIC = Set.of(
      "where", "where_np", "unique", "unique_with_counts", "boolean_mask", "dynamic_partition",
      "dynamic_stitch", "non_max_suppression", "non_max_suppression_v3", "listdiff", "Where",
      "compare_and_bitpack", "random_crop", "dropout", "dropout_bp", "alpha_dropout_bp",
      "random_uniform", "random_normal", "random_bernoulli", "random_exponential",
      "random_multinomial", "random_gamma", "random_poisson", "random_shuffle", "Enter", "Exit",
      "Merge", "Switch", "NextIteration", "LoopCond", "while", "if", "invoke");

  // Ops whose output is piecewise constant in their input (the relu block's mask): run(..., true)
  // holds them at their previous values, so that a gradient differenced against the previous
  // run's is taken on the same smooth piece of the network (SecondOrder).
  private static final Set<String> PIECEWISE_CONSTANT = Set.of("step");

  private final OpExecutioner exec;
  private final java.util.BitSet patternOps = new java.util.BitSet();
  private final Map<String, INDArray> patternValues = new HashMap<>(); // their outputs, by name
  private boolean exclusiveBuffers;
  private final Map<String, INDArray> placeholders = new HashMap<>();
  private final Map<String, INDArray> values = new HashMap<>();
  private final List<Runnable> ops = new ArrayList<>();
  private final List<String> opNames = new ArrayList<>();
  private final List<String> rewrites = new ArrayList<>();
  // Buffers of intermediates whose last reader has been planned, for later outputs of the same
  // type and length: activations live only as long as the backward pass needs them.
  private final Map<String, Deque<INDArray>> free = new HashMap<>();
  private final Map<String, INDArray> owned = new HashMap<>(); // var → its buffer, if the plan's
  private final Map<INDArray, INDArray> baseOf = new java.util.IdentityHashMap<>();
  private long allocatedBytes;
  private long requestedBytes;
  // The graph's variable arrays (θ and λ slices), and every op-context input slot reading one:
  // bind() points those slots at a caller's arrays instead of copying values into the graph's.
  private final Map<INDArray, String> variableArrays = new java.util.IdentityHashMap<>();
  private final Map<OpContext, INDArray[]> contextInputs = new java.util.IdentityHashMap<>();
  private final Map<OpContext, INDArray[]> contextOutputs = new java.util.IdentityHashMap<>();
  private final Map<String, List<Slot>> slots = new HashMap<>();
  // Outputs a caller may have written straight into its own array: the one context slot that
  // writes each, for outputs no planned op reads back, and the plan's own buffer for each.
  private final Map<String, Slot> outputSlots = new HashMap<>();
  private final Map<String, INDArray> ownOutputs = new HashMap<>();
  private final Map<String, INDArray> boundTo = new HashMap<>();
  // Variables read other than through an op context's inputs (a legacy op's x, a view taken at
  // planning time, an output): these always read the graph's own array.
  private final Set<String> pinned = new HashSet<>();

  /** One input of one kept op context. */
  private record Slot(OpContext ctx, int index) {}

  // libnd4j keeps a native handle for every array ever set on an op context, until the context
  // is purged, and each handle keeps its array's buffer alive: rebinding θ to a fresh array per
  // evaluation (a replayed window) leaked one θ per evaluation, 24 GB in one finite-difference
  // run. After this many rebinds a context is purged and its current arrays set again.
  static final int REBINDS_BEFORE_PURGE = 4;
  private final Map<OpContext, int[]> rebinds = new java.util.IdentityHashMap<>();
  private int purgeCount;

  private GraphPlan(OpExecutioner exec) {
    this.exec = exec;
  }

  /**
   * Plans the ops of {@code sd} needed for {@code outputs}, with buffers for the given
   * placeholders' shapes, running each op once on the given placeholder values. Variables and constants are the graph's own arrays, so values assigned
   * to them later are seen by every run.
   */
  static GraphPlan build(SameDiff sd, Map<String, INDArray> phValues, Collection<String> outputs)
      throws Unsupported {
    GraphPlan plan = new GraphPlan(Nd4j.getExecutioner());
    Set<String> needed = neededOps(sd, outputs);
    for (Variable v : sd.getVariables().values()) {
      VariableType t = v.getVariable().getVariableType();
      if (t == VariableType.VARIABLE || t == VariableType.CONSTANT) {
        INDArray a = sd.getArrForVarName(v.getName());
        if (a != null) {
          plan.values.put(v.getName(), a);
          if (t == VariableType.VARIABLE) {
            plan.variableArrays.put(a, v.getName());
          }
        }
      } else if (t == VariableType.PLACEHOLDER && phValues.containsKey(v.getName())) {
        INDArray buffer = phValues.get(v.getName()).dup('c');
        plan.placeholders.put(v.getName(), buffer);
        plan.values.put(v.getName(), buffer);
      }
    }
    // Each op runs once as it is planned, because later ops' shapes can depend on earlier values
    // (a reshape to a computed shape_of). getOps() keeps creation order, and an op can only consume variables that existed when it
    // was created, so creation order is a valid execution order.
    Set<String> consumed = new HashSet<>(outputs);
    for (SameDiffOp sop : sd.getOps().values()) {
      if (needed.contains(sop.getName()) && sop.getInputsToOp() != null) {
        consumed.addAll(sop.getInputsToOp());
      }
    }
    List<SameDiffOp> order = new ArrayList<>();
    for (SameDiffOp sop : sd.getOps().values()) {
      if (needed.contains(sop.getName())) {
        order.add(sop);
      }
    }
    Map<String, Integer> lastRead = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      for (String in : order.get(i).getInputsToOp() == null ? List.<String>of()
          : order.get(i).getInputsToOp()) {
        lastRead.put(in, i);
      }
    }
    Set<String> keep = new HashSet<>(outputs);
    plan.findZeroAdds(order, keep);
    for (int i = 0; i < order.size(); i++) {
      SameDiffOp sop = order.get(i);
      int first = plan.ops.size();
      boolean pattern = PIECEWISE_CONSTANT.contains(sop.getOp().opName());
      // A held output needs a buffer of its own for the whole run: one from the pool would be
      // written by the earlier op that used it before, and one returned to it by a later one.
      plan.exclusiveBuffers = pattern;
      plan.add(sop, consumed);
      plan.exclusiveBuffers = false;
      if (pattern) {
        plan.patternOps.set(first, plan.ops.size());
        keep.addAll(sop.getOutputsOfOp());
        for (String out : sop.getOutputsOfOp()) {
          plan.patternValues.put(out, plan.values.get(out));
        }
      }
      List<String> touched = new ArrayList<>(sop.getOutputsOfOp());
      if (sop.getInputsToOp() != null) {
        touched.addAll(sop.getInputsToOp());
      }
      for (String v : touched) {
        if (!keep.contains(v) && lastRead.getOrDefault(v, -1) <= i) {
          plan.release(v);
        }
      }
    }
    for (String o : outputs) {
      if (!plan.values.containsKey(o)) {
        throw new Unsupported("output '" + o + "' is not produced by the planned ops");
      }
      plan.pin(plan.values.get(o));
    }
    plan.collectSlots();
    return plan;
  }

  private static Set<String> neededOps(SameDiff sd, Collection<String> outputs)
      throws Unsupported {
    Set<String> ops = new HashSet<>();
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(outputs);
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!seen.add(name)) {
        continue;
      }
      Variable v = sd.getVariables().get(name);
      if (v == null) {
        throw new Unsupported("no variable '" + name + "' in the graph");
      }
      String op = v.getOutputOfOp();
      if (op != null && ops.add(op)) {
        SameDiffOp sop = sd.getOps().get(op);
        if (sop.getControlDeps() != null && !sop.getControlDeps().isEmpty()) {
          throw new Unsupported("op '" + op + "' has control dependencies");
        }
        todo.addAll(sop.getInputsToOp() == null ? List.of() : sop.getInputsToOp());
      }
    }
    return ops;
  }

  /**
   * Finds x + zeros_like(y) in the backward pass: SameDiff adds the zero gradient of a
   * stop_gradient branch (the relu block's mask) to the real one, an extra pass over the
   * activation for the zeros and another for the sum (4 to 6 ms of the benchmark CNN's evaluation).
   * Such an add, when x and the zeros are read by nothing else, becomes x itself.
   */
  private void findZeroAdds(List<SameDiffOp> order, Set<String> keep) {
    Map<String, Integer> readers = new HashMap<>();
    Map<String, SameDiffOp> producer = new HashMap<>();
    for (SameDiffOp sop : order) {
      for (String in : sop.getInputsToOp() == null ? List.<String>of() : sop.getInputsToOp()) {
        readers.merge(in, 1, Integer::sum);
      }
      for (String out : sop.getOutputsOfOp()) {
        producer.put(out, sop);
      }
    }
    for (SameDiffOp sop : order) {
      List<String> in = sop.getInputsToOp();
      if (!"add".equals(sop.getOp().opName()) || in == null || in.size() != 2
          || sop.getOutputsOfOp().size() != 1) {
        continue;
      }
      for (int z = 0; z < 2; z++) {
        SameDiffOp zeros = producer.get(in.get(z));
        String other = in.get(1 - z);
        if (zeros != null && "zeroslike".equals(zeros.getOp().opName())
            && zeros.getInputsToOp() != null && zeros.getInputsToOp().size() == 1
            && readers.getOrDefault(in.get(z), 0) == 1 && readers.getOrDefault(other, 0) == 1
            && !keep.contains(in.get(z)) && !keep.contains(other)) {
          zeroAdds.put(sop.getName(), new ZeroAdd(other, zeros));
          skippedZeros.add(zeros.getName());
          break;
        }
      }
    }
  }

  /** An add of a zero term: the other input, and the zeros_like op that the plan skips. */
  private record ZeroAdd(String other, SameDiffOp zeros) {}

  private final Map<String, ZeroAdd> zeroAdds = new HashMap<>();
  private final Set<String> skippedZeros = new HashSet<>();

  /**
   * Plans an add of a zero term as its other input: the output takes over that input's buffer.
   * False, after planning the skipped zeros after all, when the shapes do not match.
   */
  private boolean aliasZeroAdd(SameDiffOp sop, Set<String> consumed) throws Unsupported {
    ZeroAdd za = zeroAdds.get(sop.getName());
    INDArray other = values.get(za.other());
    INDArray like = values.get(za.zeros().getInputsToOp().get(0));
    String out = sop.getOutputsOfOp().get(0);
    if (other != null && like != null && java.util.Arrays.equals(other.shape(), like.shape())
        && other.dataType() == like.dataType() && !variableArrays.containsKey(other)) {
      values.put(out, other);
      INDArray base = owned.remove(za.other());
      if (base != null) {
        owned.put(out, base);
      }
      rewrites.add(sop.getName() + ": zero term dropped");
      return true;
    }
    skippedZeros.remove(za.zeros().getName());
    add(za.zeros(), consumed);
    return false;
  }

  private void add(SameDiffOp sop, Set<String> consumed) throws Unsupported {
    DifferentialFunction df = sop.getOp();
    String opName = df.opName();
    if (df instanceof RandomOp || DYNAMIC.contains(opName)
        || df.getClass().getPackageName().contains(".random")
        || (df.getClass().getPackageName().contains(".controlflow") && !(df instanceof StopGradient))) {
      throw new Unsupported("op '" + sop.getName() + "' (" + opName + ") cannot be replayed");
    }
    if (skippedZeros.contains(sop.getName())
        || (zeroAdds.containsKey(sop.getName()) && aliasZeroAdd(sop, consumed))) {
      return;
    }
    opNames.add(sop.getName());
    List<String> inNames = sop.getInputsToOp() == null ? List.of() : sop.getInputsToOp();
    INDArray[] ins = new INDArray[inNames.size()];
    for (int i = 0; i < ins.length; i++) {
      ins[i] = values.get(inNames.get(i));
      if (ins[i] == null) {
        throw new Unsupported("input '" + inNames.get(i) + "' of op '" + sop.getName()
            + "' has no array");
      }
    }
    List<String> outNames = sop.getOutputsOfOp();
    if (df instanceof MmulBp bp && ins.length == 3 && outNames.size() == 2
        && java.util.Arrays.equals(bp.iArgs(), new long[] {0, 0, 0})
        && ins[0].rank() == 2 && ins[1].rank() == 2) {
      boolean dxUsed = consumed.contains(outNames.get(0));
      boolean dwUsed = consumed.contains(outNames.get(1));
      if (!dxUsed || !dwUsed) {
        addHalfMatmulBackward(ins, outNames, dxUsed);
        return;
      }
    }
    if ("multiply_bp".equals(opName) && ins.length == 3 && outNames.size() == 2
        && consumed.contains(outNames.get(0)) != consumed.contains(outNames.get(1))
        && java.util.Arrays.equals(ins[0].shape(), ins[1].shape())
        && java.util.Arrays.equals(ins[0].shape(), ins[2].shape())) {
      addHalfMultiplyBackward(ins, outNames, consumed.contains(outNames.get(0)));
      return;
    }
    if (df instanceof Conv2DDerivative conv && !consumed.contains(outNames.get(0))
        && addConvWeightBackward(conv.iArgs(), ins, outNames)) {
      return;
    }
    OpContext ctx = exec.buildContext();
    inputs(ctx, ins);
    INDArray[] outs;
    if (df instanceof CustomOp c) {
      ctx.setIArguments(c.iArgs());
      ctx.setTArguments(c.tArgs());
      ctx.setBArguments(c.bArgs());
      ctx.setDArguments(c.dArgs());
      outs = allocate(exec.calculateOutputShape(c, ctx), outNames, sop);
      outputs(ctx, outs);
      exec.exec(c, ctx);
      ops.add(direct(c, ctx));
    } else if (df instanceof ReduceOp r && (outs = declarableReduce(r, ins, ctx)) != null) {
      // planned and run by declarableReduce
    } else if (df instanceof Op o) {
      // Legacy ops read their shapes from x and y; the run itself takes them from the context.
      // Their inputs stay the graph's arrays all the same: x and y are held by the op too.
      for (INDArray in : ins) {
        pin(in);
      }
      o.setX(ins.length > 0 ? ins[0] : null);
      o.setY(ins.length > 1 ? ins[1] : null);
      outs = allocate(df.calculateOutputShape(), outNames, sop);
      outputs(ctx, outs);
      contextOutputs.remove(ctx); // and z stays where the op holds it
      ops.add(() -> exec.exec(o, ctx));
      exec.exec(o, ctx);
    } else {
      throw new Unsupported("op '" + sop.getName() + "' is a " + df.getClass().getSimpleName());
    }
    for (int i = 0; i < outs.length; i++) {
      values.put(outNames.get(i), outs[i]);
      own(outNames.get(i), outs[i]);
    }
  }

  /** A c-ordered array of this type and shape: a released buffer of the same length, or new. */
  private INDArray take(org.nd4j.linalg.api.buffer.DataType type, long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    requestedBytes += n * type.width();
    Deque<INDArray> q = exclusiveBuffers ? null : free.get(type + ":" + n);
    INDArray base = q == null || q.isEmpty() ? null : q.pop();
    if (base == null) {
      base = Nd4j.create(type, new long[] {n}, 'c');
      allocatedBytes += n * type.width();
    }
    INDArray view = shape.length == 1 && shape[0] == n ? base : base.reshape('c', shape);
    baseOf.put(view, base);
    return view;
  }

  private void own(String var, INDArray array) {
    INDArray base = baseOf.remove(array);
    if (base != null) {
      owned.put(var, base);
    }
  }

  /** Returns a dead intermediate's buffer to the pool. */
  private void release(String var) {
    INDArray base = owned.remove(var);
    if (base != null) {
      free.computeIfAbsent(base.dataType() + ":" + base.length(), k -> new ArrayDeque<>())
          .push(base);
    }
  }

  /** Bytes of the buffers this plan allocated for intermediates and outputs. */
  long allocatedBytes() {
    return allocatedBytes;
  }

  /** Bytes of every array the planned ops write: what the plan would hold without reuse. */
  long requestedBytes() {
    return requestedBytes;
  }

  /**
   * A legacy reduction as the declarable op of the same name ({@code reduce_sum}, {@code
   * reduce_mean}, ...). Run through an op context, the legacy op recomputed its dimensions and TAD
   * shapes on every call: over 100 µs for the sum of a [100, 10] array, several times the
   * declarable op. Null if this reduction has no declarable twin or the twin disagrees on shape.
   */
  private INDArray[] declarableReduce(ReduceOp r, INDArray[] ins, OpContext ctx) {
    String name = r.opName();
    if (!name.startsWith("reduce_") || ins.length == 0 || ins.length > 2) {
      return null;
    }
    try {
      long[] dims;
      if (ins.length == 2) {
        dims = ins[1].toLongVector();
      } else if (r.dimensions() != null) {
        dims = r.dimensions().toLongVector();
      } else {
        dims = new long[0];
      }
      if (java.util.Arrays.stream(dims).anyMatch(d -> d == Integer.MAX_VALUE)) {
        dims = new long[0]; // the legacy marker for "every dimension"
      }
      DynamicCustomOp twin = DynamicCustomOp.builder(name).build();
      inputs(ctx, ins[0]);
      ctx.setIArguments(dims);
      ctx.setBArguments(r.isKeepDims());
      ((Op) r).setX(ins[0]);
      ((Op) r).setY(ins.length > 1 ? ins[1] : null);
      List<LongShapeDescriptor> legacy = ((DifferentialFunction) r).calculateOutputShape();
      List<LongShapeDescriptor> shapes = exec.calculateOutputShape(twin, ctx);
      if (legacy == null || shapes == null || legacy.size() != 1 || shapes.size() != 1
          || !java.util.Arrays.equals(legacy.get(0).getShape(), shapes.get(0).getShape())) {
        inputs(ctx, ins);
        return null;
      }
      INDArray out = take(legacy.get(0).dataType(), legacy.get(0).getShape());
      outputs(ctx, out);
      exec.exec(twin, ctx);
      ops.add(direct(twin, ctx));
      return new INDArray[] {out};
    } catch (RuntimeException e) {
      inputs(ctx, ins);
      return null;
    }
  }

  /**
   * z = x·w's backward pass when only one of its two gradients is used: one matmul instead of
   * two. SameDiff's {@code matmul_bp} always computes both, so the first layer of every network
   * paid for a gradient of its input data that nothing reads.
   */
  private void addHalfMatmulBackward(INDArray[] ins, List<String> outNames, boolean dx) {
    INDArray x = ins[0];
    INDArray w = ins[1];
    INDArray eps = ins[2];
    // dL/dx = eps·wᵀ; dL/dw = xᵀ·eps
    INDArray out = dx ? take(x.dataType(), x.shape()) : take(w.dataType(), w.shape());
    planAndRun(dx ? matmul(eps, w, false, true, out) : matmul(x, eps, true, false, out));
    rewrites.add(opNames.get(opNames.size() - 1) + ": one matmul");
    values.put(outNames.get(dx ? 0 : 1), out);
    own(outNames.get(dx ? 0 : 1), out);
  }

  /**
   * z = x·y's backward pass (same shapes, no broadcast) when only one gradient is used: the relu
   * block's x·stop_gradient(step(x)) never reads the mask's gradient, which SameDiff's
   * {@code multiply_bp} computes anyway.
   */
  private void addHalfMultiplyBackward(INDArray[] ins, List<String> outNames, boolean dx) {
    INDArray out = take(ins[2].dataType(), ins[2].shape());
    DynamicCustomOp mul = DynamicCustomOp.builder("multiply").build();
    OpContext ctx = exec.buildContext();
    inputs(ctx, ins[2], dx ? ins[1] : ins[0]); // dL/dx = ε·y, dL/dy = ε·x
    outputs(ctx, out);
    planAndRun(direct(mul, ctx));
    rewrites.add(opNames.get(opNames.size() - 1) + ": one multiply");
    values.put(outNames.get(dx ? 0 : 1), out);
    own(outNames.get(dx ? 0 : 1), out);
  }

  /**
   * A convolution's backward pass when the gradient of its input is not used (the first layer):
   * the weight gradient as an im2col product, the bias gradient as a product with ones. M2.1's
   * {@code conv2d_bp} always computes the input gradient too, and for the benchmark CNN's first
   * layer (one input channel) it took 21 to 26 ms in a probe against 6.6 to 9.9 ms for this; PyTorch
   * skips that gradient the same way. Channels-last, stride ≥ 1, explicit padding, no dilation
   * only; anything else keeps {@code conv2d_bp}.
   *
   * @return false if this convolution is not of that kind
   */
  private boolean addConvWeightBackward(long[] a, INDArray[] ins, List<String> outNames) {
    boolean bias = ins.length == 4 && outNames.size() == 3;
    if (a.length < 10 || a[6] != 1 || a[7] != 1 || a[8] != 0 || a[9] != 1
        || (a.length > 10 && a[10] != 0) || (!bias && (ins.length != 3 || outNames.size() != 2))) {
      return false;
    }
    INDArray x = ins[0];
    INDArray w = ins[1];
    INDArray gradOut = ins[bias ? 3 : 2];
    pin(x); // its taps are views taken now
    // Reshapes below must be views of the buffers the earlier ops write.
    if (x.rank() != 4 || w.rank() != 4 || gradOut.rank() != 4 || gradOut.ordering() != 'c'
        || gradOut.elementWiseStride() != 1) {
      return false;
    }
    int kh = (int) a[0];
    int kw = (int) a[1];
    int sh = (int) a[2];
    int sw = (int) a[3];
    int ph = (int) a[4];
    int pw = (int) a[5];
    long n = x.size(0);
    long c = x.size(3);
    long oh = gradOut.size(1);
    long ow = gradOut.size(2);
    long oc = gradOut.size(3);
    if (w.size(0) != kh || w.size(1) != kw || w.size(2) != c || w.size(3) != oc
        || (x.size(1) + 2L * ph - kh) / sh + 1 != oh || (x.size(2) + 2L * pw - kw) / sw + 1 != ow) {
      return false;
    }
    long rows = n * oh * ow;
    // The zero-padded input; its border is written once, its interior every run.
    INDArray padded = ph == 0 && pw == 0 ? x
        : Nd4j.zeros(x.dataType(), n, x.size(1) + 2L * ph, x.size(2) + 2L * pw, c);
    INDArray interior = padded == x ? null : padded.get(NDArrayIndex.all(),
        NDArrayIndex.interval(ph, ph + x.size(1)), NDArrayIndex.interval(pw, pw + x.size(2)),
        NDArrayIndex.all());
    // One contiguous [n, oh, ow, c] block per kernel position: the input each tap sees.
    INDArray patches = Nd4j.create(x.dataType(), (long) kh * kw, n, oh, ow, c);
    allocatedBytes += (padded == x ? 0 : padded.length() * x.dataType().width())
        + patches.length() * x.dataType().width();
    INDArray[] taps = new INDArray[kh * kw];
    INDArray[] blocks = new INDArray[kh * kw];
    for (int i = 0; i < kh; i++) {
      for (int j = 0; j < kw; j++) {
        int k = i * kw + j;
        taps[k] = padded.get(NDArrayIndex.all(),
            NDArrayIndex.interval(i, sh, i + sh * (oh - 1) + 1),
            NDArrayIndex.interval(j, sw, j + sw * (ow - 1) + 1), NDArrayIndex.all());
        blocks[k] = patches.get(NDArrayIndex.point(k), NDArrayIndex.all(), NDArrayIndex.all(),
            NDArrayIndex.all(), NDArrayIndex.all());
      }
    }
    INDArray g2 = gradOut.reshape('c', rows, oc);
    INDArray gradW = take(w.dataType(), w.shape());
    List<Runnable> run = new ArrayList<>();
    if (interior != null) {
      run.add(() -> interior.assign(x));
    }
    for (int k = 0; k < taps.length; k++) {
      INDArray tap = taps[k];
      INDArray block = blocks[k];
      run.add(() -> block.assign(tap));
    }
    if (c == 1) {
      // dW[(i, j), o] = Σ_rows patch[(i, j), row] · dOut[row, o]: one product for all taps.
      run.add(matmul(patches.reshape('c', (long) kh * kw, rows), g2, false, false,
          gradW.reshape('c', (long) kh * kw, oc)));
    } else {
      INDArray wTaps = gradW.reshape('c', (long) kh * kw, c, oc);
      for (int k = 0; k < taps.length; k++) {
        run.add(matmul(blocks[k].reshape('c', rows, c), g2, true, false,
            wTaps.get(NDArrayIndex.point(k), NDArrayIndex.all(), NDArrayIndex.all())));
      }
    }
    INDArray gradB = null;
    if (bias) {
      gradB = take(gradOut.dataType(), new long[] {oc});
      INDArray ones = Nd4j.ones(gradOut.dataType(), 1, rows);
      allocatedBytes += ones.length() * gradOut.dataType().width();
      run.add(matmul(ones, g2, false, false, gradB.reshape('c', 1, oc)));
    }
    run.forEach(this::planAndRun);
    rewrites.add(opNames.get(opNames.size() - 1) + ": weight and bias gradients only");
    values.put(outNames.get(1), gradW);
    own(outNames.get(1), gradW);
    if (bias) {
      values.put(outNames.get(2), gradB);
      own(outNames.get(2), gradB);
    }
    return true;
  }

  /** Sets an op context's inputs, remembering them so that variable inputs can be rebound. */
  private void inputs(OpContext ctx, INDArray... arrays) {
    ctx.setInputArrays(arrays);
    contextInputs.put(ctx, arrays.clone());
  }

  /** Marks a variable array as read other than through a context slot. */
  private void pin(INDArray array) {
    String var = variableArrays.get(array);
    if (var != null) {
      pinned.add(var);
    }
  }

  /** Sets an op context's outputs, remembering them so that a kept output can be redirected. */
  private void outputs(OpContext ctx, INDArray... arrays) {
    ctx.setOutputArrays(arrays);
    contextOutputs.put(ctx, arrays.clone());
  }

  private void collectSlots() {
    contextInputs.forEach((ctx, arrays) -> {
      for (int i = 0; i < arrays.length; i++) {
        String var = variableArrays.get(arrays[i]);
        if (var != null && !pinned.contains(var)) {
          slots.computeIfAbsent(var, k -> new ArrayList<>()).add(new Slot(ctx, i));
        }
      }
    });
    // A planned output is redirectable when exactly one context slot writes its array and no
    // context reads it back.
    Set<INDArray> read = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    contextInputs.values().forEach(arrays -> read.addAll(java.util.Arrays.asList(arrays)));
    Map<INDArray, List<Slot>> writers = new java.util.IdentityHashMap<>();
    contextOutputs.forEach((ctx, arrays) -> {
      for (int i = 0; i < arrays.length; i++) {
        writers.computeIfAbsent(arrays[i], k -> new ArrayList<>()).add(new Slot(ctx, i));
      }
    });
    for (Map.Entry<String, INDArray> e : values.entrySet()) {
      List<Slot> w = writers.get(e.getValue());
      if (w != null && w.size() == 1 && !read.contains(e.getValue())
          && !variableArrays.containsKey(e.getValue())
          && !placeholders.containsValue(e.getValue())) {
        outputSlots.put(e.getKey(), w.get(0));
        ownOutputs.put(e.getKey(), e.getValue());
      }
    }
    // contextInputs and contextOutputs stay: they are what a purged context gets back.
  }

  /** Points one input slot at another array, purging the context's stale handles now and then. */
  private void rebindInput(Slot slot, INDArray array) {
    contextInputs.get(slot.ctx())[slot.index()] = array;
    slot.ctx().setInputArray(slot.index(), array);
    afterRebind(slot.ctx());
  }

  private void rebindOutput(Slot slot, INDArray array) {
    contextOutputs.get(slot.ctx())[slot.index()] = array;
    slot.ctx().setOutputArray(slot.index(), array);
    afterRebind(slot.ctx());
  }

  private void afterRebind(OpContext ctx) {
    int[] n = rebinds.computeIfAbsent(ctx, k -> new int[1]);
    if (++n[0] < REBINDS_BEFORE_PURGE) {
      return;
    }
    n[0] = 0;
    purgeCount++;
    ctx.purge();
    ctx.setInputArrays(contextInputs.get(ctx));
    INDArray[] outs = contextOutputs.get(ctx);
    if (outs != null) {
      ctx.setOutputArrays(outs);
    }
  }

  /** How many times an op context of this plan was purged and set again, for tests. */
  int purges() {
    return purgeCount;
  }

  /**
   * Has the op writing output {@code name} write into {@code array} (same shape and type,
   * c-ordered, contiguous) from the next run on, or into the plan's own buffer again when
   * {@code array} is null. Saves the copy out of a gradient the caller keeps in its own buffer.
   * False, redirecting nothing, when that output is not written by a single op context or is
   * read by a later op: then the caller copies it.
   */
  boolean redirect(String name, INDArray array) {
    Slot slot = outputSlots.get(name);
    if (slot == null) {
      return false;
    }
    INDArray own = ownOutputs.get(name);
    INDArray target = array == null ? own : array;
    if (values.get(name) == target) {
      return true;
    }
    if (target.ordering() != 'c' || target.elementWiseStride() != 1
        || target.dataType() != own.dataType()
        || !java.util.Arrays.equals(target.shape(), own.shape())) {
      return false;
    }
    rebindOutput(slot, target);
    values.put(name, target);
    return true;
  }

  /**
   * Points the ops reading variable {@code var} at {@code array} (same shape and type, c-ordered
   * and contiguous) instead of the graph's own array, so a run reads a caller's θ or λ slice in
   * place: copying θ in cost about 0.14 ms of a 1.3 ms MLP evaluation. Until the next bind the
   * plan reads that array's current contents. False, binding nothing, when the variable is read
   * some other way or the array does not fit: then the caller assigns the value to the graph's
   * array, which those readers see.
   */
  boolean bind(String var, INDArray array) {
    if (boundTo.get(var) == array) {
      return true;
    }
    List<Slot> s = slots.get(var);
    if (pinned.contains(var) || array.ordering() != 'c' || array.elementWiseStride() != 1) {
      return false;
    }
    if (s == null) {
      return true; // no op of this plan reads it
    }
    INDArray own = values.get(var);
    if (own == null || own.dataType() != array.dataType()
        || !java.util.Arrays.equals(own.shape(), array.shape())) {
      return false;
    }
    for (Slot slot : s) {
      rebindInput(slot, array);
    }
    boundTo.put(var, array);
    return true;
  }

  /** Adds an op to the plan and runs it once, as planning does for every op. */
  private void planAndRun(Runnable op) {
    ops.add(op);
    op.run();
  }

  /** out ← op(left)·op(right), op = transpose where asked, as a kept op context. */
  private Runnable matmul(INDArray left, INDArray right, boolean transposeA, boolean transposeB,
      INDArray out) {
    CustomOp mm = new Mmul(left, right, transposeA, transposeB, false);
    OpContext ctx = exec.buildContext();
    inputs(ctx, left, right);
    ctx.setIArguments(mm.iArgs());
    ctx.setTArguments(mm.tArgs());
    outputs(ctx, out);
    return direct(mm, ctx);
  }

  /**
   * A planned custom op's later runs: the native call the executioner makes, without its Java-side
   * bookkeeping. M2.1's {@code exec(CustomOp, OpContext)} lists the context's input and output
   * arrays twice per call (to check that none was closed and for workspace checks), which showed as
   * 3% to 4% of an MWN step's samples; it also looks up a oneDNN override by the op object in a map
   * keyed by op names, which never matches. A failure is reported with libnd4j's message.
   */
  private static Runnable direct(CustomOp op, OpContext ctx) {
    NativeOps loop = NativeOpsHolder.getInstance().getDeviceNativeOps();
    long hash = op.opHash();
    String name = op.opName();
    // The lambda holds ctx itself, not just its native pointer: the context frees its native
    // part (and lets go of its arrays) when it is collected.
    return () -> {
      int status = loop.execCustomOp2(null, hash, ctx.contextPointer());
      if (status != 0) {
        throw new IllegalStateException("op " + name + " failed in a replay plan (status "
            + status + "): " + loop.lastErrorMessage());
      }
    };
  }

  private INDArray[] allocate(List<LongShapeDescriptor> shapes, List<String> names,
      SameDiffOp sop) throws Unsupported {
    if (shapes == null || shapes.size() != names.size()) {
      throw new Unsupported("op '" + sop.getName() + "' reports "
          + (shapes == null ? "no" : shapes.size()) + " output shapes for " + names.size()
          + " outputs");
    }
    INDArray[] out = new INDArray[shapes.size()];
    for (int i = 0; i < out.length; i++) {
      LongShapeDescriptor d = shapes.get(i);
      out[i] = d.isEmpty() ? Nd4j.empty(d.dataType()) : take(d.dataType(), d.getShape());
    }
    return out;
  }

  /**
   * Copies the placeholders in, runs every op, and returns the named arrays. The arrays are the
   * plan's own buffers: the next run overwrites them, so callers copy what they keep.
   */
  Map<String, INDArray> run(Map<String, INDArray> phValues, Collection<String> names) {
    return run(phValues, names, false);
  }

  /**
   * As {@link #run(Map, Collection)}; with {@code holdPattern}, the piecewise-constant ops (ReLU
   * masks) are not run and keep the values of this plan's previous run.
   */
  Map<String, INDArray> run(Map<String, INDArray> phValues, Collection<String> names,
      boolean holdPattern) {
    placeholders.forEach((k, buffer) -> buffer.assign(phValues.get(k)));
    for (int i = 0; i < ops.size(); i++) {
      if (!holdPattern || !patternOps.get(i)) {
        ops.get(i).run();
      }
    }
    Map<String, INDArray> out = new HashMap<>();
    for (String n : names) {
      out.put(n, values.get(n));
    }
    return out;
  }

  /** The ops planned as something cheaper than SameDiff's op, and what they became. */
  List<String> rewrites() {
    return List.copyOf(rewrites);
  }

  /** How many planned ops {@code run(..., true)} holds at their previous values. */
  int patternOps() {
    return patternOps.cardinality();
  }

  /**
   * Makes this plan's held values those of {@code source}'s last run (another plan of the same
   * graph, e.g. one that also computed ∇θ): false, changing nothing, unless {@code source} holds
   * every one of them in the same shape.
   */
  boolean takePatternFrom(GraphPlan source) {
    if (source == this) {
      return true;
    }
    for (Map.Entry<String, INDArray> e : patternValues.entrySet()) {
      INDArray from = source.patternValues.get(e.getKey());
      if (from == null || !java.util.Arrays.equals(from.shape(), e.getValue().shape())) {
        return false;
      }
    }
    patternValues.forEach((name, into) -> into.assign(source.patternValues.get(name)));
    return true;
  }

  /** The planned ops' names, in execution order. */
  List<String> opNames() {
    return List.copyOf(opNames);
  }
}
