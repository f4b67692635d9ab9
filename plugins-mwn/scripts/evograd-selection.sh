#!/usr/bin/env bash
# Selection of EvoGrad's hyperparameters on held-out validation data (docs/mwn.md, "EvoGrad's preset
# selected on validation data"). Seeds 4 and 5 only (the long comparisons use 1-3), 50 clean validation
# images per class taken out of the training pool, EvoGrad alone, scored by the final-epoch validation
# accuracy (balanced validation accuracy at imbalance 100) averaged over the two seeds. Test accuracy is
# logged by the runs but not read here. One folder per (setting, config, seed): $OUT/<setting>/<config>/s<seed>;
# a folder that exists is resumed (a finished one only has its report rewritten).
#   bash plugins-mwn/scripts/evograd-selection.sh OUT a                 # stage A: unif40, sigma x tau x K
#   bash plugins-mwn/scripts/evograd-selection.sh OUT b SIGMA TAU K     # stage B: lt100, current preset and
#                                                                       # stage A's winner, V's SGD lr 1e-5 or matched
#   bash plugins-mwn/scripts/evograd-selection.sh OUT plain             # plain on both settings (information only)
#   bash plugins-mwn/scripts/evograd-selection.sh OUT summary           # the table of every finished folder
#
# The selection rule, fixed before any of these runs (2026-11-22, committed 14:42 UTC):
#  1. Stage A, 40% uniform noise: the 12 configs sigma in {1e-2, 3e-2, 5e-2} x tau in {0.05, 0.5} x K in {4, 8}
#     (every weight perturbed, no weight decay on V, V's Adam lr 1e-3 as the other methods; the current
#     preset is sigma 3e-2, tau 0.05, K 4). Winner W = the highest mean final val_acc over seeds 4 and 5.
#  2. Stage B, imbalance 100 (V: SGD, Nesterov 0.9, weight decay 5e-4): the current preset and W, each with
#     V's lr 1e-5 (the reference's, as the other methods) and with 1e-5 x 0.1 / alpha_e (EvoGrad's expected
#     meta-step then equals one-step's at the classifier's initial lr 0.1). Score: mean final
#     val_balanced_acc over seeds 4 and 5.
#  3. One (sigma, tau, K) for every setting: W's, unless at imbalance 100 the best stage-B config with other
#     values beats the best stage-B config with W's values by more than 0.5 points; then imbalance 100 alone
#     takes that config's values. EvoGrad's V lr at imbalance 100 is that of the best stage-B config with
#     the chosen values (V's optimiser is already specific to that setting, as in the reference); in the
#     Adam settings V's lr stays 1e-3 (Adam's step does not scale with the gradient's size).
#  4. Exact ties (to the 0.01 point shown) go to the current preset, then the smaller K, then the smaller
#     alpha_e. Test accuracy plays no part.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:?OUT}"
STAGE="${2:?stage: a, b, plain or summary}"
read -r -a SEED_LIST <<< "${SEEDS:-4 5}"
VAL="${VAL_PER_CLASS:-50}"
UNIF40=(--noise unif --rate 0.4)
LT100=(--noise unif --rate 0 --imbalance 100 --per-class 500 --meta-optimizer sgd --meta-lr 1e-5 --meta-weight-decay 5e-4)

run() { # setting config method options...
  local setting=$1 config=$2 method=$3
  shift 3
  local opts
  [[ $setting == unif40 ]] && opts=("${UNIF40[@]}") || opts=("${LT100[@]}")
  for seed in "${SEED_LIST[@]}"; do
    local dir="$OUT/$setting/$config/s$seed" resume=()
    [[ -f "$dir/provenance.json" ]] && resume=(--resume)
    echo "== $setting $config seed $seed: ${opts[*]} --estimator $method $* --val-per-class $VAL"
    local start
    start=$(date +%s)
    "$ROOT/bilevel" run mwn "${opts[@]}" --estimator "$method" "$@" --val-per-class "$VAL" --seeds "$seed" \
      --out "$dir" "${resume[@]}" --no-progress | grep -E 'Resuming' || true # (its summary line shows test accuracy)
    echo "== $setting $config seed $seed: $(( $(date +%s) - start )) s"
  done
}

# alpha_e = sigma^2 (K-1) / (K tau), and V's SGD lr 1e-5 scaled by 0.1 / alpha_e (0.1 = the classifier's lr).
alpha_e() { awk -v s="$1" -v t="$2" -v k="$3" 'BEGIN { printf "%.6g", s * s * (k - 1) / (k * t) }'; }
matched_lr() { awk -v a="$(alpha_e "$1" "$2" "$3")" 'BEGIN { printf "%.4g", 1e-5 * 0.1 / a }'; }

case "$STAGE" in
  a)
    for k in 4 8; do
      for tau in 0.05 0.5; do
        for sigma in 1e-2 3e-2 5e-2; do
          run unif40 "s${sigma}-t${tau}-k${k}" evograd --evograd-sigma "$sigma" --evograd-temperature "$tau" \
            --evograd-candidates "$k"
        done
      done
    done ;;
  b)
    ws="${3:?winner sigma}" wt="${4:?winner tau}" wk="${5:?winner K}"
    configs=("3e-2 0.05 4")
    [[ "$ws $wt $wk" == "3e-2 0.05 4" ]] || configs+=("$ws $wt $wk")
    for c in "${configs[@]}"; do
      read -r s t k <<< "$c"
      run lt100 "s${s}-t${t}-k${k}-lr1e-5" evograd --evograd-sigma "$s" --evograd-temperature "$t" \
        --evograd-candidates "$k"
      lr=$(matched_lr "$s" "$t" "$k")
      run lt100 "s${s}-t${t}-k${k}-lr${lr}" evograd --evograd-sigma "$s" --evograd-temperature "$t" \
        --evograd-candidates "$k" --evograd-meta-lr "$lr"
    done ;;
  plain)
    run unif40 plain plain
    run lt100 plain plain ;;
  summary)
    echo "| setting | config | alpha_e | val acc s4 | val acc s5 | mean | balanced val s4 | balanced val s5 | mean |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for sdir in "$OUT"/*/*/; do
      setting=$(basename "$(dirname "$sdir")") config=$(basename "$sdir")
      a=$(sed -nE 's/^s([0-9.]+e-[0-9]+)-t([0-9.]+)-k([0-9]+).*/\1 \2 \3/p' <<< "$config")
      ae="–"
      [[ -n $a ]] && ae=$(alpha_e $a)
      row=()
      for col in val_acc val_balanced_acc; do
        vals=() ; sum=0 ; n=0
        for seed in "${SEED_LIST[@]}"; do
          f="$sdir/s$seed/metrics.csv"
          v=""
          # Only a finished run (its checkpoint says every unit is done) is scored: the last row of the
          # final epoch. The column is found by name.
          [[ -f $f ]] && v=$(awk -F, -v col="$col" -v epochs="${EPOCHS:-40}" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
            $4 == epochs { last = $c } END { if (last != "") printf "%.2f", 100 * last }' "$f")
          vals+=("${v:-–}")
          [[ -n $v ]] && { sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }'); n=$((n + 1)); }
        done
        mean="–"
        [[ $n -eq ${#SEED_LIST[@]} ]] && mean=$(awk -v a="$sum" -v n="$n" 'BEGIN { printf "%.2f", a / n }')
        row+=("${vals[@]}" "$mean")
      done
      echo "| $setting | $config | $ae | $(IFS='|'; echo "${row[*]}" | sed 's/|/ | /g') |"
    done ;;
  *) echo "unknown stage $STAGE" >&2; exit 2 ;;
esac
