package dev.bilevel.graph;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Work vectors that estimators keep between calls: a fresh θ-sized native array costs about as
 * much as a pass over it, and one per step is garbage that the process's peak memory grows with.
 */
public final class Scratch {
  private Scratch() {}

  /**
   * {@code kept} if it is a vector of {@code like}'s length and type, else a new uninitialised one
   * to keep in its place. The contents are undefined either way.
   */
  public static INDArray fit(INDArray kept, INDArray like) {
    if (kept != null && kept.length() == like.length() && kept.dataType() == like.dataType()) {
      return kept;
    }
    return Nd4j.createUninitialized(like.dataType(), like.length());
  }
}
