package dev.bilevel.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("OptionReader collects every bad option, each named with its requirement and value")
class OptionReaderTest {

  private static OptionReader reader(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return new OptionReader(m);
  }

  @Test
  void goodValuesAreReadAndLeaveNoProblem() {
    OptionReader r = reader("epochs", " 40 ", "rate", "0.4", "lr", "1e-3", "wd", "0", "opt", "SGD",
        "step", "lr");

    assertThat(r.integer("epochs", 1)).isEqualTo(40);
    assertThat(r.number("rate", x -> x <= 1, "of at most 1")).isEqualTo(0.4);
    assertThat(r.positive("lr")).isEqualTo(1e-3);
    assertThat(r.nonNegative("wd")).isZero();
    assertThat(r.choice("opt", Map.of("adam", false, "sgd", true))).isTrue();
    assertThat(r.isSet("step", "lr")).isFalse();
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void everyBadValueIsAProblemInTheOrderRead() {
    OptionReader r = reader("epochs", "0", "batch", "ten", "rate", "NaN", "lr", "-1", "wd", "-0.1",
        "opt", "rmsprop", "noise", "gauss");
    Map<String, Boolean> opts = new LinkedHashMap<>();
    opts.put("adam", false);
    opts.put("sgd", true);

    r.integer("epochs", 1);
    r.integer("batch", 1);
    r.number("rate", x -> x >= 0 && x <= 1, "from 0 to 1");
    r.positive("lr");
    r.nonNegative("wd");
    r.choice("opt", opts);
    r.parsed("noise", s -> {
      throw new IllegalArgumentException("unknown noise type '" + s + "'");
    }, null);
    r.require(false, "--a and --b cannot both be given");

    assertThat(r.problems()).containsExactly(
        "--epochs must be a whole number of at least 1, got '0'",
        "--batch must be a whole number of at least 1, got 'ten'",
        "--rate must be a number from 0 to 1, got 'NaN'",
        "--lr must be a number above 0, got '-1'",
        "--wd must be a number of at least 0, got '-0.1'",
        "--opt must be adam or sgd, got 'rmsprop'",
        "--noise: unknown noise type 'gauss'",
        "--a and --b cannot both be given");
  }

  @Test
  void problemsAreThrownNumberedUnderOneHeading() {
    OptionReader.throwIfAny("mwn", List.of()); // nothing to throw

    assertThatThrownBy(() -> OptionReader.throwIfAny("mwn", List.of("one")))
        .hasMessage("The options and methods of 'mwn' have 1 problem:\n  1) one\nSee: bilevel run mwn"
            + " --help");
    assertThatThrownBy(() -> OptionReader.throwIfAny("mwn", List.of("one", "two")))
        .hasMessageStartingWith("The options and methods of 'mwn' have 2 problems:\n  1) one\n  2) two");
  }

  @Test
  void anOptionTheExperimentDoesNotHaveIsAProgrammingError() {
    assertThatThrownBy(() -> reader("rate", "1").string("epochs"))
        .hasMessage("no option 'epochs'; options are [rate]");
  }
}
