package dev.bilevel.dsl;

import java.util.SplittableRandom;

/**
 * How a parameter is initialised. Initial values are drawn from a seeded Java generator, not from
 * ND4J's global one, so one seed fixes them whatever else ran before.
 */
public sealed interface Init {

  /** Fills {@code out} (row-major, {@code out.length} = product of the shape). */
  void fill(double[] out, long[] shape, SplittableRandom random);

  static Init zeros() {
    return constant(0.0);
  }

  static Init ones() {
    return constant(1.0);
  }

  static Init constant(double value) {
    return new Constant(value);
  }

  /** Uniform on [low, high). */
  static Init uniform(double low, double high) {
    return new Uniform(low, high);
  }

  /** Gaussian with mean 0 and the given standard deviation. */
  static Init normal(double std) {
    return new Normal(std);
  }

  /** Glorot/Xavier uniform: U(±sqrt(6 / (fanIn + fanOut))). */
  static Init xavier(long fanIn, long fanOut) {
    double a = Math.sqrt(6.0 / (fanIn + fanOut));
    return new Uniform(-a, a);
  }

  /** He/Kaiming normal for ReLU layers: N(0, 2 / fanIn). */
  static Init he(long fanIn) {
    return new Normal(Math.sqrt(2.0 / fanIn));
  }

  /** PyTorch's default for Linear and Conv: U(±1/sqrt(fanIn)). */
  static Init torchDefault(long fanIn) {
    double a = 1.0 / Math.sqrt(fanIn);
    return new Uniform(-a, a);
  }

  record Constant(double value) implements Init {
    @Override
    public void fill(double[] out, long[] shape, SplittableRandom random) {
      java.util.Arrays.fill(out, value);
    }
  }

  record Uniform(double low, double high) implements Init {
    @Override
    public void fill(double[] out, long[] shape, SplittableRandom random) {
      for (int i = 0; i < out.length; i++) {
        out[i] = low + (high - low) * random.nextDouble();
      }
    }
  }

  record Normal(double std) implements Init {
    @Override
    public void fill(double[] out, long[] shape, SplittableRandom random) {
      for (int i = 0; i < out.length; i++) {
        out[i] = std * gaussian(random);
      }
    }

    private static double gaussian(SplittableRandom r) {
      // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
      double u1 = 1.0 - r.nextDouble();
      double u2 = r.nextDouble();
      return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
  }
}
