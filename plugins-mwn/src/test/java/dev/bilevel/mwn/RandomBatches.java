package dev.bilevel.mwn;

import dev.bilevel.data.Batch;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Small synthetic batches for the plugin's tests: uniform inputs in ±1.5, random one-hot labels. */
final class RandomBatches {
  private RandomBatches() {}

  static Batch batch(SplittableRandom r, int n, int features, int classes) {
    float[] x = new float[n * features];
    float[] y = new float[n * classes];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (3 * (r.nextDouble() - 0.5));
    }
    for (int i = 0; i < n; i++) {
      y[i * classes + r.nextInt(classes)] = 1;
    }
    return Batch.of(Map.of("x", Nd4j.create(x, new long[] {n, features}, DataType.FLOAT),
        "y", Nd4j.create(y, new long[] {n, classes}, DataType.FLOAT)));
  }
}
