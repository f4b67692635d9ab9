package dev.bilevel.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds the commit checked out in the enclosing git work tree by reading {@code .git} files,
 * without running {@code git}: the library must not depend on a git binary being installed, and
 * provenance should never fail a run. Handles a detached HEAD, loose and packed refs, and linked
 * work trees ({@code .git} as a file pointing elsewhere). Whether the tree is dirty cannot be
 * known this way and is not reported.
 */
final class GitHead {

  private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}([0-9a-f]{24})?");

  private GitHead() {}

  /** The commit of the work tree containing {@code start}, or empty if there is none. */
  static Optional<String> find(Path start) {
    for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
      Path dotGit = dir.resolve(".git");
      if (Files.exists(dotGit)) {
        try {
          return read(dotGit);
        } catch (IOException | RuntimeException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<String> read(Path dotGit) throws IOException {
    Path gitDir = dotGit;
    if (Files.isRegularFile(dotGit)) {
      String pointer = Files.readString(dotGit, StandardCharsets.UTF_8).trim();
      if (!pointer.startsWith("gitdir:")) {
        return Optional.empty();
      }
      gitDir = dotGit.getParent().resolve(pointer.substring("gitdir:".length()).trim());
    }
    // Linked work trees keep HEAD in their own dir but refs in the common one.
    Path commonDir = gitDir;
    Path commonFile = gitDir.resolve("commondir");
    if (Files.isRegularFile(commonFile)) {
      commonDir = gitDir.resolve(Files.readString(commonFile, StandardCharsets.UTF_8).trim());
    }
    String head = Files.readString(gitDir.resolve("HEAD"), StandardCharsets.UTF_8).trim();
    if (!head.startsWith("ref:")) {
      return sha(head);
    }
    String ref = head.substring("ref:".length()).trim();
    for (Path dir : new Path[] {gitDir, commonDir}) {
      Path loose = dir.resolve(ref);
      if (Files.isRegularFile(loose)) {
        return sha(Files.readString(loose, StandardCharsets.UTF_8).trim());
      }
    }
    Path packed = commonDir.resolve("packed-refs");
    if (Files.isRegularFile(packed)) {
      for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
        if (line.endsWith(" " + ref)) {
          return sha(line.substring(0, line.indexOf(' ')));
        }
      }
    }
    return Optional.empty(); // e.g. a fresh repository with no commit yet
  }

  private static Optional<String> sha(String s) {
    return SHA.matcher(s).matches() ? Optional.of(s) : Optional.empty();
  }
}
