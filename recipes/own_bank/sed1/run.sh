#!/usr/bin/env bash
# Train a sound event detector from your own recordings and measure it on recordings it never heard.
# Stages: 0 check the banks -> 1 synthesis -> 2 features -> 3 feature stats -> 4 train -> 5 inference
#         -> 6 post-processing -> 7 scoring -> 8 RESULTS.md.   ./run.sh --help lists the options.
#   ./run.sh --soundbank_dir my_bank                                  (evaluation: held-out files of my_bank)
#   ./run.sh --soundbank_dir bank/train --eval_soundbank_dir bank/test  (the dev benchmark: other recordists)
set -euo pipefail
cd "$(dirname "$0")"

. utils/common_options.sh  # --stage --stop_stage --seeds --nj --train_args --train_jobs --device --data --dump --exp --results_note --results
soundbank_dir=""        # your bank in Scaper's layout (foreground/<class>/, background/<label>/): required
eval_soundbank_dir=""   # recordings to evaluate on (same layout); empty: a share of each class's files of the bank
scale=1.0               # corpus size (1.0: 2000 + 2000 training, 300 selection, 600 evaluation soundscapes)
corpus_seed=0           # seed of the corpus
systems="bank"          # systems to train: names of conf/systems/*.yaml (bank: the default setup)
plain_synth_systems="source_only train_aug"  # systems trained on train_synth_plain (no synthesis augmentation)
score_checkpoint=best   # best (chosen on validation_synth: training recordings only) or last
baseline=source_only    # RESULTS.md: differences are taken to this system when it is listed

. utils/parse_options.sh
. utils/runs.sh  # shared steps: log, done markers, training slots, the system x seed loops
one_of score_checkpoint "$score_checkpoint" best last
. ./path.sh

[ -n "$soundbank_dir" ] || { echo "$0: --soundbank_dir DIR is required (your bank in Scaper's layout)" >&2; exit 2; }
for system in $systems; do
  [ -f "conf/systems/$system.yaml" ] || { echo "$0: unknown system $system (conf/systems/$system.yaml)" >&2; exit 2; }
done
# validation: the reported set (evaluation recordings); the variants: the same soundscapes through another chain
scored_sets="validation validation-16k validation-44k validation-20db validation-10db"
sets="train_synth train_synth_plain validation_synth $scored_sets"
corpus_args=(--soundbank "$soundbank_dir" ${eval_soundbank_dir:+--eval-soundbank "$eval_soundbank_dir"}
             --scale "$scale" --seed "$corpus_seed")

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  log "Stage 0: check the banks: $soundbank_dir${eval_soundbank_dir:+ and $eval_soundbank_dir}"
  # one line and exit 2 on a bank that cannot be used, before anything is written
  if ! err=$(sedkit make-bank-corpus "$data/corpus" "${corpus_args[@]}" --check 2>&1 >/dev/null)
  then
    echo "$0: ${err#*error: }" >&2; exit 2
  fi
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  signature="${corpus_args[*]}"
  if done_matches "$data/corpus" "$signature"; then
    log "Stage 1: synthesis: $data/corpus already made ($signature)"
  else
    log "Stage 1: synthesis: $soundbank_dir${eval_soundbank_dir:+ + $eval_soundbank_dir} -> $data/corpus/{${sets// /,}}"
    sedkit make-bank-corpus "$data/corpus" "${corpus_args[@]}" --nj "$nj"
    mark_done "$data/corpus" "$signature"
  fi
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  for set in $sets; do
    log "Stage 2: features: $data/corpus/$set/audio -> $dump/$set (conf/features.yaml)"
    sedkit features "$data/corpus/$set/audio" "$dump/$set" --config conf/features.yaml --nj "$nj"
  done
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "Stage 3: feature statistics: $dump/{train_synth,train_synth_plain} -> $dump/stats.npz"
  sedkit features stats "$dump/train_synth" "$dump/train_synth_plain" --out "$dump/stats.npz" --plot "$dump/stats.png"
fi

if [ $stop_stage -ge 4 ] && [ $stage -le 7 ]; then
  [ -f "$data/corpus/classes.txt" ] || { echo "$0: $data/corpus/classes.txt missing: run stages 0-1 first" >&2; exit 2; }
  classes="$(tr '\n' ' ' < "$data/corpus/classes.txt")"; classes="${classes% }"
