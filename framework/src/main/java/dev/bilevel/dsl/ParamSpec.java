package dev.bilevel.dsl;

import java.util.Arrays;
import java.util.Objects;

/**
 * One named parameter tensor of a group.
 *
 * @param name name within its group
 * @param shape static shape (no -1)
 * @param init initialiser
 */
public record ParamSpec(String name, long[] shape, Init init) {

  public ParamSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(init, "init");
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long length() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParamSpec p
        && p.name.equals(name)
        && Arrays.equals(p.shape, shape)
        && p.init.equals(init);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(shape), init);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
