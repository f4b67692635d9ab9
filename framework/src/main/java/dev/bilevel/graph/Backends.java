package dev.bilevel.graph;

import dev.bilevel.backend.Backend;
import dev.bilevel.backend.Nd4jBackend;

/** The process's backend for code that was not handed one. */
final class Backends {
  private Backends() {}

  // Started on first use, before anything else in the library touches ND4J, so the native build
  // can still be chosen. The native library is process-wide, hence one holder.
  private static final class Holder {
    static final Backend INSTANCE = Nd4jBackend.start();
  }

  static Backend current() {
    return Holder.INSTANCE;
  }
}
