#!/usr/bin/env bash
# keep_scores.sh EXP DEST: copy the small outputs of every run in EXP (config, per-epoch metrics, training
# log, scores as JSON and text, plots; no checkpoints, features or frame scores) into DEST, in the same
# layout, so that stage 8 (`./run.sh --stage 8 --exp DEST`) can write RESULTS.md from runs made in several
# sittings or on several machines, and so that those numbers can be committed next to RESULTS.md. Runs
# without scores (training or unscored) are left out; scored folders without a training run (an ensemble of
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
  for file in config.yaml metrics.csv train.log curves.png; do
    [ -f "$run/$file" ] && cp "$run/$file" "$dest/$name/"
  done
  for scored in "$run"/decode_* "$run"/eval_*; do
    [ -d "$scored" ] || continue
    mkdir -p "$dest/$name/${scored##*/}"
    find "$scored" -maxdepth 1 -type f \( -name '*.json' -o -name '*.txt' -o -name '*.png' -o -name '*.yaml' \) \
      -exec cp {} "$dest/$name/${scored##*/}/" \;
  done
  kept=$((kept + 1))
done
echo "$0: kept the scores of $kept runs of $exp in $dest" >&2
