package dev.bilevel.report;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Versions of what a run executed with, read from jar metadata rather than from the libraries
 * themselves: asking ND4J would load its native backend just to write a JSON file.
 */
final class Versions {

  static final String UNKNOWN = "unknown";

  private Versions() {}

  /**
   * {@code bilevel}, {@code nd4j}, {@code java} and {@code os}. The library version is
   * {@code unknown} when running from a class directory (e.g. in this module's own tests), which
   * has neither a manifest nor Maven metadata.
   */
  static Map<String, String> detect() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("bilevel", library());
    v.put("nd4j", mavenVersion("org.nd4j", "nd4j-api"));
    v.put("java", Runtime.version() + " (" + System.getProperty("java.vendor", UNKNOWN) + ")");
    v.put("os", System.getProperty("os.name", UNKNOWN) + " "
        + System.getProperty("os.version", "") + " " + System.getProperty("os.arch", ""));
    return v;
  }

  static String library() {
    String fromManifest = Versions.class.getPackage().getImplementationVersion();
    return fromManifest != null ? fromManifest : mavenVersion("dev.bilevel", "bilevel-framework");
  }

  /** Reads the {@code pom.properties} that Maven puts into every jar it builds. */
  static String mavenVersion(String groupId, String artifactId) {
    String resource = "META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
    ClassLoader loader = Versions.class.getClassLoader();
    try (InputStream in = loader == null ? null : loader.getResourceAsStream(resource)) {
      if (in == null) {
        return UNKNOWN;
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", UNKNOWN);
    } catch (IOException e) {
      return UNKNOWN;
    }
  }
}
