#!/usr/bin/env bash
# GTZAN genre classification with the label-smoothing family of the LSR-OS-TC paper (Wang et al. 2021):
# baseline, LSR, Tf-KD, LSR-OS, LSR-OS-TC on nnet1- and nnet2-sized CNNs; clip and song error.
# Stages: 0 data -> 1 features -> 2 train -> 3 test scoring -> 4 RESULTS.md.   ./run.sh --help lists options.
set -euo pipefail
cd "$(dirname "$0")"

stage=0                 # first stage to run
stop_stage=100          # last stage to run
mini=true               # true: a 10-class corpus sedkit generates; false: --gtzan_root
mini_scale=1.0          # size of the generated corpus (1.0: 900 clips of 3 s)
gtzan_root=""           # GTZAN as distributed (one folder per genre): real-corpus mode
methods="ce lsr tfkd lsr_os lsr_os_tc"   # names of conf/methods/*.yaml
models="nnet1 nnet2"    # names of conf/models/*.yaml (the mini corpus uses <model>_mini.yaml)
seeds="1 2 3"           # one run per method, model and seed
nj=2                    # parallel jobs for data and features
train_args=""           # extra section.key=value overrides for sedkit train
train_jobs=1            # trainings run at once on the CPU (each gets nproc/train_jobs threads; log in exp/<run>/)
device=cpu              # cpu, cuda or auto
score_checkpoint=best  # checkpoint scored on test, best (on validation) or last: the LSR-OS-TC paper keeps a validation split (Sec. 5.3): the best epoch on it
data=data               # corpus tables
dump=dump               # features
exp=exp                 # experiments
results_note=""         # an extra line for the results file (say how the runs in --exp were made)
results=RESULTS.md      # results table written by stage 4

. utils/parse_options.sh
case "$score_checkpoint" in best|last) ;; *) echo "$0: --score_checkpoint $score_checkpoint: best or last" >&2; exit 2 ;; esac
[ "$score_checkpoint" = last ] && score_note="the last epoch" || score_note="the best epoch on the validation split, as the LSR-OS-TC paper keeps one, Sec. 5.3"
. utils/log.sh
. utils/train_jobs.sh
. utils/mini_classification.sh
. ./path.sh

[ -n "$gtzan_root" ] && mini=false
if [ "$mini" != true ] && [ -z "$gtzan_root" ]; then echo "$0: --mini false needs --gtzan_root DIR" >&2; exit 2; fi
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

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: features: $data/wav.tsv -> $dump/all ($features_conf)"
  sedkit features "$data/wav.tsv" "$dump/all" --config "$features_conf" --nj "$nj"
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  jobs_start "$train_jobs"
  for method in $methods; do
    for model in $models; do
      for seed in $seeds; do
        tag="${method}_${model}_seed${seed}"
        jobs_slot
        log "Stage 2: train $tag: $train_conf + conf/methods/$method.yaml + conf/models/$model$suffix.yaml -> $exp/$tag"
        jobs_run "$exp/$tag/console.log" sedkit train --config "$train_conf" --config "conf/methods/$method.yaml" \
          --config "conf/models/$model$suffix.yaml" --exp-dir "$exp/$tag" data.train_features="$dump/all" \
          data.train_labels="$data/train.tsv" data.valid_features="$dump/all" data.valid_labels="$data/valid.tsv" \
          run.seed="$seed" run.device="$device" $jobs_threads $train_args
      done
    done
  done
  jobs_wait
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  for method in $methods; do
    for model in $models; do
      for seed in $seeds; do
        tag="${method}_${model}_seed${seed}"
        log "Stage 3: test scoring: $exp/$tag/checkpoints/$score_checkpoint.pt on $data/test.tsv -> $exp/$tag/eval_test"
        sedkit classify --checkpoint "$exp/$tag/checkpoints/$score_checkpoint.pt" --features "$dump/all" --labels "$data/test.tsv" \
          --out "$exp/$tag/eval_test" --device "$device"
      done
    done
  done
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  systems=""
  for method in $methods; do for model in $models; do systems="$systems ${method}_${model}"; done; done
  log "Stage 4: results: $exp/*/eval_test -> $results"
  sedkit results --kind classification --set test --exp "$exp" --systems "$systems" --seeds "$seeds" \
    --paper conf/paper_results.yaml --out "$results" --title "gtzan/cls1: label smoothing family (clip / song error)" \
    --note "Corpus: $corpus. Configs: $train_conf + conf/methods/<method>.yaml + conf/models/<model>$suffix.yaml${train_args:+ with $train_args}." \
    --note "Command: \`$command_line\`. Paper column: GTZAN clip error (%), Table 4." \
    ${results_note:+--note "$results_note"} \
    --note "Written $(date '+%Y-%m-%d %H:%M') on $(nproc) CPU cores, device $device; this run.sh call (from stage $stage) took $((SECONDS / 60)) min; training time per run: last column. Scored: each run's checkpoints/$score_checkpoint.pt ($score_note)."
fi
