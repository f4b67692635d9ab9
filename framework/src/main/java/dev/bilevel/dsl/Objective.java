package dev.bilevel.dsl;

import org.nd4j.autodiff.samediff.SDVariable;

/** Defines an objective as a scalar SameDiff variable, written against an {@link ObjectiveContext}. */
@FunctionalInterface
public interface Objective {
  SDVariable define(ObjectiveContext f);
}
