#!/usr/bin/env bash
# Online and ensemble distillation on ESC-50: Cut^nMix (Shen et al.) with the ablations of its Tables 1-2, and
# UniKD (Wu et al.) against a single teacher, the teacher ensemble, KD-Labeled and KD-Unlabeled.
# Stages: 0 data -> 1 features -> 2 Cut^nMix training -> 3 UniKD teachers and students -> 4 test scoring
#         -> 5 RESULTS.md.   ./run.sh --help lists the options.
set -euo pipefail
cd "$(dirname "$0")"

. utils/common_options.sh  # --stage --stop_stage --seeds --nj --train_args --train_jobs --device --data --dump --exp --results_note --results
mini=true               # true: a 10-class corpus sedkit generates; false: --esc50_root
mini_scale=1.0          # size of the generated corpus
esc50_root=""           # ESC-50 as distributed (audio/, meta/esc50.csv): real-corpus mode
test_fold=5             # ESC-50 test fold (validation: the next lower fold)
cutnmix_methods="ce dml cutmix_single dml_cutmix cutnmix_only cutnmix_mmd cutnmix_pt cutnmix"  # conf/methods/*.yaml
unikd_methods="kd_labeled kd_unlabeled unikd unikd_lambda0 unikd_lambda1 unikd_no_weights unikd_no_factor"  # students of the teachers
teachers="101 102 103 104 105"   # seeds of the N teachers (trained on the labelled half)
labeled_share=0.5       # share of the training groups that keep their labels for UniKD
score_checkpoint=last  # checkpoint scored on test, best (on validation) or last: Cut^nMix trains a fixed schedule (no validation set on CIFAR); UniKD tunes on validation, not epochs

. utils/parse_options.sh
. utils/classification.sh  # shared steps: log, done markers, training slots, the system x seed loops, data
. ./path.sh
score_note="$(checkpoint_note "$score_checkpoint" "the last epoch: Cut^nMix trains a fixed schedule" \
  "the best epoch on the validation fold")"

corpus_mode esc50_root "$esc50_root"
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

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then classification_features "$data" "$dump" "$features_conf" "$nj"; fi

train_run() {  # stages 2-3, one run of a method (the Cut^nMix methods on train.tsv, UniKD's on the labelled
  #             share with the teachers' checkpoints, the teachers by conf/methods/teacher.yaml on it)
  local method="$1" run="$3" labels="$data/train.tsv" extra=""
  case " $unikd_methods teacher " in
    *" $method "*) labels="$data/labeled.tsv" ;;
  esac
  case " $unikd_methods " in
    *" $method "*) extra="data.unlabeled_features=$dump/all data.unlabeled_labels=$data/unlabeled.tsv
      criterion.unikd.teacher_checkpoints=$teacher_checkpoints" ;;
  esac
  jobs_slot
  log "Stage $stage_now: train $run: $train_conf + conf/methods/$method.yaml on $labels -> $exp/$run"
  jobs_run "$exp/$run/console.log" sedkit train --config "$train_conf" --config "conf/methods/$method.yaml" \
    --exp-dir "$exp/$run" $common data.train_labels="$labels" $extra run.seed="$2" $jobs_threads $train_args
}

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  stage_now=2; train_each_run "$train_jobs" "$cutnmix_methods" "$seeds" train_run
fi

teacher_checkpoints="[$(for t in $teachers; do printf '%s,' "$exp/$(sedkit results path run --system teacher --seed "$t")/checkpoints/$score_checkpoint.pt"; done | sed 's/,$//')]"
if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  stage_now=3
  train_each_run "$train_jobs" teacher "$teachers" train_run   # the students need every teacher
  train_each_run "$train_jobs" "$unikd_methods" "$seeds" train_run
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "Stage 4: test scoring: every run's checkpoints/$score_checkpoint.pt on $data/test.tsv"
  classify_each_run "$cutnmix_methods $unikd_methods" "$seeds" "$exp" "$score_checkpoint" "$dump/all" "$data/test.tsv" \
    test "$device"
  classify_each_run teacher "$teachers" "$exp" "$score_checkpoint" "$dump/all" "$data/test.tsv" test "$device"
  ensemble="$exp/$(sedkit results path run --system ensemble --seed 0)/$(sedkit results path scored --kind classification --set test)"
  log "Stage 4: test scoring: the teacher ensemble (mean probabilities) -> $ensemble"
  sedkit classify --checkpoint $(for t in $teachers; do echo "$exp/$(sedkit results path run --system teacher --seed "$t")/checkpoints/$score_checkpoint.pt"; done) \
    --features "$dump/all" --labels "$data/test.tsv" --out "$ensemble" --device "$device"
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
  log "Stage 5: results: $exp/*/eval_test -> $results"
  note1="Corpus: $corpus. Configs: $train_conf + conf/methods/<method>.yaml${train_args:+ with $train_args}. Command: \`$command_line\`."
  note2="$(written_note "$device" "$score_checkpoint" "$score_note")${results_note:+ $results_note}"
  parts=$(mktemp -d)  # each table written on its own (its plots beside it), then joined into one file
  sedkit results --kind classification --set test --exp "$exp" --systems "$cutnmix_methods" --seeds "$seeds" \
    --paper conf/paper_results.yaml --baselines conf/baselines.yaml --out "$parts/cutnmix/RESULTS.md" --title "esc50/cls1: Cut^nMix (Tables 1-2)" \
    --note "$note1" --note "Paper column: ResNet-110 CIFAR-100 top-1 (%) of Tables 1-2 - orientation only, no audio in the paper." \
    --note "$note2" >/dev/null
  sedkit results --kind classification --set test --exp "$exp" --systems "teacher" --seeds "$teachers" \
    --paper conf/paper_results.yaml --out "$parts/teachers/RESULTS.md" --title "teachers" >/dev/null
  sedkit results --kind classification --set test --exp "$exp" --systems "ensemble $unikd_methods" \
    --seeds "0 $seeds" --paper conf/paper_results.yaml --baselines conf/baselines.yaml --out "$parts/unikd/RESULTS.md" \
    --title "esc50/cls1: UniKD (Table 2)" --note "$note1" \
    --note "Teachers: seeds $teachers on $data/labeled.tsv; 'ensemble' averages their probabilities. Paper column: BERT on SST-2 (%) - orientation only." \
    --note "$note2" >/dev/null
  { cat "$parts/cutnmix/RESULTS.md"; echo; echo "Single teachers (the UniKD teachers, each scored alone; paper column: SST-2, orientation only):"; echo;
    sed -n '/^| system/,/^$/p' "$parts/teachers/RESULTS.md"; cat "$parts/unikd/RESULTS.md"; } > "$results.tmp"
  cp "$parts"/cutnmix/RESULTS_*.png "$parts"/unikd/RESULTS_*.png .  # the teachers table shows no plot
  mv "$results.tmp" "$results" && rm -r "$parts"
  cat "$results"
fi
