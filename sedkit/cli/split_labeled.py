"""Split a classification table (filename, label, group) by group into a labelled and an unlabelled part:
SHARE of the groups of every class keep their labels (UniKD's protocol, Wu et al. 2022: half the training
data loses its labels). The unlabelled table keeps its labels for analysis; UniKD never reads them.

examples:
  sedkit split-labeled data/train.tsv data/labeled.tsv data/unlabeled.tsv
  sedkit split-labeled data/train.tsv data/labeled.tsv data/unlabeled.tsv --share 0.25 --seed 3
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", metavar="TABLE", help="filename, label, group table (from prepare-corpus)")
    parser.add_argument("labeled", metavar="LABELED", help="where to write the labelled part")
    parser.add_argument("unlabeled", metavar="UNLABELED", help="where to write the unlabelled part")
    parser.add_argument("--share", type=float, default=0.5, help="share of each class's groups labelled (0.5)")
    parser.add_argument("--seed", type=int, default=0, help="split seed (0)")


def run(args: argparse.Namespace) -> int:
    from sedkit.data.corpora import split_labeled
    from sedkit.errors import InputError

    if not 0.0 < args.share < 1.0:
        raise InputError(f"--share must be in (0, 1), got {args.share}")
    n_labeled, n_unlabeled = split_labeled(args.table, args.labeled, args.unlabeled, args.share, args.seed)
    print(f"{args.labeled}: {n_labeled} clips; {args.unlabeled}: {n_unlabeled} clips")
    return 0
