#!/usr/bin/env python3
"""Draw one class in the synthetic and the real domain (the picture in docs/data.md).

usage: data_prep/plot_domains.py OUT.png [--label Dog] [--seed 0]
"""
import argparse

from sedkit.data.plots import plot_domains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--label", default="Dog")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    plot_domains(args.out, args.label, args.seed)
    print(f"{args.out}: written")


if __name__ == "__main__":
    main()
