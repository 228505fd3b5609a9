#!/usr/bin/env bash
# keep_scores.sh EXP DEST: keep what RESULTS.md is written from, for every scored run in EXP, in DEST in the
# same layout (config.yaml, metrics.csv, the scores as JSON and YAML, the scored model's plots; no checkpoints):
# `sedkit results keep EXP DEST`, where the run-folder naming is defined (sedkit/reporting.py; docs/recipes.md,
# "What results_mini keeps"). Stage 8 can then write RESULTS.md from runs of several sittings or machines
# (`./run.sh --stage 8 --exp DEST`), and the numbers can be committed next to it.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 EXP DEST" >&2; exit 2; fi
exec sedkit results keep "$1" "$2"
