package dev.bilevel.backend;

/**
 * The ND4J globals the library touches, behind one small interface so that nothing else
 * reads or writes {@code Nd4j} static state directly.
 */
public interface Backend {

  /** Seeds ND4J's random generator, which in-graph random ops (dropout, noise layers) draw from. */
  void seedRandom(long seed);

  /** What is running: versions, native build, threads. Recorded with every run and benchmark. */
  BackendInfo info();
}
