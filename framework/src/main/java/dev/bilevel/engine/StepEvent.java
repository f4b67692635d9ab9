package dev.bilevel.engine;

import java.util.Map;

/**
 * What happened in one training step.
 *
 * @param step 0-based step counter
 * @param epoch current epoch, as set by the loop
 * @param innerLoss L_in at the step's batch before the inner update
 * @param metaUpdated whether a meta-update ran in this step
 * @param hypergradientNorm ‖dL_out/dλ‖ of the meta-update, NaN if none ran
 * @param innerNanos time of the inner update
 * @param metaNanos time of the meta-update (estimator plus outer optimizer), 0 if none ran
 * @param estimator the estimator's name
 * @param diagnostics the estimator's diagnostics (e.g. outerLoss), empty if no meta-update ran
 */
public record StepEvent(long step, int epoch, double innerLoss, boolean metaUpdated,
    double hypergradientNorm, long innerNanos, long metaNanos, String estimator,
    Map<String, Double> diagnostics) {

  public StepEvent {
    diagnostics = Map.copyOf(diagnostics);
  }
}
