#!/usr/bin/env bash
# Selection of V's learning rate at imbalance 100 on held-out validation data (docs/mwn.md, "Imbalance
# 100 at the reference's scale"). Seeds 4 and 5 only (the long comparisons use 1-3), 100 clean
# validation images per class taken out of the training pool, scored by the final-epoch balanced
# validation accuracy averaged over the two seeds. Test accuracy is logged by the runs but not read here.
# One folder per (lr, seed): $OUT/<lr>/s<seed> holding one-step and evograd; $OUT/plain/s<seed> for plain
# (information only). A folder that exists is resumed.
#   bash plugins-mwn/scripts/lt100-selection.sh OUT run        # every run (about 40 minutes on one core)
#   bash plugins-mwn/scripts/lt100-selection.sh OUT summary    # the table of every finished folder
#
# The rule, fixed before any of these runs (2026-11-22, committed 18:43 UTC):
#  1. The setting is the class-imbalance reference's scale: n_max = 5000 images per class (--per-class
#     5000), imbalance 100, i.e. CIFAR-10-LT's 12,406 training images, 10 clean meta images per class,
#     40 epochs, V trained with SGD (Nesterov momentum 0.9, weight decay 5e-4 for one-step, none for
#     EvoGrad's preset) as in the reference. This replaces --per-class 500 (1,240 images, 480 meta-updates
#     in all, too few for the reference's V lr of 1e-5 to move V: ESS >= 0.96 throughout) whatever the
#     outcome.
#  2. V's SGD lr in {1e-5, 1e-4, 1e-3, 1e-2}; each estimator (one-step, evograd) takes the lr with the highest
#     mean final val_balanced_acc over seeds 4 and 5. Exact ties (to the 0.01 point shown) go to the smaller
#     lr (the reference's side).
#  3. The long comparisons (seeds 1-3) then run once with the selected lrs; whatever they give is reported.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:?OUT}"
STAGE="${2:?stage: run or summary}"
read -r -a SEED_LIST <<< "${SEEDS:-4 5}"
LRS=(1e-5 1e-4 1e-3 1e-2)
LT100=(--noise unif --rate 0 --imbalance 100 --per-class 5000 --meta-optimizer sgd --meta-weight-decay 5e-4
  --val-per-class 100)

run() { # config methods options...
  local config=$1 methods=$2
  shift 2
  for seed in "${SEED_LIST[@]}"; do
    local dir="$OUT/$config/s$seed" resume=()
    [[ -f "$dir/provenance.json" ]] && resume=(--resume)
    echo "== $config seed $seed: ${LT100[*]} --compare $methods $*"
    local start
    start=$(date +%s)
    "$ROOT/bilevel" run mwn "${LT100[@]}" --compare "$methods" "$@" --seeds "$seed" --out "$dir" \
      "${resume[@]}" --no-progress | grep -E 'Resuming' || true # (its summary lines show test accuracy)
    echo "== $config seed $seed: $(( $(date +%s) - start )) s"
  done
}

case "$STAGE" in
  run)
    run plain plain
    for lr in "${LRS[@]}"; do
      run "lr$lr" one-step,evograd --meta-lr "$lr"
    done ;;
  summary)
    echo "| V's SGD lr | method | balanced val s${SEED_LIST[0]} | balanced val s${SEED_LIST[1]} | mean |"
    echo "| --- | --- | ---: | ---: | ---: |"
    for config in plain "${LRS[@]/#/lr}"; do
      for method in plain one-step evograd; do
        vals=()
        for seed in "${SEED_LIST[@]}"; do
          f="$OUT/$config/s$seed/metrics.csv"
          v=""
          # The last row of the method's final epoch; the column is found by name.
          [[ -f $f ]] && v=$(awk -F, -v m="$method" -v epochs="${EPOCHS:-40}" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "val_balanced_acc") c = i; next }
            $2 == m && $4 == epochs { last = $c } END { if (last != "") printf "%.2f", 100 * last }' "$f")
          vals+=("$v")
        done
        joined=$(printf '%s' "${vals[@]}")
        [[ -z $joined ]] && continue # the method did not run in this folder
        mean=$(printf '%s\n' "${vals[@]}" | awk 'NF { s += $1; n++ } END { if (n == '"${#SEED_LIST[@]}"') printf "%.2f", s / n; else print "–" }')
        echo "| ${config#lr} | $method | ${vals[0]:-–} | ${vals[1]:-–} | $mean |"
      done
    done ;;
  *) echo "unknown stage $STAGE" >&2; exit 2 ;;
esac
