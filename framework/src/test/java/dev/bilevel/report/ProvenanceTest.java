package dev.bilevel.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvenanceTest {

  private static final String SHA = "0123456789abcdef0123456789abcdef01234567";
  private static final Instant START = Instant.parse("2024-05-01T12:30:15.123Z");

  @TempDir Path tmp;

  private static Map<String, Object> configuration() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("lr", 1e-3);
    inner.put("steps", 5);
    inner.put("schedule", List.of(10, 20, 30));
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("dataset", "cifar10");
    c.put("noiseRate", 0.4);
    c.put("epochs", 100);
    c.put("bigStep", 10_000_000_000L);
    c.put("nesterov", true);
    c.put("meta", inner);
    c.put("tags", List.of("a", Map.of("k", "v")));
    c.put("clip", null);
    return c;
  }

  private static Provenance.Builder full() {
    Map<String, String> backend = new LinkedHashMap<>();
    backend.put("nd4j.nativeBuild", "linux-x86_64-onednn-avx2");
    backend.put("omp.threads", "2");
    return Provenance.builder("mwn-cifar10-noise40")
        .configuration(configuration())
        .startTime(START)
        .seed("data", 42)
        .seed("init", -7)
        .backend(backend)
        .dataChecksum("cifar10/train", "sha256:ab12")
        .dataChecksum("cifar10/test", "sha256:cd34")
        .gitCommit(SHA)
        .version("plugin-mwn", "0.1.0");
  }

  @Test
  void writeThenReadGivesAnEqualRecord() throws IOException {
    Provenance p = full().build();
    Path file = tmp.resolve("provenance.json");

    p.writeTo(file);
    Provenance back = Provenance.readFrom(file);

    assertThat(back).isEqualTo(p);
    assertThat(back.toJson()).isEqualTo(Files.readString(file));
    assertThat(Files.readString(file))
        .startsWith("{\n  \"experiment\" : \"mwn-cifar10-noise40\",\n"
            + "  \"startTime\" : \"2024-05-01T12:30:15.123Z\",\n"
            + "  \"gitCommit\" : \"" + SHA + "\",\n")
        .contains("\"seeds\" : {\n    \"data\" : 42,\n    \"init\" : -7\n  }")
        .endsWith("}\n");
  }

  @Test
  void configurationIsHeldInItsJsonForm() {
    Provenance p = full().build();

    Map<String, Object> c = p.configuration();
    assertThat(c.keySet()).containsExactly(
        "dataset", "noiseRate", "epochs", "bigStep", "nesterov", "meta", "tags", "clip");
    assertThat(c).containsEntry("epochs", 100L).containsEntry("bigStep", 10_000_000_000L)
        .containsEntry("noiseRate", 0.4).containsEntry("clip", null);
    assertThat(c.get("meta")).isEqualTo(Map.of("lr", 1e-3, "steps", 5L,
        "schedule", List.of(10L, 20L, 30L)));
    assertThatThrownBy(() -> c.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    Map<String, Object> meta = (Map<String, Object>) c.get("meta");
    assertThatThrownBy(() -> meta.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void laterChangesToTheInputsDoNotLeakIn() {
    Map<String, Object> config = configuration();
    Provenance p = Provenance.builder("e").configuration(config).startTime(START).build();
    config.put("epochs", 1);

    assertThat(p.configuration()).containsEntry("epochs", 100L);
  }

  @Test
  void versionsAreDetectedAndCanBeExtended() {
    Provenance p = full().build();

    assertThat(p.versions()).containsKeys("bilevel", "java", "os")
        .containsEntry("nd4j", "1.0.0-M2.1")
        .containsEntry("plugin-mwn", "0.1.0");
    assertThat(p.versions().get("java")).startsWith(Runtime.version().toString());
  }

  @Test
  void withoutGitCommitTheFieldIsOmittedAndReadsBackEmpty() throws IOException {
    Provenance p = Provenance.builder("e").configuration(Map.of()).startTime(START)
        .gitCommitOf(tmp).build();
    Path file = tmp.resolve("p.json");
    p.writeTo(file);

    assertThat(p.gitCommit()).isEmpty();
    assertThat(Files.readString(file)).doesNotContain("gitCommit");
    assertThat(Provenance.readFrom(file)).isEqualTo(p);
  }

  @Test
  void buildNamesEveryMissingPart() {
    assertThatThrownBy(() -> Provenance.builder("mwn").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Provenance of 'mwn' is missing configuration and startTime");
  }

  @Test
  void settersRefuseToBeCalledTwice() {
    Provenance.Builder b = Provenance.builder("e").seed("data", 1).configuration(Map.of());

    assertThatThrownBy(() -> b.seed("data", 2)).hasMessage("seed 'data' was already set to 1");
    assertThatThrownBy(() -> b.configuration(Map.of()))
        .hasMessage("configuration was already set");
    b.gitCommit(SHA);
    assertThatThrownBy(() -> b.gitCommitOf(tmp)).hasMessage("gitCommit was already set");
  }

  @Test
  void configurationThatIsNotJsonFailsAtBuildTime() {
    Provenance.Builder b = Provenance.builder("e").startTime(START)
        .configuration(Map.of("model", new Object()));

    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("The configuration cannot be written as JSON:");
  }

  @Test
  void readingAFileWithAMissingFieldNamesTheField() throws IOException {
    Path file = tmp.resolve("p.json");
    Files.writeString(file, "{\"experiment\":\"e\",\"startTime\":\"2024-05-01T12:30:15Z\"}");

    assertThatThrownBy(() -> Provenance.readFrom(file))
        .isInstanceOf(IOException.class)
        .hasMessage("Invalid provenance file " + file + ": field 'configuration' should be a"
            + " Map but is missing");
  }

  @Test
  void findsCommitOfBranchInLooseRef() throws IOException {
    Path repo = fakeRepo("ref: refs/heads/main\n");
    Files.createDirectories(repo.resolve(".git/refs/heads"));
    Files.writeString(repo.resolve(".git/refs/heads/main"), SHA + "\n");
    Path sub = Files.createDirectories(repo.resolve("framework/src"));

    assertThat(GitHead.find(sub)).contains(SHA);
    assertThat(Provenance.builder("e").configuration(Map.of()).startTime(START)
        .gitCommitOf(sub).build().gitCommit()).contains(SHA);
  }

  @Test
  void findsCommitOfBranchInPackedRefs() throws IOException {
    Path repo = fakeRepo("ref: refs/heads/main\n");
    Files.writeString(repo.resolve(".git/packed-refs"), "# pack-refs with: peeled\n"
        + "1111111111111111111111111111111111111111 refs/heads/other\n"
        + SHA + " refs/heads/main\n");

    assertThat(GitHead.find(repo)).contains(SHA);
  }

  @Test
  void findsDetachedHeadAndLinkedWorkTree() throws IOException {
    Path repo = fakeRepo(SHA + "\n");
    assertThat(GitHead.find(repo)).contains(SHA);

    Path main = fakeRepo("ref: refs/heads/main\n");
    Files.createDirectories(main.resolve(".git/refs/heads"));
    Files.writeString(main.resolve(".git/refs/heads/feature"), SHA + "\n");
    Path wtGit = Files.createDirectories(main.resolve(".git/worktrees/wt"));
    Files.writeString(wtGit.resolve("HEAD"), "ref: refs/heads/feature\n");
    Files.writeString(wtGit.resolve("commondir"), "../..\n");
    Path wt = Files.createDirectories(tmp.resolve("wt"));
    Files.writeString(wt.resolve(".git"), "gitdir: " + wtGit + "\n");

    assertThat(GitHead.find(wt)).contains(SHA);
  }

  @Test
  void noRepositoryOrUnbornBranchGivesNoCommit() throws IOException {
    Path plain = Files.createDirectories(tmp.resolve("plain"));
    Path unborn = fakeRepo("ref: refs/heads/main\n");

    // tmp may itself lie inside some repository; only assert on the fake ones.
    assertThat(GitHead.find(unborn)).isEqualTo(Optional.empty());
    assertThat(GitHead.find(plain)).isEqualTo(GitHead.find(tmp));
  }

  private Path fakeRepo(String head) throws IOException {
    Path repo = Files.createTempDirectory(tmp, "repo");
    Files.createDirectories(repo.resolve(".git"));
    Files.writeString(repo.resolve(".git/HEAD"), head);
    return repo;
  }
}
