#!/usr/bin/env python3
"""Split a training table by group into labelled / unlabelled halves (UniKD's protocol).

usage: data_prep/split_labeled.py TRAIN.tsv LABELED.tsv UNLABELED.tsv [--share 0.5] [--seed 0]
"""
import argparse
import sys

from sedkit.data.corpora import split_labeled
from sedkit.errors import InputError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table")
    parser.add_argument("labeled")
    parser.add_argument("unlabeled")
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        n_labeled, n_unlabeled = split_labeled(args.table, args.labeled, args.unlabeled, args.share, args.seed)
    except InputError as exc:
        print(f"split_labeled: error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.labeled}: {n_labeled} clips; {args.unlabeled}: {n_unlabeled} clips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
