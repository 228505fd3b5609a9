#!/usr/bin/env bash
# Sourced by each recipe's path.sh: puts the repository's .venv (made by `make demo` / `make test`) first on
# PATH so that `sedkit` is found, or says how to install it.
SEDKIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/../.."
SEDKIT_ROOT="$(cd "$SEDKIT_ROOT" && pwd)"
if [ -x "$SEDKIT_ROOT/.venv/bin/sedkit" ]; then
  export PATH="$SEDKIT_ROOT/.venv/bin:$PATH"
fi
if ! command -v sedkit >/dev/null 2>&1; then
  echo "sedkit is not installed: run 'make demo' or 'make test' in $SEDKIT_ROOT, or pip install it" >&2
  exit 1
fi
export PYTHONUNBUFFERED=1
