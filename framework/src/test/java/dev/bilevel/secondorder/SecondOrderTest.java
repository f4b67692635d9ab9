package dev.bilevel.secondorder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.dsl.Level;
import dev.bilevel.fixtures.Logistic;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Wrt;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@DisplayName("Second-order products from first-order gradients (FP64)")
class SecondOrderTest {

  static double relativeError(INDArray actual, INDArray expected) {
    return actual.sub(expected).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
  }

  static INDArray direction(long n, long seed) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.DOUBLE, n);
  }

  @Test
  void hessianVectorOfAQuadraticIsExact() {
    Ridge r = new Ridge(6, 50, 20, true, 3);
    CompiledProblem c = r.problem(0.2, 0.1).compile();
    INDArray theta = direction(6, 1);
    INDArray lambda = direction(6, 2).muli(0.1).addi(0.5);
    INDArray v = direction(6, 3);
    SecondOrder so = new SecondOrder(c);

    INDArray hv = so.hessianVector(Level.INNER, theta, lambda, r.train(), v);

    INDArray expected = r.hessian(lambda).mmul(v.reshape(6, 1)).reshape(6);
    assertThat(relativeError(hv, expected)).isLessThan(1e-6);
  }

  @Test
  void mixedAndCrossProductsOfRidgeEqualThetaTimesTheDirection() {
    // ∂L/∂λ_i = ½θ_i², so ∂²L/∂λ_i∂θ_j = θ_i δ_ij: both products are θ ⊙ direction.
    Ridge r = new Ridge(6, 50, 20, true, 4);
    CompiledProblem c = r.problem(0.2, 0.1).compile();
    INDArray theta = direction(6, 5);
    INDArray lambda = direction(6, 6).muli(0.1).addi(0.5);
    INDArray v = direction(6, 7);
    SecondOrder so = new SecondOrder(c);

    INDArray mixed = so.mixedVector(Level.INNER, theta, lambda, r.train(), v);
    INDArray cross = so.crossVector(Level.INNER, theta, lambda, r.train(), v);

    assertThat(relativeError(mixed, theta.mul(v))).isLessThan(1e-6);
    assertThat(relativeError(cross, theta.mul(v))).isLessThan(1e-6);
  }

  @Test
  void theForwardMixedProductFromTheGradientAtThetaAlsoEqualsThetaTimesTheDirection() {
    Ridge r = new Ridge(6, 50, 20, true, 4);
    CompiledProblem c = r.problem(0.2, 0.1).compile();
    INDArray theta = direction(6, 5);
    INDArray lambda = direction(6, 6).muli(0.1).addi(0.5);
    INDArray v = direction(6, 7);
    INDArray gradLambda = c.evaluate(Level.INNER, theta, lambda, r.train(), Wrt.LAMBDA).gradLambda().dup();
    var before = c.counts();

    INDArray mixed = new SecondOrder(c).mixedVectorForward(Level.INNER, theta, lambda, r.train(), v,
        gradLambda);

    assertThat(relativeError(mixed, theta.mul(v))).isLessThan(1e-6);
    assertThat(c.counts().minus(before).backward()).isEqualTo(1);
  }

  @Test
  void hessianVectorOfLogisticRegressionMatchesTheAnalyticHessian() {
    Logistic l = new Logistic(5, 200, 11);
    CompiledProblem c = l.problem().compile();
    INDArray theta = c.initialTheta(1);
    INDArray lambda = c.initialLambda(1);
    SecondOrder so = new SecondOrder(c);
    for (long seed = 0; seed < 5; seed++) {
      INDArray v = direction(5, 100 + seed);

      SecondOrder.Products p = so.both(Level.INNER, theta, lambda, l.batch(), v);

      INDArray expected = l.hessian(theta, lambda).mmul(v.reshape(5, 1)).reshape(5);
      assertThat(relativeError(p.hessianVector(), expected)).isLessThan(1e-6);
      assertThat(relativeError(p.mixedVector(), theta.mul(v))).isLessThan(1e-6);
    }
  }

  @Test
  void aZeroDirectionGivesZeroWithoutEvaluating() {
    Ridge r = new Ridge(3, 10, 10, true, 1);
    CompiledProblem c = r.problem(0.2, 0.1).compile();
    var before = c.counts();

    INDArray hv = new SecondOrder(c).hessianVector(Level.INNER, c.initialTheta(0),
        c.initialLambda(0), r.train(), Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 3));

    assertThat(hv.norm2Number().doubleValue()).isZero();
    assertThat(c.counts().minus(before).backward()).isZero();
  }

  @Test
  void stepsOutsideZeroToOneAreRefusedByName() {
    assertThatThrownBy(() -> new FiniteDifferences(0))
        .hasMessage("relative step must be in (0, 1), got 0.0");
    assertThatThrownBy(() -> new FiniteDifferences(1e-3, 1, 1e-3))
        .hasMessage("forward relative step must be in (0, 1), got 1.0");
    assertThatThrownBy(() -> new FiniteDifferences(1e-3, 1e-4, Double.NaN))
        .hasMessage("piece relative step must be in (0, 1), got NaN");
  }
}
