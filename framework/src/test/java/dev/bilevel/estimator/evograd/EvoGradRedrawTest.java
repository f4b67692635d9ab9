package dev.bilevel.estimator.evograd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.estimator.EstimationContext;
import dev.bilevel.fixtures.Contexts;
import dev.bilevel.fixtures.Ridge;
import dev.bilevel.graph.CompiledProblem;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

@DisplayName("EvoGrad with more perturbation than it keeps")
class EvoGradRedrawTest {

  @ParameterizedTest(name = "K = {0}")
  @ValueSource(ints = {2, 3, 5})
  @DisplayName("redraws each ε from its seed and estimates exactly what keeping them estimates")
  void redrawingEqualsKeeping(int candidates) {
    Ridge r = new Ridge(5, 40, 30, true, 9);
    CompiledProblem c = r.problem(0.3, 0.1).compile();
    INDArray theta = c.initialTheta(4).addi(0.5);
    INDArray lambda = c.initialLambda(4);
    // σ large enough that the candidates' weights are far from uniform, so that using the wrong ε
    // for a candidate would change θ* and the hypergradient.
    EvoGradConfig config = EvoGradConfig.defaults().candidates(candidates).sigma(0.05)
        .temperature(0.05);
    EstimationContext ctx = Contexts.of(c, theta, lambda, r.train(), r.val(), 0.1, 42);

    INDArray kept = new EvoGrad(config).estimate(ctx).gradient();
    INDArray redrawn = new EvoGrad(config, 0).estimate(ctx).gradient();

    assertThat(redrawn.toDoubleVector()).containsExactly(kept.toDoubleVector());
    assertThat(kept.norm2Number().doubleValue()).isGreaterThan(1e-6);
  }
}
