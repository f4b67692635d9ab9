package dev.bilevel.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.bilevel.data.Batch;
import dev.bilevel.graph.CompiledProblem;
import dev.bilevel.graph.Evaluation;
import dev.bilevel.graph.Wrt;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The cross-entropy helpers against closed forms, including logits far apart. */
@DisplayName("Cross-entropy")
class CrossEntropyTest {

  /** θ = the logits of two samples over three classes; mean cross-entropy inside. */
  private static CompiledProblem logitsProblem(DataType dtype) {
    return Bilevel.problem("ce").dtype(dtype)
        .input("y", -1, 3)
        .innerParams("z", p -> p.param("logits", Init.zeros(), 2, 3))
        .metaParams("s", p -> p.param("scale", Init.constant(1.0), 1))
        .innerObjective(f -> f.meanCrossEntropy(
            f.inner("z").param("logits").mul(f.meta("s").param("scale")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("z").param("logits"), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(0.1))
        .build().compile();
  }

  private static Evaluation evaluate(DataType dtype, double[] logits, double[][] oneHot) {
    CompiledProblem c = logitsProblem(dtype);
    INDArray theta = Nd4j.createFromArray(logits).castTo(dtype);
    Batch b = Batch.of(Map.of("y", Nd4j.createFromArray(oneHot).castTo(dtype)));
    return c.evaluate(Level.INNER, theta, c.initialLambda(1), b, Wrt.THETA);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("finite, with gradient softmax − y, when logits are hundreds apart")
  void farApartLogits(DataType dtype) {
    // Sample 1: target logit 0, largest 50 → loss 50; sample 2: target 0, largest 300 → 300.
    // log_softmax as log(softmax) gives −∞ for the −200 and −300 entries and a NaN loss.
    Evaluation e = evaluate(dtype, new double[] {0, -200, 50, 300, 0, -300},
        new double[][] {{1, 0, 0}, {0, 1, 0}});

    assertThat(e.value()).isCloseTo(175.0, within(1e-3));
    // (softmax − y) / batch: softmax ≈ one-hot of the largest logit in both rows.
    assertThat(e.gradTheta().castTo(DataType.DOUBLE).toDoubleVector())
        .containsExactly(new double[] {-0.5, 0, 0.5, 0.5, -0.5, 0}, within(1e-6));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
  @DisplayName("matches −Σ y log softmax and its gradient on ordinary logits")
  void ordinaryLogits(DataType dtype) {
    double[] z = {0.3, -1.2, 2.0, 1.5, 0.1, -0.7};
    double[][] y = {{0, 0, 1}, {1, 0, 0}};
    Evaluation e = evaluate(dtype, z, y);

    double loss = 0;
    double[] grad = new double[6];
    for (int i = 0; i < 2; i++) {
      double norm = 0;
      for (int k = 0; k < 3; k++) {
        norm += Math.exp(z[3 * i + k]);
      }
      for (int k = 0; k < 3; k++) {
        double p = Math.exp(z[3 * i + k]) / norm;
        loss -= y[i][k] * Math.log(p) / 2;
        grad[3 * i + k] = (p - y[i][k]) / 2;
      }
    }
    double tol = dtype == DataType.DOUBLE ? 1e-12 : 1e-6;
    assertThat(e.value()).isCloseTo(loss, within(tol));
    assertThat(e.gradTheta().castTo(DataType.DOUBLE).toDoubleVector())
        .containsExactly(grad, within(tol));
  }
}
