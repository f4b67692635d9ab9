package dev.bilevel.estimator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.estimator.firstorder.FirstOrder;
import dev.bilevel.fixtures.Contexts;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class FirstOrderTest {

  @Test
  void isExactWhenLambdaAppearsOnlyInTheOuterObjective() {
    // θ*(λ) does not depend on λ, so dL_out/dλ = ∂L_out/∂λ = ½‖θ‖² for L_out = fit + ½λ‖θ‖².
    Ridge r = new Ridge(5, 40, 40, false, 8);
    BilevelProblem p = Bilevel.problem("outer-only")
        .dtype(DataType.DOUBLE)
        .input("x", -1, 5).input("y", -1, 1)
        .innerParams("w", ps -> ps.param("w", Init.normal(1), 5, 1))
        .metaParams("l2", ps -> ps.param("lambda", Init.constant(0.7), 1))
        .innerObjective(f -> f.meanSquaredError(f.input("x").mmul(f.inner("w").param("w")), f.input("y")))
        .outerObjective(f -> f.meanSquaredError(f.input("x").mmul(f.inner("w").param("w")), f.input("y"))
            .add(f.meta("l2").param("lambda").mul(f.squaredNorm(f.inner("w"))).sum().mul(0.5)))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.1))
        .build();
    CompiledProblem c = p.compile();
    INDArray theta = c.initialTheta(3);

    Hypergradient hg = new FirstOrder().estimate(
        Contexts.of(c, theta, c.initialLambda(3), r.train(), r.val(), 0.1, 0));

    double expected = 0.5 * theta.mul(theta).sumNumber().doubleValue();
    assertThat(hg.gradient().getDouble(0)).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12 * expected));
    assertThat(p.warnings()).containsExactly("λ does not reach the outer objective through θ: evograd"
        + " returns zero and every other estimator returns only the direct term ∂L_out/∂λ");
  }

  @Test
  void returnsZeroWhenLambdaReachesTheOuterObjectiveOnlyThroughTheta() {
    Ridge r = new Ridge(5, 40, 40, true, 8);
    BilevelProblem p = r.problem(0.3, 0.1);
    CompiledProblem c = p.compile();
    Batch train = r.train();

    Hypergradient hg = new FirstOrder().estimate(
        Contexts.of(c, c.initialTheta(1), c.initialLambda(1), train, r.val(), 0.1, 0));

    assertThat(hg.gradient().norm2Number().doubleValue()).isZero();
    assertThat(p.warnings()).containsExactly(
        "λ reaches the outer objective only through θ: first-order returns zero");
  }
}
