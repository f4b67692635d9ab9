package dev.bilevel.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's side of the PyTorch peer's protocol, against stand-in scripts (no torch needed). */
@DisplayName("TorchPeer")
class TorchPeerTest {
  @TempDir
  Path dir;

  @BeforeAll
  static void needsPython() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3");
  }

  private Path script(String body) throws IOException {
    Path p = dir.resolve("peer.py");
    Files.writeString(p, "import sys, json\n" + body);
    return p;
  }

  @Test
  @DisplayName("returns the milliseconds of the steps the peer timed, block after block")
  void returnsTheTimesOfEachBlock() throws IOException {
    // Echoes n, n+1, ... so that each answer depends on the request.
    Path p = script("""
        print("READY " + json.dumps({"torch": "stand-in"}), flush=True)
        for line in sys.stdin:
            f = line.split()
            if f[0] == "QUIT":
                break
            n = int(f[2])
            print("TIMES %s %s" % (f[1], ",".join(str(n + i) for i in range(n))), flush=True)
        """);

    try (TorchPeer peer = TorchPeer.start(p, true)) {
      assertThat(peer).isNotNull();
      assertThat(peer.info().get("torch").asText()).isEqualTo("stand-in");
      assertThat(peer.run("mlp", 3)).containsExactly(3, 4, 5);
      assertThat(peer.run("cnn_cl", 2)).containsExactly(2, 3);
    }
  }

  @Test
  @DisplayName("an answer for another model is an error that quotes it")
  void rejectsAnAnswerForAnotherModel() throws IOException {
    Path p = script("""
        print("READY {}", flush=True)
        for line in sys.stdin:
            if line.startswith("QUIT"):
                break
            print("TIMES cnn 1.0", flush=True)
        """);

    try (TorchPeer peer = TorchPeer.start(p, true)) {
      assertThatThrownBy(() -> peer.run("mlp", 1))
          .isInstanceOf(IOException.class)
          .hasMessage("the PyTorch peer answered TIMES cnn 1.0 to RUN mlp 1");
    }
  }

  @Test
  @DisplayName("a peer that fails to start: no peer, and the column quotes its last error line")
  void aFailedStartIsExplained() throws IOException {
    Path p = script("print('starting', file=sys.stderr)\nraise SystemExit('no models for you')\n");

    assertThat(startQuietly(p))
        .isEqualTo("torch column: n/a (the peer ended: no models for you)");
  }

  @Test
  @DisplayName("no torch: no peer, and the column says why")
  void withoutTorchThereIsNoPeer() throws IOException {
    // The reference script's exit status when torch cannot be imported.
    Path p = script("sys.exit(3)\n");

    assertThat(startQuietly(p)).isEqualTo("torch column: n/a (torch not importable)");
  }

  /** Starts a peer that must fail to start; what the harness printed about it. */
  private static String startQuietly(Path script) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    TorchPeer peer;
    try {
      peer = TorchPeer.start(script, true);
    } finally {
      System.setOut(stdout);
    }
    assertThat(peer).isNull();
    return printed.toString(StandardCharsets.UTF_8).strip();
  }
}
