#!/usr/bin/env bash
# Kaldi-style option parsing, sourced by a recipe after its option defaults:
#   --stop_stage 3  sets stop_stage=3;  --train-args "x"  sets train_args="x";  --help prints the options.
# The options are the variables utils/common_options.sh declares and those the recipe declares (name=value at
# the start of a line) above the line that sources this file: any other option is an error (exit 2).
# Also sets command_line: the call as typed (values with spaces quoted; --results_note's value, printed on its
# own line in the results, shown as '<the line below>'), which the recipe records in its results file.
command_line="./${0##*/}"
_recipe_options() {  # name=value lines, one per option: the common ones, then the recipe's (a recipe's default wins)
  { cat "$(dirname "${BASH_SOURCE[0]}")/common_options.sh"; sed -n '1,/utils\/parse_options\.sh/p' "$0"; } |
    grep -E '^[a-z_][a-z0-9_]*=' |
    awk -F= '!($1 in line) {order[++n] = $1} {line[$1] = $0} END {for (i = 1; i <= n; i++) print line[order[i]]}'
}
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      echo "usage: $0 [--option value] ..." >&2
      echo "options (default, meaning):" >&2
      _recipe_options | sed -E 's/^([a-z_][a-z0-9_]*)=("?[^#]*"?)[[:space:]]*#?[[:space:]]*(.*)$/  --\1 \2 \3/' >&2
      exit 0 ;;
    --*=*)
      echo "$0: write options as --name value, not $1" >&2; exit 2 ;;
    --*)
      name="${1#--}"; name="${name//-/_}"
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; exit 2; fi
      if ! declare -p "$name" >/dev/null 2>&1 || ! _recipe_options | grep -qE "^${name}="; then
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
