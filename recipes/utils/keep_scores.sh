#!/usr/bin/env bash
# keep_scores.sh EXP DEST: copy what RESULTS.md is written from, for every run in EXP, into DEST in the same
# layout (docs/recipes.md, "What results_mini keeps"): config.yaml, metrics.csv, the scores as JSON (and the
# YAML beside them), and the plots of the scored model (decode_validation/*.png, eval_*/*.png) that stage 8
# shows; no checkpoints, features, frame scores, logs, text tables or other networks' plots. Stage 8 can then
# write RESULTS.md from runs made in several sittings or on several machines, and the numbers can be committed
# next to it (`./run.sh --stage 8 --exp DEST`). Runs without scores (training or unscored) are left out; scored folders without a training run (an ensemble of
# other runs' checkpoints, scored by itself) are kept too.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 EXP DEST" >&2; exit 2; fi
exp="$1"; dest="$2"
[ -d "$exp" ] || { echo "$0: $exp: no such experiment folder" >&2; exit 2; }
kept=0
for run in "$exp"/*/; do
  run="${run%/}"; name="${run##*/}"
  scored_any=false
  for scored in "$run"/decode_*/event.json "$run"/eval_*/metrics.json; do [ -f "$scored" ] && scored_any=true; done
  if [ "$scored_any" != true ]; then
    [ -f "$run/config.yaml" ] && echo "$0: $run: not scored yet, left out" >&2
    continue
  fi
  mkdir -p "$dest/$name"
  for file in config.yaml metrics.csv; do
    [ -f "$run/$file" ] && cp "$run/$file" "$dest/$name/"
  done
  for scored in "$run"/decode_* "$run"/eval_*; do
    [ -d "$scored" ] || continue
    mkdir -p "$dest/$name/${scored##*/}"
    find "$scored" -maxdepth 1 -type f \( -name '*.json' -o -name '*.yaml' \) -exec cp {} "$dest/$name/${scored##*/}/" \;
    case "${scored##*/}" in  # the scored model's plots only (stage 8 copies the best system's)
      decode_validation|eval_*) find "$scored" -maxdepth 1 -type f -name '*.png' -exec cp {} "$dest/$name/${scored##*/}/" \; ;;
    esac
  done
  kept=$((kept + 1))
done
echo "$0: kept the scores of $kept runs of $exp in $dest" >&2
