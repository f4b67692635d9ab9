package dev.bilevel.estimator.forward;

import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.InnerStep;
import dev.bilevel.estimator.Refusal;
import dev.bilevel.estimator.WindowAccumulator;
import dev.bilevel.estimator.unroll.InnerDynamics;
import dev.bilevel.estimator.unroll.Windows;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Vectors;
import dev.bilevel.optim.OptimizerSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward mode's state over one window: the tangents Z_j = ds/dλ_j, advanced by one inner step at
 * a time. The engine feeds it the steps as it takes them (one per run, owned by the run); {@link
 * Forward#estimate} feeds a fresh one from a recorded window when called without it. Either way
 * nothing of a step is kept once it is accepted, and the buffers are kept across windows.
 */
final class Tangents implements WindowAccumulator {
  private final ForwardConfig config;
  private InnerDynamics dynamics; // from the first step's optimizer: it holds the work vectors
  private InnerDynamics.Tangent[] z; // null until a step where λ reaches L_in
  private INDArray unit; // e_j
  private INDArray column; // M_t e_j
  private int steps;

  Tangents(ForwardConfig config) {
    this.config = config;
  }

  /**
   * Refuses what forward mode cannot follow: too many λ coordinates, an inner optimizer other than
   * SGD with or without momentum.
   */
  static InnerDynamics check(BilevelOracle oracle, OptimizerSpec inner, ForwardConfig config) {
    Refusal.throwIfAny(Forward.lambdaRefusals(oracle.lambdaLayout().size(), config));
    return InnerDynamics.of(inner, Forward.NAME);
  }

  /** Z ← A_t Z + B_t for every λ coordinate: four gradient evaluations per coordinate. */
  @Override
  public void accept(InnerStep s) {
    if (dynamics == null) {
      dynamics = check(s.oracle(), s.innerOptimizer(), config);
    }
    steps++;
    if (!s.oracle().lambdaReaches(Level.INNER)) {
      return; // λ cannot move θ: every tangent stays zero
    }
    if (z == null) {
      INDArray zeros = s.oracle().thetaLayout().zeros();
      z = new InnerDynamics.Tangent[Math.toIntExact(s.oracle().lambdaLayout().size())];
      for (int j = 0; j < z.length; j++) {
        z[j] = dynamics.zeroTangent(zeros);
      }
      unit = s.oracle().lambdaLayout().zeros();
      column = zeros;
    }
    for (int j = 0; j < z.length; j++) {
      unit.assign(0).putScalar(j, 1.0);
      INDArray mixedColumn = s.products().crossVectorInto(Level.INNER, s.thetaBefore(),
          s.lambda(), s.batch(), unit, column);
      dynamics.pushForward(s.products(), s.thetaBefore(), s.lambda(), s.batch(),
          s.learningRate(), z[j], mixedColumn);
    }
  }

  @Override
  public void reset() {
    steps = 0;
    if (z != null) {
      for (InnerDynamics.Tangent t : z) {
        t.reset();
      }
    }
  }

  /** Steps accepted since the last reset. */
  int steps() {
    return steps;
  }

  /**
   * Z_{T,θ}ᵀ g for a θ-sized g, added into the λ-sized {@code into}: the second-order part of the
   * hypergradient. Nothing while no tangent has moved.
   */
  void addTransposedTimes(INDArray g, INDArray into) {
    if (z == null || steps == 0) {
      return;
    }
    for (int j = 0; j < z.length; j++) {
      into.putScalar(j, into.getDouble(j) + Vectors.dot(z[j].theta(), g));
    }
  }
}
