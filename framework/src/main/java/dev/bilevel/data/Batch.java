package dev.bilevel.data;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One mini-batch: a value for each named input of a problem, plus the seed of the random draws
 * (dropout, noise layers) made while evaluating on it. Evaluating twice on the same batch makes the
 * same draws, which finite-difference products rely on.
 *
 * @param values input name to array; the first dimension is the batch dimension
 * @param noiseSeed seed for in-graph random ops
 */
public record Batch(Map<String, INDArray> values, long noiseSeed) {

  public Batch {
    Objects.requireNonNull(values, "values");
    values = Map.copyOf(values);
  }

  /** A batch with noise seed 0. */
  public static Batch of(Map<String, INDArray> values) {
    return new Batch(values, 0L);
  }

  public INDArray get(String input) {
    INDArray a = values.get(input);
    if (a == null) {
      throw new IllegalArgumentException(
          "Batch has no input '" + input + "'; it has " + Set.copyOf(values.keySet())
              + ". Supply a value for every input the problem declares.");
    }
    return a;
  }

  /** Number of examples, read from the first dimension of any input. */
  public long size() {
    return values.values().iterator().next().size(0);
  }

  public Batch withNoiseSeed(long seed) {
    return new Batch(values, seed);
  }
}
