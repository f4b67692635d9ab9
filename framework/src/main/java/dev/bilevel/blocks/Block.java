package dev.bilevel.blocks;

import dev.bilevel.dsl.ParamSpec;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * A reusable piece of a network: declares its parameters, checks and propagates static shapes, and
 * emits SameDiff ops. Plugins add their own blocks (a feature-wise transformation, an RTN) by
 * implementing this interface.
 */
public interface Block {

  /** Short description used in error messages, e.g. {@code dense(784→256)}. */
  String describe();

  /** Parameters with names local to the block. */
  List<ParamSpec> params();

  /**
   * The output shape for an input shape; -1 marks an unknown (batch) dimension.
   *
   * @throws IllegalArgumentException with a message saying what the block expected
   */
  long[] outputShape(long[] input);

  /** Emits the ops; {@code scope.param(name)} returns this block's parameter variables. */
  SDVariable apply(BlockScope scope, SDVariable x);
}
