package dev.bilevel.quality;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.ParameterLayout;
import dev.bilevel.graph.Wrt;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Memory measurements for the quality report and the memory benchmark.
 *
 * <ul>
 *   <li>{@link #windowBytes}: the bytes of every θ-sized array the engine holds for an estimator
 *       between meta-updates (θ_0, the recorded θ_t, θ_T, the optimizer state), counted exactly from
 *       the arrays of the window. The batches are not counted: the data pipeline holds them anyway
 *       and every estimator that needs a window needs the same ones.
 *   <li>{@link #peakAtEvaluations}: the working memory of an estimate: the peak bytes of the ND4J
 *       buffers it created and still holds. A {@link BufferTracker} counts every buffer ND4J
 *       allocates during the estimate and, after a collection, which of them are still reachable.
 *       The estimator gets an oracle that takes that count before every evaluation it asks for, and
 *       the count is taken once more at the end (the result still held). At those moments
 *       everything the estimator holds is alive (its own vectors and the perturbed θ or λ it
 *       passes) and its garbage is not. Temporaries inside one evaluation (SameDiff's activations)
 *       are the same for every estimator and fall between checkpoints. The inputs it was given
 *       (θ, λ, the window) are not counted. Each checkpoint costs a full collection: measure time in
 *       another run.
 * </ul>
 *
 * Resident-set size was tried first and given up: the native allocator's retained arenas, JIT
 * compilation and garbage awaiting collection made it vary by tens of MiB between identical runs.
 */
public final class MemoryProbe {
  private MemoryProbe() {}

  /** Bytes of the distinct θ-sized arrays a window holds. */
  public static long windowBytes(Trajectory window) {
    Map<INDArray, Boolean> seen = new IdentityHashMap<>();
    add(seen, window.theta0());
    add(seen, window.thetaT());
    if (window.optimizerState0() != null) {
      add(seen, window.optimizerState0().state());
    }
    for (Trajectory.Step s : window.steps()) {
      add(seen, s.thetaBefore());
    }
    long bytes = 0;
    for (INDArray a : seen.keySet()) {
      bytes += a.length() * a.dataType().width();
    }
    return bytes;
  }

  private static void add(Map<INDArray, Boolean> seen, INDArray a) {
    if (a != null) {
      seen.put(a, Boolean.TRUE);
    }
  }

  /** The result of some work and its peak working bytes. */
  public record Measured<T>(T result, long peakBytes) {}

  /**
   * Runs work against a checkpointing view of the oracle and returns the peak bytes of live buffers
   * it created, counted before every evaluation and at the end (the result still held).
   */
  public static <T> Measured<T> peakAtEvaluations(BilevelOracle oracle,
      Function<BilevelOracle, T> work) {
    try (BufferTracker tracker = BufferTracker.install()) {
      Checkpointing view = new Checkpointing(oracle, tracker);
      T result = work.apply(view);
      view.checkpoint();
      return new Measured<>(result, view.peak);
    }
  }

  /** Delegates to an oracle, counting live buffers before each evaluation. */
  private static final class Checkpointing implements BilevelOracle {
    private final BilevelOracle delegate;
    private final BufferTracker tracker;
    long peak;

    Checkpointing(BilevelOracle delegate, BufferTracker tracker) {
      this.delegate = delegate;
      this.tracker = tracker;
    }

    void checkpoint() {
      peak = Math.max(peak, tracker.liveBytes());
    }

    @Override
    public ParameterLayout thetaLayout() {
      return delegate.thetaLayout();
    }

    @Override
    public ParameterLayout lambdaLayout() {
      return delegate.lambdaLayout();
    }

    @Override
    public DataType dtype() {
      return delegate.dtype();
    }

    @Override
    public Evaluation evaluate(Level level, INDArray theta, INDArray lambda, Batch batch, Wrt wrt,
        String... outputs) {
      checkpoint();
      return delegate.evaluate(level, theta, lambda, batch, wrt, outputs);
    }

    @Override
    public Evaluation evaluateInto(Level level, INDArray theta, INDArray lambda, Batch batch,
        Wrt wrt, INDArray gradThetaInto) {
      checkpoint();
      return delegate.evaluateInto(level, theta, lambda, batch, wrt, gradThetaInto);
    }

    @Override
    public Evaluation evaluateHoldingPattern(Level level, INDArray theta, INDArray lambda,
        Batch batch, Wrt wrt, INDArray gradThetaInto) {
      checkpoint();
      return delegate.evaluateHoldingPattern(level, theta, lambda, batch, wrt, gradThetaInto);
    }

    @Override
    public Map<String, INDArray> outputs(Level level, INDArray theta, INDArray lambda, Batch batch,
        String... names) {
      checkpoint();
      return delegate.outputs(level, theta, lambda, batch, names);
    }

    @Override
    public boolean lambdaReaches(Level level) {
      return delegate.lambdaReaches(level);
    }

    @Override
    public boolean thetaReaches(Level level) {
      return delegate.thetaReaches(level);
    }

    @Override
    public Counts counts() {
      return delegate.counts();
    }
  }
}
