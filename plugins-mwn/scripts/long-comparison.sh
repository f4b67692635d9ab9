#!/usr/bin/env bash
# The long Meta-Weight-Net comparisons quoted in docs/mwn.md: plain vs one-step vs evograd, 3 seeds,
# on the default Fashion-MNIST regime. Each setting writes its own run folder under $OUT.
#   bash plugins-mwn/scripts/long-comparison.sh [OUT] [SETTING...]
# Settings: unif40 flip40 clean lt100 (default: all four, in that order).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-runs/mwn-long}"
shift || true
SETTINGS=("$@")
[[ ${#SETTINGS[@]} -gt 0 ]] || SETTINGS=(unif40 flip40 clean lt100)
COMMON=(--compare plain,one-step,evograd --seeds 1,2,3)
for s in "${SETTINGS[@]}"; do
  case "$s" in
    unif40) opts=(--noise unif --rate 0.4) ;;
    flip40) opts=(--noise flip --rate 0.4) ;;
    clean)  opts=(--noise unif --rate 0) ;;
    lt100)  opts=(--noise unif --rate 0 --imbalance 100 --per-class 500) ;;
    *) echo "unknown setting $s" >&2; exit 2 ;;
  esac
  dir="$OUT/$s"
  resume=()
  [[ -d "$dir" ]] && resume=(--resume)
  echo "== $s: ./bilevel run mwn ${opts[*]} ${COMMON[*]} --out $dir ${resume[*]}"
  "$ROOT/bilevel" run mwn "${opts[@]}" "${COMMON[@]}" --out "$dir" "${resume[@]}"
done
