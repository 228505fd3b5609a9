#!/usr/bin/env bash
# GTZAN genre classification with the label-smoothing family of the LSR-OS-TC paper (Wang et al. 2021):
# baseline, LSR, Tf-KD, LSR-OS, LSR-OS-TC on nnet1- and nnet2-sized CNNs; clip and song error.
# Stages: 0 data -> 1 features -> 2 train -> 3 test scoring -> 4 RESULTS.md.   ./run.sh --help lists options.
set -euo pipefail
cd "$(dirname "$0")"

. utils/common_options.sh  # --stage --stop_stage --seeds --nj --train_args --train_jobs --device --data --dump --exp --results_note --results
mini=true               # true: a 10-class corpus sedkit generates; false: --gtzan_root
mini_scale=1.0          # size of the generated corpus (1.0: 900 clips of 3 s)
gtzan_root=""           # GTZAN as distributed (one folder per genre): real-corpus mode
methods="ce lsr tfkd lsr_os lsr_os_tc"   # names of conf/methods/*.yaml
models="nnet1 nnet2"    # names of conf/models/*.yaml (the mini corpus uses <model>_mini.yaml)
score_checkpoint=best  # checkpoint scored on test, best (on validation) or last: the LSR-OS-TC paper keeps a validation split (Sec. 5.3): the best epoch on it

. utils/parse_options.sh
. utils/classification.sh  # shared steps: log, done markers, training slots, the system x seed loops, data
. ./path.sh
score_note="$(checkpoint_note "$score_checkpoint" "the last epoch" \
  "the best epoch on the validation split, as the LSR-OS-TC paper keeps one, Sec. 5.3")"

corpus_mode gtzan_root "$gtzan_root"
if [ "$mini" = true ]; then
  features_conf=conf/features_mini.yaml; train_conf=conf/train_mini.yaml; suffix=_mini
  corpus="mini (scale $mini_scale)"
else
  features_conf=conf/features.yaml; train_conf=conf/train.yaml; suffix=""; corpus="GTZAN ($gtzan_root)"
  sedkit prepare-corpus gtzan "$gtzan_root" "$data" --seed 0 >/dev/null  # checks the layout first, fails fast
fi
for name in $methods; do [ -f "conf/methods/$name.yaml" ] || { echo "$0: unknown method $name" >&2; exit 2; }; done
for name in $models; do [ -f "conf/models/$name$suffix.yaml" ] || { echo "$0: unknown model $name" >&2; exit 2; }; done

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  if [ "$mini" = true ]; then
    mini_classification_data "$data" "$mini_scale" "$nj"
  else
    log "Stage 0: data: $gtzan_root -> $data/{wav.tsv,train.tsv,valid.tsv,test.tsv} (8/1/1 by song, 3 s clips)"
    sedkit prepare-corpus gtzan "$gtzan_root" "$data" --seed 0
  fi
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then classification_features "$data" "$dump" "$features_conf" "$nj"; fi

# A system is a method on a model: <method>_<model>, the names of the run folders and the results rows.
systems=""; declare -A method_of model_of
for method in $methods; do
  for model in $models; do
    systems="$systems ${method}_${model}"; method_of[${method}_${model}]=$method; model_of[${method}_${model}]=$model
  done
done

train_run() {  # stage 2, one run
  local run="$3" method="${method_of[$1]}" model="${model_of[$1]}"
  jobs_slot
  log "Stage 2: train $run: $train_conf + conf/methods/$method.yaml + conf/models/$model$suffix.yaml -> $exp/$run"
  jobs_run "$exp/$run/console.log" sedkit train --config "$train_conf" --config "conf/methods/$method.yaml" \
    --config "conf/models/$model$suffix.yaml" --exp-dir "$exp/$run" data.train_features="$dump/all" \
    data.train_labels="$data/train.tsv" data.valid_features="$dump/all" data.valid_labels="$data/valid.tsv" \
    run.seed="$2" run.device="$device" $jobs_threads $train_args
}

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then train_each_run "$train_jobs" "$systems" "$seeds" train_run; fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then classify_each_run "$systems" "$seeds" "$exp" "$score_checkpoint" "$dump/all" "$data/test.tsv" test "$device"; fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: results: $exp/*/eval_test -> $results"
  sedkit results --kind classification --set test --exp "$exp" --systems "$systems" --seeds "$seeds" \
    --paper conf/paper_results.yaml --baselines conf/baselines.yaml --out "$results" --title "gtzan/cls1: label smoothing family (clip / song error)" \
    --note "Corpus: $corpus. Configs: $train_conf + conf/methods/<method>.yaml + conf/models/<model>$suffix.yaml${train_args:+ with $train_args}." \
    --note "Command: \`$command_line\`. Paper column: GTZAN clip error (%), Table 4." \
    ${results_note:+--note "$results_note"} \
    --note "$(written_note "$device" "$score_checkpoint" "$score_note")"
fi
