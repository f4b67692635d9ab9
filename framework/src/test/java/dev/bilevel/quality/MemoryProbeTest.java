package dev.bilevel.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bilevel.dsl.Level;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MemoryProbeTest {
  private static final long N = 100_000;
  private static final long BYTES = N * Double.BYTES;

  @Test
  void countsWhatTheWorkHoldsAtItsEvaluationsAndNotItsGarbage() {
    QualityProblems.Case c = QualityProblems.ridge(3, 4, 0, 1, 1);
    var oracle = c.problem().compile();
    var theta = c.state().theta();
    var lambda = c.state().lambda();
    var batch = c.window().innerBatches().get(0);
    oracle.gradTheta(Level.INNER, theta, lambda, batch);

    var held = MemoryProbe.peakAtEvaluations(oracle, o -> {
      List<INDArray> keep = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        keep.add(Nd4j.zeros(DataType.DOUBLE, N).addi(i));
      }
      o.gradTheta(Level.INNER, theta, lambda, batch);
      return keep;
    });
    assertThat(held.peakBytes()).isBetween(3 * BYTES, 3 * BYTES + BYTES / 2);

    var dropped = MemoryProbe.peakAtEvaluations(oracle, o -> {
      for (int i = 0; i < 20; i++) {
        Nd4j.zeros(DataType.DOUBLE, N).addi(i).sumNumber();
      }
      return o.gradTheta(Level.INNER, theta, lambda, batch);
    });
    assertThat(dropped.peakBytes()).isLessThan(BYTES / 2);
  }

  @Test
  void putsNd4jsBufferFactoryBack() {
    var before = Nd4j.getDataBufferFactory();
    var oracle = QualityProblems.ridge(3, 4, 0, 1, 1).problem().compile();
    MemoryProbe.peakAtEvaluations(oracle, o -> {
      assertThat(Proxy.isProxyClass(Nd4j.getDataBufferFactory().getClass())).isTrue();
      return null;
    });
    assertThat(Nd4j.getDataBufferFactory()).isSameAs(before);
  }
}
