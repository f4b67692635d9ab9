package dev.bilevel.backend;

/** How the native build that is running came to be chosen; part of {@link BackendInfo}. */
public enum BuildSelection {

  /** {@link Nd4jBackend#start} chose the build before ND4J loaded, and that build loaded. */
  APPLIED,

  /**
   * The JavaCPP property {@code org.bytedeco.javacpp.platform.extension} was already set (e.g.
   * with {@code -D} on the command line); it was respected, not overridden.
   */
  USER_PROPERTY,

  /**
   * ND4J had already loaded its native library when {@code start} was called, so the requested
   * build could not take effect; what is reported is what had loaded.
   */
  TOO_LATE,

  /** The requested build was not on the class path; JavaCPP loaded another one. */
  NOT_AVAILABLE,

  /** Not recorded (an info built by hand, not by {@link Nd4jBackend}). */
  UNKNOWN
}
