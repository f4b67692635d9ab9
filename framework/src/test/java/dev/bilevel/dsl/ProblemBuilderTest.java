package dev.bilevel.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ProblemBuilder.build()")
class ProblemBuilderTest {

  @Test
  @DisplayName("reports every problem of a broken specification at once, each naming the fix")
  void reportsEveryProblemAtOnce() {
    ProblemBuilder b = Bilevel.problem("broken")
        .input("x", -1, 100)
        .input("y", -1, 10)
        .input("x", -1, 3)
        .inner("classifier", net -> net.dense(784, 256).relu().dense(256, 10))
        .meta("classifier", net -> net.dense(1, 1))
        .metaUpdateEvery(0)
        .innerObjective(f -> f.meanCrossEntropy(f.inner("classifier").apply(f.input("x")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("clasifier").apply(f.input("image")), f.input("y")));

    assertThatThrownBy(b::build)
        .isInstanceOf(BilevelSpecException.class)
        .satisfies(e -> assertThat(((BilevelSpecException) e).problems()).containsExactly(
            "metaUpdateEvery(0): the interval must be at least 1",
            "input 'x' is declared twice; give each input a distinct name",
            "group 'classifier' is declared both inner and meta; a parameter belongs to θ or to λ,"
                + " not both: rename one of them",
            "no inner optimizer; add e.g. .innerOptimizer(Sgd.of(0.1))",
            "no outer optimizer; add e.g. .outerOptimizer(Adam.of(1e-3))",
            "inner objective: group 'classifier', block 0 dense(784→256): dense(784→256) expects"
                + " input features = 784 but the input has shape [-1, 100]; change the block's size"
                + " or the layer before it",
            "outer objective: unknown inner group 'clasifier'; inner groups are [classifier]"))
        .hasMessageStartingWith("Bilevel problem 'broken' has 7 problems:\n  1) metaUpdateEvery(0)");
  }

  @Test
  void reportsMissingPartsOfAnEmptySpecification() {
    assertThatThrownBy(() -> Bilevel.problem("empty").build())
        .isInstanceOf(BilevelSpecException.class)
        .satisfies(e -> assertThat(((BilevelSpecException) e).problems()).containsExactly(
            "no inner parameters; declare the model with .inner(name, net -> ...) or"
                + " .innerParams(name, p -> ...)",
            "no meta-parameters; declare λ with .meta(name, net -> ...) or .metaParams(name, p -> ...)",
            "no inner objective; add .innerObjective(f -> ...) returning L_in(θ, λ)",
            "no outer objective; add .outerObjective(f -> ...) returning L_out(θ, λ)",
            "no inner optimizer; add e.g. .innerOptimizer(Sgd.of(0.1))",
            "no outer optimizer; add e.g. .outerOptimizer(Adam.of(1e-3))"));
  }

  @Test
  @DisplayName("rejects an outer objective that no meta-parameter can reach, saying which estimators return zero")
  void rejectsAnUnreachableOuterObjective() {
    ProblemBuilder b = Bilevel.problem("unreachable")
        .input("x", -1, 4).input("y", -1, 2)
        .inner("net", n -> n.dense(4, 2))
        .metaParams("unused", p -> p.param("lambda", Init.zeros(), 1))
        .innerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .outerObjective(f -> f.meanCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(1e-3));

    assertThatThrownBy(b::build).isInstanceOf(BilevelSpecException.class)
        .satisfies(e -> assertThat(((BilevelSpecException) e).problems()).containsExactly(
            "outer objective: no meta-parameter can reach it, neither directly nor through θ"
                + " (λ must appear in the inner objective, and θ in the outer one, or λ in the outer"
                + " one); every estimator (first-order, one-step, evograd, ...) would return zero"));
  }

  @Test
  void rejectsAMetaGroupUsedAsInner() {
    ProblemBuilder b = Bilevel.problem("misuse")
        .input("x", -1, 4).input("y", -1, 2)
        .inner("net", n -> n.dense(4, 2))
        .meta("weights", n -> n.dense(1, 1).sigmoid())
        .innerObjective(f -> f.perSampleCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .outerObjective(f -> f.inner("weights").params().get(0).sum())
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(1e-3));

    assertThatThrownBy(b::build).isInstanceOf(BilevelSpecException.class)
        .satisfies(e -> assertThat(((BilevelSpecException) e).problems()).containsExactly(
            "outer objective: 'weights' is a meta group; use f.meta(\"weights\")"));
  }

  @Test
  void rejectsANonScalarObjective() {
    ProblemBuilder b = Bilevel.problem("vector")
        .input("x", -1, 4).input("y", -1, 2)
        .inner("net", n -> n.dense(4, 2))
        .meta("weights", n -> n.dense(1, 1).sigmoid())
        .innerObjective(f -> f.weightedMean(
            f.perSampleCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")),
            f.meta("weights").apply(f.input("x").sum(1).reshape(-1, 1))))
        .outerObjective(f -> f.perSampleCrossEntropy(f.inner("net").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1)).outerOptimizer(Adam.of(1e-3));

    assertThatThrownBy(b::build).isInstanceOf(BilevelSpecException.class)
        .satisfies(e -> assertThat(((BilevelSpecException) e).problems()).containsExactly(
            "outer objective: returns a value of shape [2] on a batch of 2; return a scalar, e.g."
                + " per-sample losses .mean()"));
  }

  @Test
  void buildsAValidProblemAndDescribesIt() {
    BilevelProblem p = Bilevel.problem("mwn")
        .input("x", -1, 784).input("y", -1, 10)
        .inner("classifier", n -> n.dense(784, 32).relu().dense(32, 10))
        .meta("weighting", n -> n.dense(1, 100).relu().dense(100, 1).sigmoid())
        .innerObjective(f -> {
          var losses = f.perSampleCrossEntropy(f.inner("classifier").apply(f.input("x")), f.input("y"));
          var w = f.meta("weighting").apply(f.stopGradient(losses).reshape(-1, 1));
          f.expose("losses", losses);
          return f.weightedMean(losses, w);
        })
        .outerObjective(f -> f.meanCrossEntropy(f.inner("classifier").apply(f.input("x")), f.input("y")))
        .innerOptimizer(Sgd.of(0.1).momentum(0.9).weightDecay(5e-4))
        .outerOptimizer(Adam.of(1e-3))
        .build();

    assertThat(p.groups(Role.INNER)).extracting(GroupSpec::length).containsExactly(784L * 32 + 32 + 32 * 10 + 10);
    assertThat(p.groups(Role.META)).extracting(GroupSpec::length).containsExactly(100L + 100 + 100 + 1);
    assertThat(p.warnings()).containsExactly("λ reaches the outer objective only through θ: first-order returns zero");
    assertThat(p.describe()).containsEntry("order", "META_FIRST").containsEntry("metaUpdateEvery", 1);
  }
}
