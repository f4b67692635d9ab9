package dev.bilevel.graph;

/** How a compiled problem runs its graphs. */
public enum Executor {
  /**
   * Fixed replay plans per request, each checked against SameDiff's executor on its first use;
   * graphs a plan cannot hold (random ops, control flow) fall back to SameDiff. The default.
   */
  REPLAY,
  /** SameDiff's own executor for every evaluation: the reference, and several times slower. */
  SAMEDIFF
}
