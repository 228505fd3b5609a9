#!/usr/bin/env bash
# The system x seed loops that every recipe's stages share; run folders are named where sedkit defines them
# (sedkit/reporting.py, through `sedkit results path runs`), never spelled here. Sourced by run.sh (it sources
# utils/log.sh and utils/train_jobs.sh, the other shared pieces). A recipe's stage defines what one run does, as a function of
# (system, seed, run folder), and hands it to one of these:
#   for_each_run "SYSTEMS" "SEEDS" FN         FN SYSTEM SEED RUN for every run, one after another, in order
#                                             (systems as listed, seeds within each); stops at a failure
#   train_each_run JOBS "SYSTEMS" "SEEDS" FN  the same through JOBS training slots (--train_jobs): FN starts
#                                             its training with `jobs_run LOG CMD...`; waits for all at the end
. utils/log.sh
. utils/train_jobs.sh

# checkpoint_note CHECKPOINT LAST_NOTE BEST_NOTE: --score_checkpoint checked (best or last; else one line and
# exit 2), and the note that says how the scored checkpoint was chosen.
checkpoint_note() {
  one_of score_checkpoint "$1" best last
  if [ "$1" = last ]; then echo "$2"; else echo "$3"; fi
}

# one_of OPTION VALUE CHOICE...: nothing when VALUE is one of the CHOICEs, else one line and exit 2.
one_of() {
  local option="$1" value="$2"; shift 2
  case " $* " in *" $value "*) return 0 ;; esac
  echo "$0: --$option $value: one of $*" >&2; exit 2
}

for_each_run() {
  local systems="$1" seeds="$2" fn="$3" system seed run listing
  listing="$(sedkit results path runs --systems "$systems" --seeds "$seeds")" || exit 2
  while read -r system seed run; do
    [ -n "$system" ] || continue
    "$fn" "$system" "$seed" "$run" < /dev/null
  done <<< "$listing"
}

train_each_run() {
  local jobs="$1"; shift
  jobs_start "$jobs"
  for_each_run "$1" "$2" "$3"
  jobs_wait
}


# classify_each_run "SYSTEMS" "SEEDS" EXP CHECKPOINT FEATURES LABELS SET DEVICE: the classification recipes'
# scoring stage: every run's checkpoints/CHECKPOINT.pt on the clips of LABELS -> EXP/<run>/eval_<SET>/.
classify_each_run() {
  log "Scoring: every run's checkpoints/$4.pt on $6"
  _classify_args=("${@:3}")
  for_each_run "$1" "$2" _classify_run
}
_classify_run() {
  local run="$3" exp="${_classify_args[0]}" checkpoint="${_classify_args[1]}" features="${_classify_args[2]}"
  local labels="${_classify_args[3]}" set="${_classify_args[4]}" device="${_classify_args[5]}" out
  out="$exp/$run/$(sedkit results path scored --kind classification --set "$set")"
  log "Scoring: $exp/$run/checkpoints/$checkpoint.pt -> $out"
  sedkit classify --checkpoint "$exp/$run/checkpoints/$checkpoint.pt" --features "$features" --labels "$labels" \
    --out "$out" --device "$device"
}

# written_note DEVICE CHECKPOINT WHY: the results' last note: when, where, how long, and what was scored.
written_note() {
  echo "Written $(date '+%Y-%m-%d %H:%M') on $(nproc) CPU cores, device $1; this run.sh call (from stage $stage) took $((SECONDS / 60)) min; training time per run: last column. Scored: each run's checkpoints/$2.pt ($3)."
}
