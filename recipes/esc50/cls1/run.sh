#!/usr/bin/env bash
# Online and ensemble distillation on ESC-50: Cut^nMix (Shen et al.) with the ablations of its Tables 1-2, and
# UniKD (Wu et al.) against a single teacher, the teacher ensemble, KD-Labeled and KD-Unlabeled.
# Stages: 0 data -> 1 features -> 2 Cut^nMix training -> 3 UniKD teachers and students -> 4 test scoring
#         -> 5 RESULTS.md.   ./run.sh --help lists the options.
set -euo pipefail
cd "$(dirname "$0")"

stage=0                 # first stage to run
stop_stage=100          # last stage to run
mini=true               # true: a 10-class corpus sedkit generates; false: --esc50_root
mini_scale=1.0          # size of the generated corpus
esc50_root=""           # ESC-50 as distributed (audio/, meta/esc50.csv): real-corpus mode
test_fold=5             # ESC-50 test fold (validation: the next lower fold)
cutnmix_methods="ce dml cutmix_single dml_cutmix cutnmix_only cutnmix_mmd cutnmix_pt cutnmix"  # conf/methods/*.yaml
unikd_methods="kd_labeled kd_unlabeled unikd"   # students of the teacher ensemble
teachers="101 102 103 104 105"   # seeds of the N teachers (trained on the labelled half)
labeled_share=0.5       # share of the training groups that keep their labels for UniKD
seeds="1 2 3"           # one run per method and seed
nj=2                    # parallel jobs for data and features
train_args=""           # extra section.key=value overrides for sedkit train
train_jobs=1            # trainings run at once on the CPU (each gets nproc/train_jobs threads; log in exp/<run>/)
device=cpu              # cpu, cuda or auto
score_checkpoint=last  # checkpoint scored on test, best (on validation) or last: Cut^nMix trains a fixed schedule (no validation set on CIFAR); UniKD tunes on validation, not epochs
data=data               # corpus tables
dump=dump               # features
exp=exp                 # experiments
results_note=""         # an extra line for the results file (say how the runs in --exp were made)
results=RESULTS.md      # results written by stage 5

. utils/parse_options.sh
case "$score_checkpoint" in best|last) ;; *) echo "$0: --score_checkpoint $score_checkpoint: best or last" >&2; exit 2 ;; esac
[ "$score_checkpoint" = last ] && score_note="the last epoch: Cut^nMix trains a fixed schedule" || score_note="the best epoch on the validation fold"
. utils/log.sh
. utils/train_jobs.sh
. utils/mini_classification.sh
. ./path.sh

[ -n "$esc50_root" ] && mini=false
if [ "$mini" != true ] && [ -z "$esc50_root" ]; then echo "$0: --mini false needs --esc50_root DIR" >&2; exit 2; fi
valid_fold=$(( test_fold == 1 ? 5 : test_fold - 1 ))
if [ "$mini" = true ]; then
  features_conf=conf/features_mini.yaml; train_conf=conf/train_mini.yaml; corpus="mini (scale $mini_scale)"
else
  features_conf=conf/features.yaml; train_conf=conf/train.yaml; corpus="ESC-50 ($esc50_root), test fold $test_fold"
  sedkit prepare-corpus esc50 "$esc50_root" "$data" --test-fold "$test_fold" --valid-fold "$valid_fold" >/dev/null
fi
for name in $cutnmix_methods $unikd_methods; do
  [ -f "conf/methods/$name.yaml" ] || { echo "$0: unknown method $name" >&2; exit 2; }
done
common="data.train_features=$dump/all data.valid_features=$dump/all data.valid_labels=$data/valid.tsv run.device=$device"

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  if [ "$mini" = true ]; then
    mini_classification_data "$data" "$mini_scale" "$nj"
  else
    log "Stage 0: data: $esc50_root -> $data/ (test fold $test_fold, validation fold $valid_fold)"
    sedkit prepare-corpus esc50 "$esc50_root" "$data" --test-fold "$test_fold" --valid-fold "$valid_fold"
  fi
  log "Stage 0: data: $data/train.tsv -> $data/{labeled,unlabeled}.tsv (share $labeled_share, by group)"
  sedkit split-labeled "$data/train.tsv" "$data/labeled.tsv" "$data/unlabeled.tsv" --share "$labeled_share"
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "Stage 1: features: $data/wav.tsv -> $dump/all ($features_conf)"
  sedkit features "$data/wav.tsv" "$dump/all" --config "$features_conf" --nj "$nj"
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  jobs_start "$train_jobs"
  for method in $cutnmix_methods; do
    for seed in $seeds; do
      jobs_slot
      log "Stage 2: train ${method}_seed$seed: $train_conf + conf/methods/$method.yaml -> $exp/${method}_seed$seed"
      jobs_run "$exp/${method}_seed$seed/console.log" sedkit train --config "$train_conf" \
        --config "conf/methods/$method.yaml" --exp-dir "$exp/${method}_seed$seed" \
        $common data.train_labels="$data/train.tsv" run.seed="$seed" $jobs_threads $train_args
    done
  done
  jobs_wait