fi
synth_set_of() { case " $plain_synth_systems " in *" $1 "*) echo train_synth_plain ;; *) echo train_synth ;; esac; }

train_run() {  # stage 4, one run: supervised on its synthesis set, selection on validation_synth
  local system="$1" seed="$2" run="$3" synth_set
  synth_set="$(synth_set_of "$system")"
  jobs_slot
  log "Stage 4: train $run on $data/corpus/$synth_set, selection on validation_synth -> $exp/$run"
  jobs_run "$exp/$run/console.log" sedkit train --config conf/train.yaml --config conf/augment.yaml \
    --config "conf/systems/$system.yaml" --exp-dir "$exp/$run" \
    data.synth_features="$dump/$synth_set" data.synth_labels="$data/corpus/$synth_set/strong.tsv" \
    data.validation_features="$dump/validation_synth" \
    data.validation_labels="$data/corpus/validation_synth/strong.tsv" \
    data.validation_durations="$data/corpus/validation_synth/durations.tsv" data.stats="$dump/stats.npz" \
    data.classes="[${classes// /,}]" model.n_classes="$(wc -w <<< "$classes")" run.seed="$seed" \
    run.device="$device" $jobs_threads $train_args
}

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: training: conf/train.yaml + conf/augment.yaml + conf/systems/<system>.yaml; classes: $classes"
  train_each_run "$train_jobs" "$systems" "$seeds" train_run
fi

evaluate_run() {  # stages 5-7, one run: its model package; per scored set the scores, events and metrics
  local system="$1" run="$3" synth_set set out checkpoint="$exp/$3/checkpoints/$score_checkpoint.pt"
  synth_set="$(synth_set_of "$system")"
  if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
    log "Stage 5: model package: $checkpoint -> $exp/$run/detector.pt"
    sedkit export "$checkpoint" "$exp/$run/detector.pt" \
      --corpus "own bank $soundbank_dir (scale $scale, corpus seed $corpus_seed)"
  fi
  for set in $scored_sets; do
    out="$exp/$run/$(sedkit results path scored --set "$set")"
    if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
      log "Stage 5: inference: $checkpoint on $dump/$set -> $out/scores"
      sedkit infer --checkpoint "$checkpoint" --features "$dump/$set" --out "$out" --device "$device" --scores-only \
        --no-progress
    fi
    if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
      log "Stage 6: post-processing: $out/scores -> $out/predictions.tsv (adaptive median from $synth_set)"
      sedkit postprocess "$out/scores" "$out/predictions.tsv" \
        --adaptive-median "$data/corpus/$synth_set/strong.tsv" --write-median-windows "$out/median_windows.yaml"
    fi
    if [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then
      log "Stage 7: scoring: $out/predictions.tsv vs $data/corpus/$set/strong.tsv"
      # PSDS replicates for the reported set's paired intervals; per-clip counts for every set (conditions)
      utils/score_sed.sh "$out" "$data/corpus/$set" "$classes" "$([ "$set" = validation ] && echo 1000 || echo 0)" true
    fi
  done
}

if [ $stage -le 7 ] && [ $stop_stage -ge 5 ]; then for_each_run "$systems" "$seeds" evaluate_run; fi

if [ $stage -le 8 ] && [ $stop_stage -ge 8 ]; then
  log "Stage 8: results: $exp/*/decode_{${scored_sets// /,}} -> $results"
  bl=""; case " $systems " in *" $baseline "*) bl="--baseline $baseline" ;; esac
  sedkit results --exp "$exp" --systems "$systems" --seeds "$seeds" --conditions "${scored_sets#validation }" $bl \
    --bootstrap 1000 --per-class --out "$results" --title "own_bank/sed1: a detector from your own recordings" \
    --note "Training bank: $soundbank_dir; evaluation: ${eval_soundbank_dir:-held-out files of the training bank} (scale $scale, corpus seed $corpus_seed)." \
    --note "Configs: conf/train.yaml + conf/augment.yaml + conf/systems/<system>.yaml${train_args:+ with $train_args}; checkpoint: $score_checkpoint (selected on validation_synth, made from the training recordings only)." \
    --note "Command: \`$command_line\`." ${results_note:+--note "$results_note"}
fi
