"""Draw one class in the synthetic and the real domain of the generated corpus (the pictures in docs/data.md).

example:
  sedkit plot-domains docs/img/domains_dog.png --label Dog --seed 2
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUT.png", help="picture to write")
    parser.add_argument("--label", default="Dog", help="a class of the built-in bank (default Dog)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the clip drawn (default 0)")


def run(args: argparse.Namespace) -> int:
    from sedkit.data.plots import plot_domains

    plot_domains(args.output, args.label, args.seed)
    print(f"{args.output}: written")
    return 0
