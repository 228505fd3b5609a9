#!/usr/bin/env bash
# log MESSAGE...: a timestamped line on stderr naming the script and line.
log() {
  local where="${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
  echo "$(date '+%Y-%m-%dT%H:%M:%S') (${where}) $*" >&2
}

# done_matches DIR SIGNATURE: true when DIR/.done holds exactly SIGNATURE (the step ran with these inputs).
done_matches() {
  [ -f "$1/.done" ] && [ "$(cat "$1/.done")" = "$2" ]
}

# mark_done DIR SIGNATURE: record that the step that wrote DIR finished with these inputs.
mark_done() {
  mkdir -p "$1" && printf '%s' "$2" > "$1/.done.tmp" && mv "$1/.done.tmp" "$1/.done"
}
