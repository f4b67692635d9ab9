package dev.bilevel.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.dsl.Level;
import dev.bilevel.fixtures.Ridge;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class CompiledProblemSmokeTest {
  @Test
  void ridgeGradientsMatchClosedForm() {
    Ridge r = new Ridge(5, 40, 30, true, 1);
    CompiledProblem c = r.problem(0.3, 0.1).compile();
    INDArray theta = c.initialTheta(7);
    INDArray lambda = c.initialLambda(7);
    INDArray g = c.gradTheta(Level.INNER, theta, lambda, r.train());
    assertThat(g.sub(r.innerGradient(theta, lambda)).norm2Number().doubleValue()).isLessThan(1e-12);
    INDArray go = c.gradTheta(Level.OUTER, theta, lambda, r.val());
    assertThat(go.sub(r.outerGradient(theta)).norm2Number().doubleValue()).isLessThan(1e-12);
  }
}
