"""Generate sedkit's built-in procedural sound bank (10 DESED classes, two background families).

Writes OUT/foreground/<class>/*.wav and OUT/background/{home,room}/*.wav in Scaper's layout, made with
numpy/scipy only (see docs/data.md for what each class sounds like).

example:
  sedkit soundbank bank/ --clips-per-class 20 --seed 3
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUT", help="bank folder to write")
    parser.add_argument("--clips-per-class", type=int, default=12, help="foreground clips per class (default 12)")
    parser.add_argument("--backgrounds-per-label", type=int, default=6, help="clips per background label (default 6)")
    parser.add_argument("--sample-rate", type=int, default=22050, help="Hz (default 22050)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args: argparse.Namespace) -> int:
    from sedkit.data.soundbank import SoundBankConfig, write_soundbank
    from sedkit.errors import InputError

    if args.clips_per_class < 1 or args.backgrounds_per_label < 1 or args.sample_rate < 8000:
        raise InputError("--clips-per-class and --backgrounds-per-label must be >= 1, --sample-rate >= 8000")
    counts = write_soundbank(args.output, SoundBankConfig(args.sample_rate, args.clips_per_class,
                                                          args.backgrounds_per_label, seed=args.seed))
    print(f"{args.output}: {sum(counts.values())} clips in {len(counts)} labels")
    return 0
