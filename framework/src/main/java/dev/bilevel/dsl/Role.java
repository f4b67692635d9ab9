package dev.bilevel.dsl;

/** Which level a parameter group belongs to. */
public enum Role {
  /** Model parameters θ, trained by the inner optimizer on L_in. */
  INNER,
  /** Meta-parameters λ, trained by the outer optimizer on the hypergradient of L_out. */
  META;

  /** "inner" or "meta", as written in the DSL. */
  public String word() {
    return this == INNER ? "inner" : "meta";
  }
}
