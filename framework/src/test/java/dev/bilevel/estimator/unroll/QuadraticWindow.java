package dev.bilevel.estimator.unroll;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.dsl.Level;
import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.estimator.Trajectory;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Optimizer;
import dev.bilevel.optim.OptimizerSpec;
import dev.bilevel.optim.Sgd;
import dev.bilevel.secondorder.SecondOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A stochastic quadratic inner problem in FP64 whose unrolled hypergradient has a closed form:
 * mini-batch ridge regression with a per-coordinate L2 strength,
 *
 * <pre>
 *   L_in(θ, λ; D_t)  = ½ mean_{D_t}((xθ − y)²) + ½ Σ_i λ_i θ_i²
 *   L_out(θ, λ; D_v) = ½ mean_{D_v}((xθ − y)²) + ½ ρ Σ_i λ_i²      (the ρ term only if ρ ≠ 0)
 * </pre>
 *
 * trained for T steps of SGD or SGD with Nesterov momentum (ND4J's rule, with coupled weight decay),
 * each step on its own batch. {@link #exact} differentiates the update recurrence by hand, in plain
 * double arithmetic, without any code of the estimators.
 */
public final class QuadraticWindow {
  public final int d;
  public final double rho;
  public final List<double[][]> xs = new ArrayList<>();
  public final List<double[]> ys = new ArrayList<>();
  public final double[][] xVal;
  public final double[] yVal;
  public final List<Batch> batches = new ArrayList<>();
  public final Batch val;

  public QuadraticWindow(int d, int steps, int batchSize, double rho, long seed) {
    this.d = d;
    this.rho = rho;
    SplittableRandom r = new SplittableRandom(seed);
    double[] w = new double[d];
    for (int i = 0; i < d; i++) {
      w[i] = gaussian(r);
    }
    for (int t = 0; t < steps; t++) {
      double[][] x = matrix(r, batchSize, d);
      double[] y = targets(r, x, w);
      xs.add(x);
      ys.add(y);
      batches.add(batch(x, y));
    }
    xVal = matrix(r, 3 * batchSize, d);
    yVal = targets(r, xVal, w);
    val = batch(xVal, yVal);
  }

  private static Batch batch(double[][] x, double[] y) {
    double[][] yy = new double[y.length][1];
    for (int i = 0; i < y.length; i++) {
      yy[i][0] = y[i];
    }
    return Batch.of(Map.of("x", Nd4j.createFromArray(x), "y", Nd4j.createFromArray(yy)));
  }

  static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  private static double[][] matrix(SplittableRandom r, int n, int d) {
    double[][] a = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        a[i][j] = gaussian(r);
      }
    }
    return a;
  }

  private static double[] targets(SplittableRandom r, double[][] x, double[] w) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < w.length; j++) {
        y[i] += x[i][j] * w[j];
      }
      y[i] += 0.5 * gaussian(r);
    }
    return y;
  }

  public BilevelProblem problem(OptimizerSpec inner, double lambda0) {
    return problem(inner, lambda0, 1);
  }

  /** The problem with the engine set to meta-update after every {@code metaEvery} inner steps. */
  public BilevelProblem problem(OptimizerSpec inner, double lambda0, int metaEvery) {
    return Bilevel.problem("quadratic-window")
        .baseFirst()
        .metaUpdateEvery(metaEvery)
        .dtype(DataType.DOUBLE)
        .input("x", -1, d)
        .input("y", -1, 1)
        .innerParams("w", p -> p.param("w", Init.constant(0.3), d, 1))
        .metaParams("l2", p -> p.param("lambda", Init.constant(lambda0), d, 1))
        .innerObjective(f -> {
          var w = f.inner("w").param("w");
          var fit = f.sd().math().square(f.input("x").mmul(w).sub(f.input("y"))).mean().mul(0.5);
          var penalty = f.meta("l2").param("lambda").mul(f.sd().math().square(w)).sum().mul(0.5);
          return fit.add(penalty);
        })
        .outerObjective(f -> {
          var w = f.inner("w").param("w");
          var fit = f.sd().math().square(f.input("x").mmul(w).sub(f.input("y"))).mean().mul(0.5);
          if (rho == 0) {
            return fit;
          }
          var l = f.meta("l2").param("lambda");
          return fit.add(f.sd().math().square(l).sum().mul(0.5 * rho));
        })
        .innerOptimizer(inner)
        .outerOptimizer(Sgd.of(1e-3))
        .build();
  }

  /** θ_T, the exact unrolled hypergradient, and the exact velocity at the end. */
  public record Exact(double[] thetaT, double[] hypergradient) {}

  /**
   * Runs the update recurrence from (θ_0, v_0) over the batches {@code from … to−1} and
   * differentiates it by hand; with {@code truncate} k &gt; 0 the Jacobian starts at zero k steps
   * before the end (θ and v at that point held constant).
   */
  public Exact exact(double[] theta0, double[] v0, double[] lambda, double[] lrs, double momentum,
      double wd, int from, int to, int truncate) {
    double mu = momentum;
    double[] th = theta0.clone();
    double[] v = v0 == null ? new double[d] : v0.clone();
    double[][] jt = new double[d][d];
    double[][] jv = new double[d][d];
    int startJacobian = truncate > 0 ? Math.max(from, to - truncate) : from;
    for (int t = from; t < to; t++) {
      double eta = lrs[t - from];
      double[][] x = xs.get(t);
      double[] y = ys.get(t);
      int n = x.length;
      double[][] q = new double[d][d];
      double[] rhs = new double[d];
      for (int i = 0; i < n; i++) {
        for (int a = 0; a < d; a++) {
          rhs[a] += x[i][a] * y[i] / n;
          for (int b = 0; b < d; b++) {
            q[a][b] += x[i][a] * x[i][b] / n;
          }
        }
      }
      double[] g = new double[d];
      for (int a = 0; a < d; a++) {
        g[a] = -rhs[a] + (lambda[a] + wd) * th[a];
        for (int b = 0; b < d; b++) {
          g[a] += q[a][b] * th[b];
        }
      }
      // dg/dλ = (Q + diag(λ) + wd I) Jθ + diag(θ_{t−1}), when the Jacobian is being tracked.
      double[][] dg = new double[d][d];
      if (t >= startJacobian) {
        for (int a = 0; a < d; a++) {
          for (int c = 0; c < d; c++) {
            double s = (lambda[a] + wd) * jt[a][c];
            for (int b = 0; b < d; b++) {
              s += q[a][b] * jt[b][c];
            }
            dg[a][c] = s + (a == c ? th[a] : 0);
          }
        }
      }
      double[] vNew = new double[d];
      double[][] jvNew = new double[d][d];
      for (int a = 0; a < d; a++) {
        vNew[a] = mu * v[a] - eta * g[a];
        th[a] = th[a] - mu * v[a] + (1 + mu) * vNew[a];
        for (int c = 0; c < d; c++) {
          jvNew[a][c] = mu * jv[a][c] - eta * dg[a][c];
          jt[a][c] = jt[a][c] - mu * jv[a][c] + (1 + mu) * jvNew[a][c];
        }
      }
      v = vNew;
      jv = jvNew;
    }
    double[] outer = new double[d];
    int m = xVal.length;
    for (int i = 0; i < m; i++) {
      double res = -yVal[i];
      for (int b = 0; b < d; b++) {
        res += xVal[i][b] * th[b];
      }
      for (int a = 0; a < d; a++) {
        outer[a] += xVal[i][a] * res / m;
      }
    }
    double[] hg = new double[d];
    for (int c = 0; c < d; c++) {
      hg[c] = rho * lambda[c];
      for (int a = 0; a < d; a++) {
        hg[c] += jt[a][c] * outer[a];
      }
    }
    return new Exact(th, hg);
  }

  /** A recorded window and everything an estimator needs to be called on it. */
  public record Setup(CompiledProblem oracle, OptimizerSpec spec, INDArray theta0, double[] v0,
      INDArray lambda, Windows.Recorded recorded, Batch outer, int from, int to) {

    public Trajectory trajectory() {
      return recorded.trajectory();
    }

    public EstimationContext context(TrajectoryNeeds needs) {
      Trajectory t = Windows.restrict(recorded.trajectory(), needs);
      return new EstimationContext(oracle, new SecondOrder(oracle), recorded.trajectory().thetaT(),
          lambda, recorded.trajectory().steps().get(recorded.trajectory().length() - 1).batch(),
          outer, spec, recorded.nextLearningRate(), t, 11, to - 1L);
    }

    public double[] learningRates() {
      return recorded.trajectory().steps().stream().mapToDouble(Trajectory.Step::learningRate)
          .toArray();
    }
  }

  /**
   * Trains {@code warmup} steps (not differentiated through) and records the window of the next
   * {@code steps}, with λ_i = lambda0 + 0.05·i.
   */
  public Setup setup(OptimizerSpec spec, double lambda0, int warmup, int steps) {
    CompiledProblem c = problem(spec, lambda0).compile();
    INDArray lambda = c.initialLambda(3);
    for (int i = 0; i < d; i++) {
      lambda.putScalar(i, lambda0 + 0.05 * i);
    }
    INDArray theta = c.initialTheta(3);
    Optimizer.Snapshot state = null;
    if (warmup > 0) {
      Optimizer opt = spec.create(theta.length(), DataType.DOUBLE);
      for (Batch b : batches.subList(0, warmup)) {
        opt.step(theta, c.gradTheta(Level.INNER, theta, lambda, b));
      }
      state = opt.snapshot();
    }
    // For SGD with momentum the optimizer state is the velocity v.
    double[] v0 = state == null || state.state() == null || !(spec instanceof Sgd) ? null
        : state.state().dup().reshape(theta.length()).toDoubleVector();
    Windows.Recorded rec = Windows.record(c, spec, state, theta, lambda,
        batches.subList(warmup, warmup + steps), TrajectoryNeeds.FULL);
    return new Setup(c, spec, theta, v0, lambda, rec, val, warmup, warmup + steps);
  }

  /** The exact result for a setup, optionally truncated. */
  public Exact exact(Setup s, double momentum, double wd, int truncate) {
    return exact(s.theta0().toDoubleVector(), s.v0(), s.lambda().toDoubleVector(),
        s.learningRates(), momentum, wd, s.from(), s.to(), truncate);
  }
}
