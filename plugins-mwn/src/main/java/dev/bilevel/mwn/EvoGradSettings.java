package dev.bilevel.mwn;

import dev.bilevel.estimator.evograd.EvoGradConfig;
import dev.bilevel.experiment.OptionReader;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How this plugin runs EvoGrad: a preset ({@code mwn}, measured here, or {@code paper}, the
 * reference settings) with any of its values overridden by an option.
 *
 * @param preset the preset the unset values come from
 * @param candidates K
 * @param sigma σ of the ±σ perturbation
 * @param temperature τ
 * @param headOnly perturb only the classifier's last layer ({@link MwnProblem#HEAD}), not every weight
 * @param weightDecay Adam weight decay of V for EvoGrad; NaN means "as --meta-weight-decay"
 * @param metaLr learning rate of V for EvoGrad; NaN means "as --meta-lr"
 */
record EvoGradSettings(String preset, int candidates, double sigma, double temperature, boolean headOnly,
    double weightDecay, double metaLr) {

  /**
   * The defaults: K = 4, σ = 5e-2, τ = 0.05, every weight perturbed, and no weight decay on V. σ, τ
   * and K were selected on held-out validation data with seeds 4 and 5 (docs/mwn.md, "EvoGrad's preset
   * selected on validation data"; {@code plugins-mwn/scripts/evograd-selection.sh}) out of σ ∈ {1e-2,
   * 3e-2, 5e-2}, τ ∈ {0.05, 0.5}, K ∈ {4, 8}; the preset before that, σ = 3e-2 with the same K and τ
   * ({@code --evograd-sigma 3e-2}), had been picked on one run to stop a divergence (docs/mwn-log.md,
   * "EvoGrad without noise"). On average EvoGrad's estimate is one-step's
   * hypergradient with a virtual step of {@link #effectiveStep} α_e = σ²(K−1)/(Kτ) instead of the
   * classifier's lr (tested in EvoGradEffectiveStepTest). With the paper's σ = 1e-3, α_e = 1.5e-5:
   * (1) Adam's coupled weight decay of 1e-4, harmless for one-step, dominates the estimate and pulls V
   * to the constant sigmoid(0) = 0.5; (2) without that decay, on clean data V became increasing in
   * the loss and sank into the sigmoid's tail, the normalised weights moved onto the high-loss samples
   * and training diverged to NaN — and one-step with the same virtual step of 1.5e-5 does the same,
   * while one-step with the classifier's step 0.1 does not. σ = 5e-2 gives α_e = 3.75e-2 (σ = 3e-2:
   * 1.35e-2), within a decade of the classifier's lr 0.1.
   */
  static EvoGradSettings mwn() {
    return new EvoGradSettings("mwn", 4, 5e-2, 0.05, false, 0, Double.NaN);
  }

  /** α_e = σ²(K−1)/(Kτ): the virtual step of the one-step hypergradient EvoGrad estimates on average. */
  static double effectiveStep(int candidates, double sigma, double temperature) {
    return sigma * sigma * (candidates - 1) / (candidates * temperature);
  }

  /** K = 2, σ = 1e-3, τ = 0.05, every weight perturbed, V's weight decay as for the other methods. */
  static EvoGradSettings paper() {
    return new EvoGradSettings("paper", 2, 1e-3, 0.05, false, Double.NaN, Double.NaN);
  }

  /** The preset and its overrides as {@code r} reads them (problems go to {@code r}); null on a problem. */
  static EvoGradSettings read(OptionReader r) {
    Map<String, EvoGradSettings> presets = new LinkedHashMap<>();
    presets.put("mwn", mwn());
    presets.put("paper", paper());
    EvoGradSettings s = r.choice("evograd", presets);
    int k = r.isSet("evograd-candidates", "preset") ? r.integer("evograd-candidates", 2) : s.candidates;
    double sigma = r.isSet("evograd-sigma", "preset") ? r.positive("evograd-sigma") : s.sigma;
    double tau = r.isSet("evograd-temperature", "preset") ? r.positive("evograd-temperature")
        : s.temperature;
    boolean head = s.headOnly;
    if (r.isSet("evograd-perturb", "preset")) {
      Map<String, Boolean> groups = new LinkedHashMap<>();
      groups.put("head", true);
      groups.put("all", false);
      head = r.choice("evograd-perturb", groups);
    }
    double wd = r.isSet("evograd-meta-weight-decay", "preset") ? r.nonNegative("evograd-meta-weight-decay")
        : s.weightDecay;
    double lr = r.isSet("evograd-meta-lr", "preset") ? r.positive("evograd-meta-lr") : s.metaLr;
    if (!r.problems().isEmpty()) {
      return null;
    }
    return new EvoGradSettings(s.preset, k, sigma, tau, head, wd, lr);
  }

  EvoGradConfig config() {
    EvoGradConfig c = EvoGradConfig.defaults().candidates(candidates).sigma(sigma).temperature(temperature);
    return headOnly ? c.perturb(MwnProblem.HEAD) : c;
  }

  double metaWeightDecay(double otherMethods) {
    return Double.isNaN(weightDecay) ? otherMethods : weightDecay;
  }

  double metaLr(double otherMethods) {
    return Double.isNaN(metaLr) ? otherMethods : metaLr;
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("preset", preset);
    m.put("candidates", candidates);
    m.put("sigma", sigma);
    m.put("temperature", temperature);
    m.put("perturb", headOnly ? "head" : "all");
    m.put("metaWeightDecay", Double.isNaN(weightDecay) ? "as meta-weight-decay" : weightDecay);
    if (!Double.isNaN(metaLr)) { // absent when as --meta-lr, so that folders made before the option still resume
      m.put("metaLr", metaLr);
    }
    m.put("effectiveStep", effectiveStep(candidates, sigma, temperature));
    return m;
  }
}
