#!/usr/bin/env bash
# Environment of this recipe: the shared one (sedkit on PATH); add corpus-specific settings here.
. utils/path.sh
