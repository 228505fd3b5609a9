#!/usr/bin/env bash
# Acoustic scene classification (DCASE 2018 task 1) with memory-replay knowledge distillation (MrKD, Wang et
# al. 2021): baseline vs MrKD plain / without Knowledge Adjustment / full, with and without mixup.
# Stages: 0 data -> 1 features -> 2 train -> 3 test scoring -> 4 RESULTS.md.   ./run.sh --help lists options.
set -euo pipefail
cd "$(dirname "$0")"

stage=0                 # first stage to run
stop_stage=100          # last stage to run
mini=true               # true: a 10-class corpus sedkit generates; false: --asc_root
mini_scale=1.0          # size of the generated corpus
asc_root=""             # TUT-urban-acoustic-scenes-2018-development as distributed: real-corpus mode
asc_corpus=tut2018      # what --asc_root holds: tut2018 (DCASE 2018 task 1) or tau2020_3class (DCASE 2020 task 1b)
methods="ce mrkd_plain mrkd_no_ka mrkd"   # names of conf/methods/*.yaml
mixup="false true"      # run each method without and/or with mixup (alpha 0.2)
seeds="1 2 3"           # one run per method, mixup setting and seed
nj=2                    # parallel jobs for data and features
train_args=""           # extra section.key=value overrides for sedkit train
train_jobs=1            # trainings run at once on the CPU (each gets nproc/train_jobs threads; log in exp/<run>/)
device=cpu              # cpu, cuda or auto
score_checkpoint=last  # checkpoint scored on test, best (on validation) or last: the MrKD paper reports the last epoch (Sec. 4.1)
valid_share=0           # real corpus: training locations held out for validation; 0 (the paper's protocol): every
                        # fold-1 training clip trains and nothing is validated (needs --score_checkpoint last)
data=data               # corpus tables
dump=dump               # features
exp=exp                 # experiments
results_note=""         # an extra line for the results file (say how the runs in --exp were made)
results=RESULTS.md      # results table written by stage 4

. utils/parse_options.sh
case "$score_checkpoint" in best|last) ;; *) echo "$0: --score_checkpoint $score_checkpoint: best or last" >&2; exit 2 ;; esac
[ "$score_checkpoint" = last ] && score_note="the last epoch, as the MrKD paper reports, Sec. 4.1" || score_note="the best epoch on the validation set"
if [ -n "$asc_root" ] && [ "$valid_share" = 0 ] && [ "$score_checkpoint" = best ]; then
  echo "$0: --score_checkpoint best needs a validation set: give --valid_share (e.g. 0.1)" >&2; exit 2
fi
. utils/log.sh
. utils/train_jobs.sh
. utils/mini_classification.sh
. ./path.sh

[ -n "$asc_root" ] && mini=false
if [ "$mini" != true ] && [ -z "$asc_root" ]; then echo "$0: --mini false needs --asc_root DIR" >&2; exit 2; fi
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

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: features: $data/wav.tsv -> $dump/all ($features_conf)"
  sedkit features "$data/wav.tsv" "$dump/all" --config "$features_conf" --nj "$nj"
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  # Validate only where there is a validation set (none under the paper's protocol, --valid_share 0).
  valid_args=""
  if [ "$(wc -l < "$data/valid.tsv")" -gt 1 ]; then
    valid_args="data.valid_features=$dump/all data.valid_labels=$data/valid.tsv"
  fi
  log "Stage 2: validation: ${valid_args:-none (all training clips train; the last checkpoint is scored)}"
  jobs_start "$train_jobs"
  for method in $methods; do
    for mix in $mixup; do
      for seed in $seeds; do
        tag="$(tag_of "$method" "$mix")_seed${seed}"
        alpha=0.0; [ "$mix" = true ] && alpha=0.2
        jobs_slot
        log "Stage 2: train $tag: $train_conf + conf/methods/$method.yaml (mixup alpha $alpha) -> $exp/$tag"
        jobs_run "$exp/$tag/console.log" sedkit train --config "$train_conf" ${model_conf:+--config "$model_conf"} \
          --config "conf/methods/$method.yaml" \
          --exp-dir "$exp/$tag" data.train_features="$dump/all" data.train_labels="$data/train.tsv" \
          $valid_args data.mixup_alpha="$alpha" \
          run.seed="$seed" run.device="$device" $jobs_threads $train_args
      done
    done
  done
  jobs_wait
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  for method in $methods; do
    for mix in $mixup; do
      for seed in $seeds; do
        tag="$(tag_of "$method" "$mix")_seed${seed}"
        log "Stage 3: test scoring: $exp/$tag/checkpoints/$score_checkpoint.pt on $data/test.tsv -> $exp/$tag/eval_test"
        sedkit classify --checkpoint "$exp/$tag/checkpoints/$score_checkpoint.pt" --features "$dump/all" --labels "$data/test.tsv" \
          --out "$exp/$tag/eval_test" --device "$device"
      done
    done
  done
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  systems=""
  for method in $methods; do for mix in $mixup; do systems="$systems $(tag_of "$method" "$mix")"; done; done
  log "Stage 4: results: $exp/*/eval_test -> $results"
  sedkit results --kind classification --set test --exp "$exp" --systems "$systems" --seeds "$seeds" \
    "${paper[@]}" --out "$results" --title "dcase2018_task1/asc1: MrKD (test accuracy and errors)" \
    --note "Corpus: $corpus. Configs: $train_conf + conf/methods/<method>.yaml${train_args:+ with $train_args}." \
    --note "Command: \`$command_line\`.$paper_note" \
    ${results_note:+--note "$results_note"} \
    --note "Written $(date '+%Y-%m-%d %H:%M') on $(nproc) CPU cores, device $device; this run.sh call (from stage $stage) took $((SECONDS / 60)) min; training time per run: last column. Scored: each run's checkpoints/$score_checkpoint.pt ($score_note)."
fi
