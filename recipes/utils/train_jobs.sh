#!/usr/bin/env bash
# Run a recipe's trainings N at a time on the CPU (the --train_jobs option of every recipe).
#   jobs_start N          begin a group of at most N concurrent commands; sets $jobs_threads (run.num_threads
#                         for each: nproc / N, at least 1; empty when N is 1, so a single run keeps its default)
#   jobs_slot             wait until one of the N slots is free (call it before logging the next command)
#   jobs_run LOG CMD...   N = 1: run CMD in the foreground; N > 1: in the background, stdout and stderr in LOG
#   jobs_wait             wait for every command of the group; fails (status 1) if any of them failed
# Needs utils/log.sh sourced first.
jobs_start() {
  jobs_max="$1"; jobs_pids=(); jobs_threads=""
  case "$jobs_max" in ''|*[!0-9]*|0) echo "$0: --train_jobs $jobs_max: expected a positive integer" >&2; exit 2 ;; esac
  if [ "$jobs_max" -gt 1 ]; then
    local cores; cores=$(nproc)
    jobs_threads="run.num_threads=$(( cores / jobs_max > 0 ? cores / jobs_max : 1 ))"
  fi
}

jobs_slot() {
  while [ "$jobs_max" -gt 1 ] && [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
}

jobs_run() {
  local out="$1"; shift
  if [ "$jobs_max" -le 1 ]; then "$@"; return; fi
  jobs_slot
  mkdir -p "$(dirname "$out")"
  ( "$@" > "$out" 2>&1 || { echo "$0: failed (see $out): $*" >&2; exit 1; } ) &
  jobs_pids+=($!)
}

jobs_wait() {
  local pid failed=0
  for pid in "${jobs_pids[@]}"; do wait "$pid" || failed=1; done
  jobs_pids=()
  if [ "$failed" != 0 ]; then echo "$0: a training failed (see the lines above)" >&2; return 1; fi
}
