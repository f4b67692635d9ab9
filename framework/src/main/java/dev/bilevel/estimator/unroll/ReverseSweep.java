package dev.bilevel.estimator.unroll;

import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.graph.BilevelOracle;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import java.util.List;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The reverse sweep shared by {@code reverse} and {@code drmad}: with α = (∇θ L_out(θ_T, λ), 0),
 *
 * <pre>
 *   g = ∂L_out(θ_T, λ)/∂λ;   for t = T … T−k+1:  g += α·B_t,  α ← α·A_t
 * </pre>
 *
 * where A_t, B_t are evaluated at a θ_{t−1} the caller supplies (the recorded one for reverse mode,
 * a point on the straight line θ_0 → θ_T for DrMAD). Internal.
 */
public final class ReverseSweep {
  private ReverseSweep() {}

  /**
   * @param hypergradient dL_out/dλ, laid out like λ
   * @param outerLoss L_out(θ_T, λ) on the outer batch
   * @param sweptSteps how many steps the sweep went through
   */
  public record Result(INDArray hypergradient, double outerLoss, int sweptSteps) {}

  /**
   * Runs the sweep over the last {@code truncate} steps of the window (all of them when {@code
   * truncate} is 0 or at least the window's length).
   *
   * @param thetaBefore θ_{t−1} for a 0-based step index t − 1
   */
  public static Result run(EstimationContext c, InnerDynamics dynamics, Trajectory window,
      int truncate, IntFunction<INDArray> thetaBefore) {
    BilevelOracle oracle = c.oracle();
    boolean direct = oracle.lambdaReaches(Level.OUTER);
    Evaluation out = oracle.evaluate(Level.OUTER, c.theta(), c.lambda(), c.outerBatch(),
        direct ? Wrt.BOTH : Wrt.THETA);
    INDArray g = direct ? out.gradLambda().dup() : oracle.lambdaLayout().zeros();
    List<Trajectory.Step> steps = window.steps();
    int n = steps.size();
    int first = truncate <= 0 || truncate >= n ? 0 : n - truncate;
    boolean lambdaInner = oracle.lambdaReaches(Level.INNER);
    if (!lambdaInner || n == 0) {
      // λ cannot change θ: the second-order term is zero whatever the trajectory.
      return new Result(g, out.value(), 0);
    }
    InnerDynamics.Adjoint a = new InnerDynamics.Adjoint(out.gradTheta());
    for (int i = n - 1; i >= first; i--) {
      Trajectory.Step s = steps.get(i);
      INDArray contribution = dynamics.pullBack(c.products(), thetaBefore.apply(i), c.lambda(),
          s.batch(), s.learningRate(), a, i == first);
      g.addi(contribution);
    }
    return new Result(g, out.value(), n - first);
  }
}
