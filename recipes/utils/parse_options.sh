#!/usr/bin/env bash
# Kaldi-style option parsing, sourced by a recipe after its option defaults:
#   --stop_stage 3  sets stop_stage=3;  --train-args "x"  sets train_args="x";  --help prints the options.
# Only variables the recipe declared are accepted: an unknown option is an error (exit 2).
# Also sets command_line: the call as typed (values with spaces quoted; --results_note's value, printed on its
# own line in the results, shown as '<the line below>'), which the recipe records in its results file.
command_line="./${0##*/}"
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      echo "usage: $0 [--option value] ..." >&2
      echo "options (default, meaning):" >&2
      grep -E '^[a-z_]+=' "$0" | sed -E 's/^([a-z_]+)=("?[^#]*"?)[[:space:]]*#?[[:space:]]*(.*)$/  --\1 \2 \3/' >&2
      exit 0 ;;
    --*=*)
      echo "$0: write options as --name value, not $1" >&2; exit 2 ;;
    --*)
      name="${1#--}"; name="${name//-/_}"
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; exit 2; fi
      if ! declare -p "$name" >/dev/null 2>&1 || ! grep -qE "^${name}=" "$0"; then
        echo "$0: unknown option $1 (see --help)" >&2; exit 2
      fi
      printf -v "$name" '%s' "$2"
      value="$2"; [ "$name" = results_note ] && value="<the line below>"
      case "$value" in *[[:space:]]*|'') command_line+=" $1 '$value'" ;; *) command_line+=" $1 $value" ;; esac
      shift 2 ;;
    *)
      echo "$0: unexpected argument $1 (options are --name value; see --help)" >&2; exit 2 ;;
  esac
done
