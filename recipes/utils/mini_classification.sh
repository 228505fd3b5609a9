#!/usr/bin/env bash
# mini_classification_data DATA SCALE NJ: the generated classification corpus (sedkit make-mini-corpus
# --task classification) in DATA, skipped when DATA/.done says it was made at this scale.
# Needs utils/log.sh sourced first.
mini_classification_data() {
  local data="$1" scale="$2" nj="$3" signature="scale=$2"
  if done_matches "$data" "$signature"; then
    log "Stage 0: data: $data already made ($signature)"
  else
    log "Stage 0: data: built-in sound bank -> $data/{audio,wav.tsv,train.tsv,valid.tsv,test.tsv} ($signature)"
    sedkit make-mini-corpus "$data" --task classification --scale "$scale" --nj "$nj"
    mark_done "$data" "$signature"
  fi
}
