package dev.bilevel.blocks;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** What a block sees while emitting ops: the graph and its own parameters. */
public interface BlockScope {

  SameDiff sd();

  /** The variable of one of this block's parameters, by its local name. */
  SDVariable param(String localName);

  /** The static shape of the block's input, -1 where unknown. */
  long[] inputShape();

  /** A unique name for an intermediate variable of this block. */
  String name(String suffix);
}
