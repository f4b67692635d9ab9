package dev.bilevel.dsl;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;

/** A parameter group as seen inside an objective. */
public interface GroupRef {

  String name();

  Role role();

  /**
   * Applies the group's network to an input.
   *
   * @throws IllegalArgumentException (reported at {@code build()}) for raw-parameter groups or a
   *     shape mismatch
   */
  SDVariable apply(SDVariable input);

  /** One parameter by name ({@code 0.W} for the first block's weights, or a raw parameter's name). */
  SDVariable param(String name);

  /** Every parameter of the group, in declaration order. */
  List<SDVariable> params();
}
