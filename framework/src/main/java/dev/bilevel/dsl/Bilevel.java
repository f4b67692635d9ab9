package dev.bilevel.dsl;

/** Entry point of the DSL. */
public final class Bilevel {
  private Bilevel() {}

  /** Starts describing a bilevel problem with the given name. */
  public static ProblemBuilder problem(String name) {
    return new ProblemBuilder(name);
  }
}
