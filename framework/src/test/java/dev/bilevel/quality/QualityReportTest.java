package dev.bilevel.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bilevel.data.Batch;
import dev.bilevel.dsl.Bilevel;
import dev.bilevel.dsl.BilevelProblem;
import dev.bilevel.dsl.Init;
import dev.bilevel.engine.RunState;
import dev.bilevel.estimator.HypergradientEstimator;
import dev.bilevel.estimator.TrajectoryNeeds;
import dev.bilevel.estimator.drmad.DrMad;
import dev.bilevel.estimator.drmad.DrMadConfig;
import dev.bilevel.estimator.finitedifference.FiniteDifference;
import dev.bilevel.estimator.finitedifference.FiniteDifferenceConfig;
import dev.bilevel.estimator.firstorder.FirstOrder;
import dev.bilevel.estimator.forward.Forward;
import dev.bilevel.estimator.forward.ForwardConfig;
import dev.bilevel.estimator.reverse.Reverse;
import dev.bilevel.estimator.reverse.ReverseConfig;
import dev.bilevel.optim.Adam;
import dev.bilevel.optim.Sgd;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class QualityReportTest {
  private static final int D = 4;
  private static final int T = 4;

  private static QualityReport report(List<HypergradientEstimator> estimators, boolean memory) {
    QualityProblems.Case c = QualityProblems.ridge(D, 8, 5, T, 3);
    return QualityReport.run(c.problem(), c.state(), c.window(), estimators,
        QualityReport.Options.defaults().measureMemory(memory));
  }

  @Test
  void measuresEveryEstimatorAgainstReverseMode() {
    QualityReport r = report(List.of(new Reverse(ReverseConfig.defaults()),
        new Forward(ForwardConfig.defaults()), new FiniteDifference(FiniteDifferenceConfig.defaults()),
        new DrMad(DrMadConfig.defaults()), new FirstOrder()), false);

    assertThat(r.steps()).isEqualTo(T);
    assertThat(r.reference().norm()).isGreaterThan(1e-6);
    var reverse = r.row("reverse");
    assertThat(reverse.cosine()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(reverse.relativeError()).isLessThan(1e-12);
    assertThat(r.row("forward").relativeError()).isLessThan(1e-7);
    assertThat(r.row("finite-difference").relativeError()).isLessThan(1e-6);
    assertThat(r.row("drmad").cosine()).isBetween(-1.0, 1.0);
    // λ reaches L_out only through θ: the first-order estimate is zero.
    assertThat(r.row("first-order").norm()).isZero();
    assertThat(r.row("first-order").cosine()).isNaN();
    assertThat(r.row("first-order").relativeError()).isEqualTo(1.0);
  }

  @Test
  void countsEvaluationsAsTheEstimatorsDocumentTheirCost() {
    QualityReport r = report(List.of(new Reverse(ReverseConfig.defaults()),
        new Forward(ForwardConfig.defaults()), new FiniteDifference(FiniteDifferenceConfig.defaults())),
        false);
    // Reverse: one outer gradient, then one central difference (two gradients) per step.
    assertThat(r.row("reverse").gradientEvaluations()).isEqualTo(1 + 2L * T);
    assertThat(r.row("reverse").evaluations()).isEqualTo(1 + 2L * T);
    // Forward: a replay (one gradient per step), per step and λ coordinate two gradients for
    // M·e_j and two for H·Z (none at the first step, where Z = 0), and one outer gradient.
    assertThat(r.row("forward").gradientEvaluations()).isEqualTo(T + 4L * T * D - 2L * D + 1);
    // Finite differences: two replays of T gradients and two outer values per λ coordinate.
    assertThat(r.row("finite-difference").gradientEvaluations()).isEqualTo(2L * D * T);
    assertThat(r.row("finite-difference").evaluations()).isEqualTo(2L * D * (T + 1));
  }

  @Test
  void windowBytesFollowWhatEachEstimatorAsksTheEngineToKeep() {
    QualityReport r = report(List.of(new Reverse(ReverseConfig.defaults()),
        new DrMad(DrMadConfig.defaults()), new FirstOrder()), true);
    // FULL: θ_0, θ_T and the T recorded θ_{t−1}; plain SGD has no optimizer state.
    assertThat(r.row("reverse").windowBytes()).isEqualTo((T + 2L) * D * Double.BYTES);
    assertThat(r.row("reverse").needs()).isEqualTo(TrajectoryNeeds.FULL);
    assertThat(r.row("drmad").windowBytes()).isEqualTo(2L * D * Double.BYTES);
    assertThat(r.row("first-order").windowBytes()).isZero();
    assertThat(r.rows()).allSatisfy(row -> assertThat(row.peakWorkingBytes()).isNotNegative());
  }

  @Test
  void anEstimatorThatRefusesGetsARowSayingWhy() {
    QualityReport r = report(List.of(new Forward(ForwardConfig.defaults().maxLambdaDimension(2))),
        false);
    var row = r.row("forward");
    assertThat(row.status()).isEqualTo(QualityReport.Status.REFUSED);
    assertThat(row.message()).isEqualTo("The forward estimator carries one θ-sized tangent per λ"
        + " coordinate, and this problem has 4 λ coordinates, more than the configured maximum of"
        + " 2. Use reverse or drmad, or raise the limit with ForwardConfig.maxLambdaDimension(n).");
    assertThat(r.toMarkdown()).contains("| forward | endpoints | – | – | – | – | – | 64 B | – |"
        + " refused: The forward estimator carries");
  }

  @Test
  void rendersMarkdownAndCsv() {
    QualityReport r = report(List.of(new Reverse(ReverseConfig.defaults()), new FirstOrder()), false);
    String md = r.toMarkdown();
    assertThat(md).contains("dim θ = 4, dim λ = 4, inner optimizer sgd, T = 4 inner steps")
        .contains("| estimator | keeps | cosine | rel. error | grad evals | evals | wall ms | window"
            + " | peak working | notes |")
        .contains("| reverse | every θ_t | 1.000000 | 0.00e+00 | 9 | 9 |");
    String[] lines = r.toCsv().split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0]).isEqualTo("problem,steps,estimator,status,keeps,cosine,relative_error,norm,"
        + "gradient_evaluations,evaluations,wall_ms,window_bytes,peak_working_bytes,notes");
    assertThat(lines[1]).startsWith("ridge,4,reverse,OK,FULL,1.000000000,0.000000e+00,");
    assertThat(lines[2]).startsWith("ridge,4,first-order,OK,NONE,NaN,1.000000e+00,0.000000e+00,0,1,");
  }

  @Test
  void refusesAFloatProblemAndAnOptimizerReverseModeCannotUnroll() {
    RunState state = new RunState(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.zeros(DataType.FLOAT, 1),
        null, null, 0, 0);
    Batch b = Batch.of(Map.of("x", Nd4j.zeros(DataType.FLOAT, 3, 2)));
    var window = new QualityReport.Window(List.of(b), b);
    assertThatThrownBy(() -> QualityReport.run(tiny(DataType.FLOAT, Sgd.of(0.1)), state, window,
        List.of()))
        .hasMessage("The quality report compares against exact reverse mode in FP64, but problem"
            + " 'tiny' is FLOAT. Build it with .dtype(DataType.DOUBLE).");
    assertThatThrownBy(() -> QualityReport.run(tiny(DataType.DOUBLE, Adam.of(0.1)), state, window,
        List.of()))
        .hasMessage("The quality report's reference, reverse mode, cannot differentiate through the"
            + " inner optimizer Adam of problem 'tiny'. Give the problem an Sgd inner optimizer, with"
            + " or without momentum.");
    assertThatThrownBy(() -> new QualityReport.Window(List.of(), b))
        .hasMessage("the quality report needs at least one inner step in the window");
  }

  private static BilevelProblem tiny(DataType dtype, dev.bilevel.optim.OptimizerSpec inner) {
    return Bilevel.problem("tiny")
        .dtype(dtype)
        .input("x", -1, 2)
        .innerParams("w", p -> p.param("w", Init.zeros(), 2, 1))
        .metaParams("l", p -> p.param("l", Init.zeros(), 1))
        .innerObjective(f -> f.input("x").mmul(f.inner("w").param("w")).sum()
            .add(f.meta("l").param("l").sum()))
        .outerObjective(f -> f.input("x").mmul(f.inner("w").param("w")).sum())
        .innerOptimizer(inner)
        .outerOptimizer(Sgd.of(0.1))
        .build();
  }
}
