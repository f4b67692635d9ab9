package dev.bilevel.dsl;

/** Which objective: the inner L_in(θ, λ) or the outer L_out(θ, λ). */
public enum Level {
  INNER,
  OUTER;

  public String word() {
    return this == INNER ? "inner" : "outer";
  }
}
