package dev.bilevel.graph;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * SameDiff 1.0.0-M2.1 prints one line per op to System.out while it builds a gradient function
 * ("Added differentiated op ..."), unconditionally. Graphs are built once per compile, so we mute
 * stdout for that call only and restore it.
 */
final class Quietly {
  private Quietly() {}

  static synchronized void run(Runnable r) {
    PrintStream original = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      r.run();
    } finally {
      System.setOut(original);
    }
  }
}
