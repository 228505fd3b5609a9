#!/usr/bin/env python3
"""Build the mini DESED-like corpus (same as `sedkit make-mini-corpus`)."""
import sys

from sedkit.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["make-mini-corpus", *sys.argv[1:]]))
