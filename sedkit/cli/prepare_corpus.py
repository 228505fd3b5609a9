"""Prepare a corpus you already have: DESED 2020 (DCASE 2020 task 4, SED), GTZAN, TUT Urban Acoustic Scenes 2018
(DCASE 2018 task 1), TAU Urban Acoustic Scenes 2020 3Class (DCASE 2020 task 1b), ESC-50. The layout is checked
first (one line naming what is missing, exit 2). desed writes OUT/<set>/ (train_synth, train_weak,
train_unlabel, validation and the held-out validation_synth: audio link, strong.tsv or weak.tsv, durations.tsv)
and OUT/classes.txt (docs/recipes.md); the others write OUT/wav.tsv (input of `sedkit features`) and
OUT/{train,valid,test}.tsv (filename, label, group) with the papers' protocols (docs/classification.md).

DESED copies often miss audio their tables list (clips taken off YouTube): desed lists every such clip in
OUT/missing_audio.tsv and stops with one summary line, or with --allow-missing prepares the clips that exist;
OUT/counts.tsv gives per set the official and the present clip counts (the recipe's results state them).

examples:
  sedkit prepare-corpus desed /data/DESED data
  sedkit prepare-corpus desed /data/DESED_incomplete data --allow-missing
  sedkit prepare-corpus gtzan /data/GTZAN data/gtzan
  sedkit prepare-corpus tut2018 /data/TUT-urban-acoustic-scenes-2018-development data/asc
  sedkit prepare-corpus tau2020_3class /data/TAU-urban-acoustic-scenes-2020-3class-development data/asc
  sedkit prepare-corpus esc50 /data/ESC-50-master data/esc50 --test-fold 1 --valid-fold 2
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", choices=("desed", "gtzan", "tut2018", "tau2020_3class", "esc50"))
    parser.add_argument("root", metavar="ROOT", help="the corpus as distributed")
    parser.add_argument("output", metavar="OUT", help="folder for the tables")
    parser.add_argument("--allow-missing", action="store_true",
                        help="desed: prepare the clips whose audio exists when some listed ones are missing")
    parser.add_argument("--seed", type=int, default=0, help="split seed (gtzan, tut2018, tau2020_3class)")
    parser.add_argument("--test-fold", type=int, default=5, help="esc50: test fold (default 5)")
    parser.add_argument("--valid-fold", type=int, default=4, help="esc50: validation fold (default 4)")
    parser.add_argument("--valid-share", type=float, default=0.1,
                        help="tut2018, tau2020_3class: share of the training locations held out for validation "
                             "(default 0.1; 0: none, every training clip trains)")


def run(args: argparse.Namespace) -> int:
    import sys

    from sedkit.data import corpora

    if args.corpus == "desed":
        def warn(line):
            print(f"sedkit prepare-corpus: warning: {line}", file=sys.stderr)

        counts = corpora.prepare_desed(args.root, args.output, allow_missing=args.allow_missing, log=warn)
    elif args.corpus == "gtzan":
        counts = corpora.prepare_gtzan(args.root, args.output, seed=args.seed)
    elif args.corpus == "tut2018":
        counts = corpora.prepare_tut2018(args.root, args.output, seed=args.seed, valid_share=args.valid_share)
    elif args.corpus == "tau2020_3class":
        counts = corpora.prepare_tau2020_3class(args.root, args.output, seed=args.seed, valid_share=args.valid_share)
    else:
        counts = corpora.prepare_esc50(args.root, args.output, args.test_fold, args.valid_fold)
    print(f"{args.output}: {', '.join(f'{k} {v} clips' for k, v in counts.items())}")
    return 0
