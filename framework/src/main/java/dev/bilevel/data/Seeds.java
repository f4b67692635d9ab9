package dev.bilevel.data;

/**
 * Derives independent seeds from a user seed without any shared generator, so that any batch can
 * be recomputed from (seed, epoch, index) alone, in any order, after a restart.
 */
final class Seeds {

  private static final long SHUFFLE_STREAM = 0x5348_5546_464c_4531L;
  private static final long NOISE_STREAM = 0x4e4f_4953_4553_4545L;

  private Seeds() {}

  /**
   * The SplitMix64 finaliser: a bijection on 64-bit values that spreads every input bit over the
   * output, so that nearby inputs (epoch 3 vs 4) give unrelated seeds.
   */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Seed of the shuffling generator for one epoch. */
  static long shuffleSeed(long seed, int epoch) {
    return mix64(mix64(seed ^ SHUFFLE_STREAM) + epoch);
  }

  /**
   * Noise seed of batch (epoch, index). For a fixed seed this is injective in (epoch, index): the
   * pair is packed into 64 bits, offset and passed through a bijection.
   */
  static long noiseSeed(long seed, int epoch, int index) {
    long position = ((long) epoch << 32) | (index & 0xffff_ffffL);
    return mix64(mix64(seed ^ NOISE_STREAM) + position);
  }
}
