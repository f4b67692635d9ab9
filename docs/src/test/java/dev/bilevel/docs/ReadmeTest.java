package dev.bilevel.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's Java quick start is the code QuickStartTest runs. */
class ReadmeTest {

  private static String dedent(String block) {
    var lines = block.lines().toList();
    int indent = lines.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent))
        .collect(Collectors.joining("\n"));
  }

  @Test
  void readmeQuickStartIsTheTestedCode() throws IOException {
    String source = Files.readString(Path.of("src/test/java/dev/bilevel/docs/QuickStart.java"));
    String snippet = source.substring(source.indexOf("// README-START") + "// README-START".length(),
        source.indexOf("// README-END"));
    String readme = Files.readString(Path.of("../README.md"));

    String block = readme.substring(readme.indexOf("```java") + "```java".length());
    block = block.substring(0, block.indexOf("```"));

    assertThat(dedent(block).strip()).isEqualTo(dedent(snippet).strip());
    assertThat(Arrays.stream(block.strip().split("\n")).count()).isBetween(15L, 30L);
  }
}
