package dev.bilevel.blocks;

import java.util.Arrays;

/** Static shape helpers shared by the blocks. */
final class Shapes {
  private Shapes() {}

  static String str(long[] shape) {
    return Arrays.toString(shape);
  }

  static void requireRank(String block, long[] in, int rank, String layout) {
    if (in.length != rank) {
      throw new IllegalArgumentException(
          block + " expects a rank-" + rank + " input " + layout + " but got shape " + str(in));
    }
  }

  static void requireDim(String block, long[] in, int axis, long expected, String what) {
    if (in[axis] != -1 && in[axis] != expected) {
      throw new IllegalArgumentException(
          block + " expects " + what + " = " + expected + " but the input has shape " + str(in)
              + "; change the block's size or the layer before it");
    }
  }

  static long product(long[] shape, int from) {
    long n = 1;
    for (int i = from; i < shape.length; i++) {
      if (shape[i] < 0) {
        return -1;
      }
      n *= shape[i];
    }
    return n;
  }
}
