#!/usr/bin/env bash
# Acoustic scene classification (DCASE 2018 task 1) with memory-replay knowledge distillation (MrKD, Wang et
# al. 2021): baseline vs MrKD plain / without Knowledge Adjustment / full, with and without mixup.
# Stages: 0 data -> 1 features -> 2 train -> 3 test scoring -> 4 RESULTS.md.   ./run.sh --help lists options.
set -euo pipefail
cd "$(dirname "$0")"

. utils/common_options.sh  # --stage --stop_stage --seeds --nj --train_args --train_jobs --device --data --dump --exp --results_note --results
mini=true               # true: a 10-class corpus sedkit generates; false: --asc_root
mini_scale=1.0          # size of the generated corpus
asc_root=""             # TUT-urban-acoustic-scenes-2018-development as distributed: real-corpus mode
asc_corpus=tut2018      # what --asc_root holds: tut2018 (DCASE 2018 task 1) or tau2020_3class (DCASE 2020 task 1b)
methods="ce mrkd_plain mrkd_no_ka mrkd"   # names of conf/methods/*.yaml
mixup="false true"      # run each method without and/or with mixup (alpha 0.2)
score_checkpoint=last  # checkpoint scored on test, best (on validation) or last: the MrKD paper reports the last epoch (Sec. 4.1)
valid_share=0           # real corpus: training locations held out for validation; 0 (the paper's protocol): every
                        # fold-1 training clip trains and nothing is validated (needs --score_checkpoint last)

. utils/parse_options.sh
if [ -n "$asc_root" ] && [ "$valid_share" = 0 ] && [ "$score_checkpoint" = best ]; then
  echo "$0: --score_checkpoint best needs a validation set: give --valid_share (e.g. 0.1)" >&2; exit 2
fi
. utils/classification.sh  # shared steps: log, done markers, training slots, the system x seed loops, data
. ./path.sh
score_note="$(checkpoint_note "$score_checkpoint" "the last epoch, as the MrKD paper reports, Sec. 4.1" \
  "the best epoch on the validation set")"

corpus_mode asc_root "$asc_root"
model_conf=""  # a model config on top of the training config, where the corpus asks for one
case "$asc_corpus" in
  tut2018) corpus_name="TUT ASC 2018 dev"; paper=(--paper conf/paper_results.yaml)
           paper_note=" Paper column: DCASE 2018 task 1 accuracy (%), Table 7." ;;
  tau2020_3class) corpus_name="TAU ASC 2020 3Class dev"; paper=()
                  paper_note=" No paper column (the MrKD paper has no DCASE 2020 task 1b numbers)."
                  model_conf=conf/model_tau2020_3class.yaml ;;  # the task's 500 KB budget
  *) echo "$0: --asc_corpus must be tut2018 or tau2020_3class, not '$asc_corpus'" >&2; exit 2 ;;
esac
if [ "$mini" = true ]; then
  features_conf=conf/features_mini.yaml; train_conf=conf/train_mini.yaml; corpus="mini (scale $mini_scale)"
  model_conf=""  # the mini model (conf/train_mini.yaml) whatever the corpus
else
  features_conf=conf/features.yaml; train_conf=conf/train.yaml; corpus="$corpus_name ($asc_root)"
  sedkit prepare-corpus "$asc_corpus" "$asc_root" "$data" --valid-share "$valid_share" >/dev/null  # fails fast
fi
for name in $methods; do [ -f "conf/methods/$name.yaml" ] || { echo "$0: unknown method $name" >&2; exit 2; }; done
tag_of() { [ "$2" = true ] && echo "${1}_mixup" || echo "$1"; }

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  if [ "$mini" = true ]; then
    mini_classification_data "$data" "$mini_scale" "$nj"
  else
    log "Stage 0: data: $asc_root ($asc_corpus) -> $data/{wav.tsv,train.tsv,valid.tsv,test.tsv} (official fold 1)"
    sedkit prepare-corpus "$asc_corpus" "$asc_root" "$data" --valid-share "$valid_share"
  fi
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then classification_features "$data" "$dump" "$features_conf" "$nj"; fi

# A system is a method with or without mixup: <method> or <method>_mixup, the run folders' and rows' names.
systems=""; declare -A method_of mixup_of
for method in $methods; do
  for mix in $mixup; do
    system="$(tag_of "$method" "$mix")"; systems="$systems $system"; method_of[$system]=$method; mixup_of[$system]=$mix
  done
done

train_run() {  # stage 2, one run
  local run="$3" method="${method_of[$1]}" alpha=0.0
  [ "${mixup_of[$1]}" = true ] && alpha=0.2
  jobs_slot
  log "Stage 2: train $run: $train_conf + conf/methods/$method.yaml (mixup alpha $alpha) -> $exp/$run"
  jobs_run "$exp/$run/console.log" sedkit train --config "$train_conf" ${model_conf:+--config "$model_conf"} \
    --config "conf/methods/$method.yaml" \
    --exp-dir "$exp/$run" data.train_features="$dump/all" data.train_labels="$data/train.tsv" \
    $valid_args data.mixup_alpha="$alpha" \
    run.seed="$2" run.device="$device" $jobs_threads $train_args
}

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  # Validate only where there is a validation set (none under the paper's protocol, --valid_share 0).
  valid_args=""
  if [ "$(wc -l < "$data/valid.tsv")" -gt 1 ]; then
    valid_args="data.valid_features=$dump/all data.valid_labels=$data/valid.tsv"
  fi
  log "Stage 2: validation: ${valid_args:-none (all training clips train; the last checkpoint is scored)}"
  train_each_run "$train_jobs" "$systems" "$seeds" train_run
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then classify_each_run "$systems" "$seeds" "$exp" "$score_checkpoint" "$dump/all" "$data/test.tsv" test "$device"; fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: results: $exp/*/eval_test -> $results"
  sedkit results --kind classification --set test --exp "$exp" --systems "$systems" --seeds "$seeds" \
    "${paper[@]}" --baselines conf/baselines.yaml --out "$results" --title "dcase2018_task1/asc1: MrKD (test accuracy and errors)" \
    --note "Corpus: $corpus. Configs: $train_conf + conf/methods/<method>.yaml${train_args:+ with $train_args}." \
    --note "Command: \`$command_line\`.$paper_note" \
    ${results_note:+--note "$results_note"} \
    --note "$(written_note "$device" "$score_checkpoint" "$score_note")"
fi