fi

teacher_checkpoints="[$(for t in $teachers; do printf '%s,' "$exp/teacher_seed$t/checkpoints/$score_checkpoint.pt"; done | sed 's/,$//')]"
if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  jobs_start "$train_jobs"
  for t in $teachers; do
    jobs_slot
    log "Stage 3: train teacher_seed$t on $data/labeled.tsv -> $exp/teacher_seed$t"
    jobs_run "$exp/teacher_seed$t/console.log" sedkit train --config "$train_conf" --config conf/methods/ce.yaml \
      --exp-dir "$exp/teacher_seed$t" $common data.train_labels="$data/labeled.tsv" run.seed="$t" $jobs_threads $train_args
  done
  jobs_wait   # the students need every teacher
  for method in $unikd_methods; do
    for seed in $seeds; do
      jobs_slot
      log "Stage 3: train ${method}_seed$seed from the $(echo $teachers | wc -w) teachers -> $exp/${method}_seed$seed"
      jobs_run "$exp/${method}_seed$seed/console.log" sedkit train --config "$train_conf" \
        --config "conf/methods/$method.yaml" --exp-dir "$exp/${method}_seed$seed" \
        $common data.train_labels="$data/labeled.tsv" data.unlabeled_features="$dump/all" \
        data.unlabeled_labels="$data/unlabeled.tsv" criterion.unikd.teacher_checkpoints="$teacher_checkpoints" \
        run.seed="$seed" $jobs_threads $train_args
    done
  done
  jobs_wait
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  for tag in $(for m in $cutnmix_methods $unikd_methods; do for s in $seeds; do echo "${m}_seed$s"; done; done) \
             $(for t in $teachers; do echo "teacher_seed$t"; done); do
    log "Stage 4: test scoring: $exp/$tag -> $exp/$tag/eval_test"
    sedkit classify --checkpoint "$exp/$tag/checkpoints/$score_checkpoint.pt" --features "$dump/all" --labels "$data/test.tsv" \
      --out "$exp/$tag/eval_test" --device "$device"
  done
  log "Stage 4: test scoring: the teacher ensemble (mean probabilities) -> $exp/ensemble_seed0/eval_test"
  sedkit classify --checkpoint $(for t in $teachers; do echo "$exp/teacher_seed$t/checkpoints/$score_checkpoint.pt"; done) \
    --features "$dump/all" --labels "$data/test.tsv" --out "$exp/ensemble_seed0/eval_test" --device "$device"
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
  log "Stage 5: results: $exp/*/eval_test -> $results"
  note1="Corpus: $corpus. Configs: $train_conf + conf/methods/<method>.yaml${train_args:+ with $train_args}. Command: \`$command_line\`."
  note2="Written $(date '+%Y-%m-%d %H:%M') on $(nproc) CPU cores, device $device; this run.sh call (from stage $stage) took $((SECONDS / 60)) min; training time per run: last column. Scored: each run's checkpoints/$score_checkpoint.pt ($score_note).${results_note:+ $results_note}"
  parts=$(mktemp -d)  # each table written on its own (its plots beside it), then joined into one file
  sedkit results --kind classification --set test --exp "$exp" --systems "$cutnmix_methods" --seeds "$seeds" \
    --paper conf/paper_results.yaml --out "$parts/cutnmix/RESULTS.md" --title "esc50/cls1: Cut^nMix (Tables 1-2)" \
    --note "$note1" --note "Paper column: ResNet-110 CIFAR-100 top-1 (%) of Tables 1-2 - orientation only, no audio in the paper." \
    --note "$note2" >/dev/null
  sedkit results --kind classification --set test --exp "$exp" --systems "teacher" --seeds "$teachers" \
    --paper conf/paper_results.yaml --out "$parts/teachers/RESULTS.md" --title "teachers" >/dev/null
  sedkit results --kind classification --set test --exp "$exp" --systems "ensemble $unikd_methods" \
    --seeds "0 $seeds" --paper conf/paper_results.yaml --out "$parts/unikd/RESULTS.md" \
    --title "esc50/cls1: UniKD (Table 2)" --note "$note1" \
    --note "Teachers: seeds $teachers on $data/labeled.tsv; 'ensemble' averages their probabilities. Paper column: BERT on SST-2 (%) - orientation only." \
    --note "$note2" >/dev/null
  { cat "$parts/cutnmix/RESULTS.md"; echo; echo "Single teachers (the UniKD teachers, each scored alone; paper column: SST-2, orientation only):"; echo;
    sed -n '/^| system/,/^$/p' "$parts/teachers/RESULTS.md"; cat "$parts/unikd/RESULTS.md"; } > "$results.tmp"
  cp "$parts"/cutnmix/RESULTS_*.png "$parts"/unikd/RESULTS_*.png .  # the teachers table shows no plot
  mv "$results.tmp" "$results" && rm -r "$parts"
  cat "$results"
fi
