package dev.bilevel.graph;

/** Which gradients an evaluation returns. */
public enum Wrt {
  NONE,
  THETA,
  LAMBDA,
  BOTH;

  boolean theta() {
    return this == THETA || this == BOTH;
  }

  boolean lambda() {
    return this == LAMBDA || this == BOTH;
  }
}
