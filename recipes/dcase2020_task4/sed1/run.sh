#!/usr/bin/env bash
# DCASE 2020 task 4 SED recipe: the MMT-DA paper's systems, from data to RESULTS.md.
# Stages: 0 data -> 1 synthesis -> 2 features -> 3 feature stats -> 4 train -> 5 inference
#         -> 6 post-processing -> 7 scoring -> 8 RESULTS.md.   ./run.sh --help lists the options.
set -euo pipefail
cd "$(dirname "$0")"

. utils/common_options.sh  # --stage --stop_stage --seeds --nj --train_args --train_jobs --device --data --dump --exp --results_note --results
mini=true               # true: the corpus sedkit generates itself; false: --desed_root or --soundbank_dir
mini_scale=1.0          # size of the generated corpus (1.0: 4700 clips)
corpus_seed=0           # seed of the generated corpus
corpus_sources=domain   # generated corpus: domain (v3: each domain its own event sources, as DESED) or shared (v2)
desed_root=""           # DESED as distributed (audio/ and metadata/ trees): real-corpus mode
allow_missing=false     # true: a DESED copy missing some listed audio is prepared with the clips that exist
soundbank_dir=""        # your sound bank in Scaper's layout: a DESED-shaped corpus made from it
systems="mmt_da_tsp"    # systems to train: names of conf/systems/*.yaml
score_checkpoint=best   # checkpoint scored: best (chosen on validation_synth, never on the reported set) or last
previous_exp=""         # stage 8: kept runs of an earlier corpus (e.g. results_mini, corpus v2): its Table 1 appended
previous_systems="source_only mt_real mt_total da mt_da mmt_da mmt_da_tsp oracle"  # the systems of that table
ngpu=1                  # processes per run; > 1 trains with torchrun

. utils/parse_options.sh
. utils/runs.sh  # shared steps: log, done markers, training slots, the system x seed loops
one_of score_checkpoint "$score_checkpoint" best last
. ./path.sh

if [ -n "$desed_root" ] && [ -n "$soundbank_dir" ]; then
  echo "$0: give --desed_root or --soundbank_dir, not both" >&2; exit 2
fi
if [ "$mini" = true ] && [ -n "$desed_root$soundbank_dir" ]; then mini=false; fi
if [ "$mini" != true ] && [ -z "$desed_root$soundbank_dir" ]; then
  echo "$0: --mini false needs --desed_root DIR or --soundbank_dir DIR" >&2; exit 2
fi
if [ -n "$desed_root" ]; then
  # fails fast, one line, before any work (the layout is checked before anything is written)
  missing_flag=""; [ "$allow_missing" = true ] && missing_flag=--allow-missing
  if ! err=$(sedkit prepare-corpus desed "$desed_root" "$data" $missing_flag 2>&1 >/dev/null); then
    echo "$0: --desed_root: ${err#*error: }" >&2; exit 2
  fi
fi
for system in $systems; do
  [ -f "conf/systems/$system.yaml" ] || { echo "$0: unknown system $system (conf/systems/$system.yaml)" >&2; exit 2; }
  if [ "$system" = oracle -o "$system" = mmt_da_ssl_oracle ] && [ -n "$desed_root" ]; then
    echo "$0: $system trains on real-domain strong labels, which only a generated corpus has (not DESED)" >&2; exit 2
  fi
done

if [ "$mini" = true ] || [ -n "$soundbank_dir" ]; then
  # A generated corpus (built-in or your bank) is mini-sized: the converging mini config (4000 steps).
  features_conf=conf/features_mini.yaml; train_conf=conf/train_mini.yaml
  train_conf_is="the converging mini config: 4000 steps, small CRNN, 64 mels x 256 frames"
else
  features_conf=conf/features.yaml; train_conf=conf/train.yaml
  train_conf_is="the paper's setting: 100 epochs, CRNN of 885k parameters, 128 mels x 512 frames"
fi
case "$corpus_sources" in domain) corpus_version=v3 ;; shared) corpus_version=v2 ;;
  *) echo "$0: --corpus_sources $corpus_sources: domain or shared" >&2; exit 2 ;; esac
