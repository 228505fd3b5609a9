#!/usr/bin/env python3
"""Synthesize soundscapes from a sound bank (same as `sedkit synth`)."""
import sys

from sedkit.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["synth", *sys.argv[1:]]))
