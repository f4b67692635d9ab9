#!/usr/bin/env bash
# The long Meta-Weight-Net comparisons quoted in docs/mwn.md: plain vs one-step vs evograd on the
# default Fashion-MNIST regime. Each (setting, seed) is its own run folder $OUT/<setting>/s<seed>,
# run seed by seed (seed 1 of every setting first), one process at a time; a folder that exists is
# resumed (a finished one only has its report rewritten).
#   bash plugins-mwn/scripts/long-comparison.sh [OUT] [SETTING...]
# Settings: unif40 flip40 clean lt100 (default: all four). SEEDS="1 2 3" by default.
# EXTRA_OPTS adds options to every setting, e.g. EXTRA_OPTS="--meta-per-class 100" (the noisy-label
# reference's meta-set size; docs/mwn.md); the check then needs -Dmwn.long.extra="<the same options>".
# The claims are then checked (without rerunning anything finished) by
#   mvn -o -Plong test -pl plugins-mwn -Dtest=MwnLongComparisonTest -Dmwn.long.dir=$(realpath OUT)
# whose settings (MwnLongComparisonTest.SETTINGS) must stay in step with the ones below.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-runs/mwn-long}"
shift || true
SETTINGS=("$@")
[[ ${#SETTINGS[@]} -gt 0 ]] || SETTINGS=(unif40 flip40 clean lt100)
read -r -a SEED_LIST <<< "${SEEDS:-1 2 3}"
for seed in "${SEED_LIST[@]}"; do
  for s in "${SETTINGS[@]}"; do
    case "$s" in
      unif40) opts=(--noise unif --rate 0.4) ;;
      flip40) opts=(--noise flip --rate 0.4) ;;
      clean)  opts=(--noise unif --rate 0) ;;
      # The class-imbalance reference's scale (n_max 5000: CIFAR-10-LT's 12,406 images) and V's optimiser
      # (SGD, momentum 0.9, weight decay 5e-4); V's lr per estimator as selected on validation data by
      # lt100-selection.sh (one-step 1e-5, the reference's; EvoGrad 1e-2).
      lt100)  opts=(--noise unif --rate 0 --imbalance 100 --per-class 5000 --meta-optimizer sgd --meta-lr 1e-5
                    --meta-weight-decay 5e-4 --evograd-meta-lr 1e-2) ;;
      *) echo "unknown setting $s" >&2; exit 2 ;;
    esac
    dir="$OUT/$s/s$seed"
    resume=()
    [[ -f "$dir/provenance.json" ]] && resume=(--resume)
    echo "== $s seed $seed: ./bilevel run mwn ${opts[*]} --compare plain,one-step,evograd --seeds $seed --out $dir ${resume[*]}"
    start=$(date +%s)
    "$ROOT/bilevel" run mwn "${opts[@]}" --compare plain,one-step,evograd --seeds "$seed" --out "$dir" \
      "${resume[@]}" ${NO_PROGRESS:+--no-progress} ${EXTRA_OPTS:-}
    echo "== $s seed $seed: $(( $(date +%s) - start )) s"
  done
done
