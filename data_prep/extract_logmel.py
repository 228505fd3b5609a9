#!/usr/bin/env python3
"""Extract log-mel features (same as `sedkit features`; kept for recipes that call data_prep/ scripts)."""
import sys

from sedkit.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["features", *sys.argv[1:]]))
