#!/usr/bin/env bash
# Steps shared by the classification recipes (sourced by their run.sh; sources utils/runs.sh):
#   corpus_mode ROOT_OPTION ROOT     mini=false when a real corpus ROOT is given; one line and exit 2 when
#                                    --mini false comes without it
#   mini_classification_data DATA SCALE NJ   the generated corpus (sedkit make-mini-corpus --task
#                                    classification) in DATA, skipped when DATA/.done says it was made at SCALE
#   classification_features DATA DUMP CONF NJ   log-mels of DATA/wav.tsv in DUMP/all
. utils/runs.sh

corpus_mode() {
  [ -n "$2" ] && mini=false
  if [ "$mini" != true ] && [ -z "$2" ]; then echo "$0: --mini false needs --$1 DIR" >&2; exit 2; fi
}

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

classification_features() {
  log "Stage 1: features: $1/wav.tsv -> $2/all ($3)"
  sedkit features "$1/wav.tsv" "$2/all" --config "$3" --nj "$4"
}
