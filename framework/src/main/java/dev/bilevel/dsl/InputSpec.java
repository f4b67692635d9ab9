package dev.bilevel.dsl;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A placeholder of the problem: name, dtype and shape (-1 for the batch dimension).
 *
 * @param name input name
 * @param dtype element type; floating inputs take the problem's dtype when not given
 * @param shape shape with -1 for unknown dimensions
 */
public record InputSpec(String name, DataType dtype, long[] shape) {

  public InputSpec {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputSpec i && i.name.equals(name) && i.dtype == dtype
        && Arrays.equals(i.shape, shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + ":" + dtype + Arrays.toString(shape);
  }
}