[ "$mini" = true ] && corpus="generated corpus $corpus_version (sedkit make-mini-corpus, scale $mini_scale, seed $corpus_seed, sources $corpus_sources)" || corpus="${desed_root:-soundbank $soundbank_dir}"
# validation: the real-domain set results are reported on; validation_synth: synthetic, for model selection
sets="train_synth train_weak train_unlabel validation validation_synth"
# $data/classes.txt: the event classes in the order of the models' outputs (DESED's 10, or those of your sound
# bank); macro averages run over all of them.

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  log "Stage 0: data: ${desed_root:-generated corpus} -> $data/{${sets// /,}}"
  if [ -n "$desed_root" ]; then
    sedkit prepare-corpus desed "$desed_root" "$data" $missing_flag
  else
    mkdir -p "$data"
  fi
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  if [ -n "$desed_root" ]; then
    log "Stage 1: synthesis: skipped, DESED's synthetic20 soundscapes are used as distributed"
  else
    signature="scale=$mini_scale seed=$corpus_seed bank=${soundbank_dir:-builtin}"
    [ -z "$soundbank_dir" ] && signature="$signature sources=$corpus_sources"
    if done_matches "$data/corpus" "$signature"; then
      log "Stage 1: synthesis: $data/corpus already made ($signature)"
    else
      log "Stage 1: synthesis: ${soundbank_dir:-built-in sound bank} -> $data/corpus ($signature)"
      sources_args=(--sources "$corpus_sources"); [ -n "$soundbank_dir" ] && sources_args=(--soundbank "$soundbank_dir")
      sedkit make-mini-corpus "$data/corpus" --scale "$mini_scale" --seed "$corpus_seed" --nj "$nj" "${sources_args[@]}"
      for set in $sets; do
        mkdir -p "$data/$set"
        ln -sfn "../corpus/$set/audio" "$data/$set/audio"  # relative: the recipe folder may move
        for table in strong.tsv weak.tsv durations.tsv strong_oracle.tsv; do
          [ -f "$data/corpus/$set/$table" ] && cp "$data/corpus/$set/$table" "$data/$set/$table"
        done
      done
      cp "$data/corpus/classes.txt" "$data/classes.txt"
      mark_done "$data/corpus" "$signature"
    fi
  fi
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  for set in $sets; do
    log "Stage 2: features: $data/$set/audio -> $dump/$set ($features_conf)"
    sedkit features "$data/$set/audio" "$dump/$set" --config "$features_conf" --nj "$nj"
  done
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "Stage 3: feature statistics: $dump/{train_synth,train_weak,train_unlabel} -> $dump/stats.npz"
  sedkit features stats "$dump/train_synth" "$dump/train_weak" "$dump/train_unlabel" --out "$dump/stats.npz" \
    --plot "$dump/stats.png"
fi

if [ $stop_stage -ge 4 ] && [ $stage -le 7 ]; then  # training, decoding and scoring need the classes; stage 8 not
  [ -f "$data/classes.txt" ] || { echo "$0: $data/classes.txt missing: run stages 0-1 first" >&2; exit 2; }
  classes="$(tr '\n' ' ' < "$data/classes.txt")"; classes="${classes% }"
fi
# Model selection (best.pt) on validation_synth; results are reported on validation (real domain).
data_args="data.synth_features=$dump/train_synth data.synth_labels=$data/train_synth/strong.tsv
  data.weak_features=$dump/train_weak data.weak_labels=$data/train_weak/weak.tsv
  data.unlabel_features=$dump/train_unlabel data.stats=$dump/stats.npz
  data.validation_features=$dump/validation_synth data.validation_labels=$data/validation_synth/strong.tsv
  data.validation_durations=$data/validation_synth/durations.tsv run.device=$device"

system_args() {  # per-system settings that name recipe paths
  case "$1" in
    grl_to_base|grl_to_base_hard) echo "system.fixed_teacher.checkpoint=$exp/$(sedkit results path run --system da --seed "$2")/checkpoints/best.pt" ;;
    base_to_grl|base_to_grl_hard) echo "system.fixed_teacher.checkpoint=$exp/$(sedkit results path run --system mt_real --seed "$2")/checkpoints/best.pt" ;;
    oracle) echo "data.synth_features=$dump/train_unlabel data.synth_labels=$data/train_unlabel/strong_oracle.tsv" ;;
    mmt_da_ssl_oracle) echo "data.unlabel_strong_labels=$data/train_unlabel/strong_oracle.tsv" ;;
  esac
}
teacher_of() {  # Table 2 systems take a frozen teacher trained by another system of the same seed
  system_args "$@" | sed -n 's/^system.fixed_teacher.checkpoint=//p'
}

train_run() {  # stage 4, one run: its system's config on the training sets
  local system="$1" seed="$2" run="$3" teacher extra
  teacher="$(teacher_of "$system" "$seed")"
  extra="$(system_args "$system" "$seed") data.classes=[${classes// /,}] model.n_classes=$(wc -w <<< "$classes")"
  if [ -n "$teacher" ]; then
    jobs_wait   # its teacher may still be training
    if [ ! -f "$teacher" ]; then
      echo "$0: $system needs $teacher: train its teacher system first (add it to --systems before $system)" >&2
      exit 2
    fi
  fi
  jobs_slot
  log "Stage 4: train $run: $train_conf + conf/systems/$system.yaml -> $exp/$run${jobs_threads:+ (log: $exp/$run/console.log)}"
  local launcher=(sedkit)
  [ "$ngpu" -gt 1 ] && launcher=(torchrun --nproc_per_node "$ngpu" -m sedkit.cli.main)
  # Rerunning resumes an interrupted run and leaves a finished one alone.
  jobs_run "$exp/$run/console.log" "${launcher[@]}" train --config "$train_conf" --config "conf/systems/$system.yaml" \
    --exp-dir "$exp/$run" $data_args run.seed="$seed" $extra $jobs_threads $train_args
}

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: training config $train_conf ($train_conf_is); classes: $classes"
  [ "$ngpu" -gt 1 ] && [ "$train_jobs" -gt 1 ] && { echo "$0: --ngpu $ngpu trains one run at a time: give --train_jobs 1" >&2; exit 2; }
  train_each_run "$train_jobs" "$systems" "$seeds" train_run
