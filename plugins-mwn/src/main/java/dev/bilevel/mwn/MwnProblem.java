package dev.bilevel.mwn;

import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.optim.Sgd;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The Meta-Weight-Net bilevel problem. θ is an MLP classifier in two inner groups ({@link #BODY}:
 * the hidden layers, {@link #HEAD}: the last layer), λ the weighting net V: 1 → 100 →
 * ReLU → 1 → sigmoid, applied to each sample's detached cross-entropy.
 *
 * <pre>
 *   L_in(θ, λ)  = Σ_i V(ℓ_i) ℓ_i / Σ_i V(ℓ_i)   (or (1/n) Σ_i V(ℓ_i) ℓ_i)   on noisy training data
 *   L_out(θ)    = (1/m) Σ_j ℓ_j                                          on the clean meta set
 * </pre>
 *
 * Named outputs of the inner objective: {@code logits}, {@code losses}, {@code weights}.
 */
public final class MwnProblem {
  /** The classifier's hidden layers (features → hidden → ReLU → hidden → ReLU). */
  public static final String BODY = "body";
  /** The classifier's last layer (hidden → classes): the only group EvoGrad perturbs by default. */
  public static final String HEAD = "head";
  public static final String VNET = "vnet";
  public static final int V_HIDDEN = 100;
  /** dim λ: V's weights and biases, 1 → 100 → 1. */
  public static final int LAMBDA_SIZE = V_HIDDEN + V_HIDDEN + V_HIDDEN + 1;

  private MwnProblem() {}

  /**
   * @param features input size (784 for 28×28)
   * @param classes number of classes
   * @param hidden width of the classifier's two hidden layers
   */
  public static BilevelProblem build(int features, int classes, int hidden, Weighting weighting,
      double lr, double momentum, double weightDecay, ISchedule schedule, double metaLr,
      double metaWeightDecay) {
    return build(features, classes, hidden, weighting, lr, momentum, weightDecay, schedule,
        Adam.of(metaLr).weightDecay(metaWeightDecay));
  }

  /**
   * @param metaOptimizer V's optimiser: Adam 1e-3 with weight decay 1e-4 in the noisy-label reference
   *     ({@code MW-Net.py}), SGD 1e-5 with momentum 0.9 and weight decay 5e-4 in the class-imbalance one
   */
  public static BilevelProblem build(int features, int classes, int hidden, Weighting weighting,
      double lr, double momentum, double weightDecay, ISchedule schedule, OptimizerSpec metaOptimizer) {
    return build(features, classes, hidden, weighting, lr, momentum, weightDecay, schedule,
        metaOptimizer, DataType.FLOAT);
  }

  /** As above, in a given floating-point type (FP64 for reference values in tests). */
  static BilevelProblem build(int features, int classes, int hidden, Weighting weighting,
      double lr, double momentum, double weightDecay, ISchedule schedule, OptimizerSpec metaOptimizer,
      DataType dtype) {
    Sgd inner = Sgd.of(lr).momentum(momentum).weightDecay(weightDecay);
    if (schedule != null) {
      inner = inner.schedule(schedule);
    }
    return Bilevel.problem("meta-weight-net")
        .dtype(dtype)
        .input("x", -1, features).input("y", -1, classes)
        .inner(BODY, net -> net.dense(features, hidden).relu().dense(hidden, hidden).relu())
        .inner(HEAD, net -> net.dense(hidden, classes))
        // PyTorch's default Linear init, as in the reference VNet: U(±1/sqrt(fan_in)).
        .meta(VNET, net -> net.dense(1, V_HIDDEN, Init.torchDefault(1), Init.torchDefault(1)).relu()
            .dense(V_HIDDEN, 1, Init.torchDefault(V_HIDDEN), Init.torchDefault(V_HIDDEN)).sigmoid())
        .innerObjective(f -> {
          SDVariable logits = f.inner(HEAD).apply(f.inner(BODY).apply(f.input("x")));
          SDVariable losses = f.perSampleCrossEntropy(logits, f.input("y"));
          SDVariable w = f.meta(VNET).apply(f.stopGradient(losses).reshape(-1, 1)).reshape(-1);
          f.expose("logits", logits);
          f.expose("losses", losses);
          f.expose("weights", w);
          return switch (weighting) {
            case NORMALISED -> f.normalizedWeightedSum(losses, w);
            case MEAN -> f.weightedMean(losses, w);
            // V stays in the graph (with a zero coefficient) so that plain and MWN share outputs.
            case UNIFORM -> losses.mean().add(w.sum().mul(0.0));
          };
        })
        .outerObjective(f -> f.meanCrossEntropy(f.inner(HEAD).apply(f.inner(BODY).apply(f.input("x"))),
            f.input("y")))
        .innerOptimizer(inner)
        .outerOptimizer(metaOptimizer)
        .metaUpdateEvery(1)
        .metaFirst()
        .build();
  }

  /**
   * V(ℓ) for each ℓ, computed from λ directly (W1 [1,100], b1 [100], W2 [100,1], b2 [1], in
   * declaration order).
   */
  public static double[] weightFunction(INDArray lambda, double[] losses) {
    double[] p = lambda.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
    int h = V_HIDDEN;
    if (p.length != 3 * h + 1) {
      throw new IllegalArgumentException("λ of V should have " + (3 * h + 1) + " values, got " + p.length);
    }
    double[] out = new double[losses.length];
    for (int i = 0; i < losses.length; i++) {
      double s = p[3 * h];
      for (int j = 0; j < h; j++) {
        s += p[2 * h + j] * Math.max(0, p[j] * losses[i] + p[h + j]);
      }
      out[i] = 1 / (1 + Math.exp(-s));
    }
    return out;
  }
}
