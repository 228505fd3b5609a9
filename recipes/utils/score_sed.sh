#!/usr/bin/env bash
# Score one decoded set of a SED run (stage 7 of the SED recipes):
#   utils/score_sed.sh OUT REF_DIR "CLASSES" PSDS_BOOTSTRAP CLIP_COUNTS
# reads OUT/predictions.tsv and OUT/scores/ against REF_DIR/{strong,durations}.tsv and writes
# OUT/{event,segment,psds}.{json,txt}, OUT/f1.png and OUT/psd_roc.png. For the paired intervals of stage 8:
# PSDS_BOOTSTRAP replicates of PSDS in psds.json (0: none; about a minute per 1000 on DESED-sized sets) and,
# with CLIP_COUNTS true, the per-clip counts in event.json (false for another network of a run).
set -euo pipefail
if [ $# -ne 5 ]; then echo "usage: $0 OUT REF_DIR CLASSES PSDS_BOOTSTRAP CLIP_COUNTS" >&2; exit 2; fi
out="$1"; ref="$2"; classes="$3"; bootstrap="$4"
counts=(); [ "$5" = true ] || counts=(--no-clip-counts)
sedkit eval event --reference "$ref/strong.tsv" --estimated "$out/predictions.tsv" --durations "$ref/durations.tsv" \
  --classes $classes --json "$out/event.json" --plot "$out/f1.png" "${counts[@]}" > "$out/event.txt"
sedkit eval segment --reference "$ref/strong.tsv" --estimated "$out/predictions.tsv" \
  --durations "$ref/durations.tsv" --classes $classes --json "$out/segment.json" > "$out/segment.txt"
sedkit eval psds --reference "$ref/strong.tsv" --durations "$ref/durations.tsv" --scores "$out/scores" \
  --classes $classes --json "$out/psds.json" --plot "$out/psd_roc.png" --bootstrap "$bootstrap" > "$out/psds.txt"
tail -n 3 "$out/event.txt" >&2