fi

# decode_validation: the network the system is scored on (MMT-DA: the DA teacher, as the paper); every
# other student and teacher of the run: decode_validation_<network>.
decode_dirs() { ls -d "$exp/$1/decode_validation" "$exp/$1"/decode_validation_* 2>/dev/null || true; }

decode_run() {  # stage 5, one run: its model package, and every network's frame scores on validation
  local run="$3" checkpoint="$exp/$3/checkpoints/$score_checkpoint.pt" scored="" network out
  log "Stage 5: model package: $checkpoint -> $exp/$run/detector.pt (the scored network; sedkit infer --model)"
  sedkit export "$checkpoint" "$exp/$run/detector.pt" --corpus "$corpus"
  for network in $(sedkit infer --checkpoint "$checkpoint" --list-networks); do
    out="$exp/$run/$(sedkit results path scored --set validation ${scored:+--network "$network"})"; scored=$network
    log "Stage 5: inference: $checkpoint ($network) on $dump/validation -> $out/scores"
    sedkit infer --checkpoint "$checkpoint" --network "$network" --features "$dump/validation" --out "$out" \
      --device "$device" --scores-only --no-progress
  done
}

postprocess_run() {  # stage 6, one run: thresholds and the adaptive median filter, for every network
  local out
  for out in $(decode_dirs "$3"); do
    log "Stage 6: post-processing: $out/scores -> $out/predictions.tsv (adaptive median from $data/train_synth/strong.tsv)"
    sedkit postprocess "$out/scores" "$out/predictions.tsv" --adaptive-median "$data/train_synth/strong.tsv" \
      --write-median-windows "$out/median_windows.yaml"
  done
}

score_run() {  # stage 7, one run: every network's metrics; the scored one keeps per-clip counts and replicates
  local out scored
  for out in $(decode_dirs "$3"); do
    log "Stage 7: scoring: $out/predictions.tsv vs $data/validation/strong.tsv -> $out/{event,segment,psds}.json"
    scored=false; [ "${out##*/}" = "$(sedkit results path scored --set validation)" ] && scored=true
    utils/score_sed.sh "$out" "$data/validation" "$classes" "$([ $scored = true ] && echo 1000 || echo 0)" "$scored"
  done
}

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then for_each_run "$systems" "$seeds" decode_run; fi
if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then for_each_run "$systems" "$seeds" postprocess_run; fi
if [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then for_each_run "$systems" "$seeds" score_run; fi

if [ $stage -le 8 ] && [ $stop_stage -ge 8 ]; then
  log "Stage 8: results: $exp/*/decode_validation -> $results"
  if [ -f "$data/counts.tsv" ]; then  # DESED: the clips evaluated against the official count
    counted="$(awk -F'\t' '$1 == "validation" {print $3 " of the " $2 " official validation clips"}' "$data/counts.tsv")"
    results_note="${results_note:+$results_note }Evaluated on $counted ($data/missing_audio.tsv lists the missing ones)."
  fi
  sedkit results --exp "$exp" --systems "$systems" --seeds "$seeds" --paper conf/paper_results.yaml --bootstrap 1000 \
    --tables conf/tables.yaml --selection-plot --out "$results" --title "dcase2020_task4/sed1: MMT-DA systems" \
    --note "Corpus: $corpus. Configs: $train_conf + conf/systems/<system>.yaml${train_args:+ with $train_args}." \
    --note "Command: \`$command_line\` (systems: $systems; seeds: $seeds)." \
    ${results_note:+--note "$results_note"} \
    --note "Scored on device $device; training time per run: last column (from each run's metrics.csv)."
  if [ -n "$previous_exp" ]; then
    log "Stage 8: the earlier corpus's Table 1 from $previous_exp, for comparison -> $results"
    previous="$(mktemp -d)"
    sedkit results --exp "$previous_exp" --systems "$previous_systems" --seeds "$seeds" \
      --paper conf/paper_results.yaml --bootstrap 1000 --out "$previous/RESULTS.md" --title "previous" >/dev/null
    { echo; echo "## For comparison: Table 1 on the earlier corpus ($previous_exp)"; echo
      echo "Its runs' own configs are in $previous_exp/<run>/config.yaml (corpus v2: both domains share their event"
      echo "sources, no input noise, the mini CRNN's frequency pooling 4-4-2-2-1); statistics as above, on that corpus's"
      echo "600 real-domain clips."; echo
      awk '/^\| system/ {table = 1} table && /^$/ {exit} table' "$previous/RESULTS.md"; } >> "$results"  # the first
    rm -r "$previous"
  fi
fi
