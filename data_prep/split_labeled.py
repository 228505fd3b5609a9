#!/usr/bin/env python3
"""Split a training table by group into labelled / unlabelled halves: the same as `sedkit split-labeled`
(kept for scripts that call data_prep/)."""
import sys

from sedkit.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["split-labeled", *sys.argv[1:]]))
