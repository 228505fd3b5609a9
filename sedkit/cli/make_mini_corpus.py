"""Build the mini DESED-like corpus: train_synth, train_weak, train_unlabel, validation, validation_synth.

With --task classification: a K-class clip corpus (3 s clips of 6 s recordings, train/valid/test tables).
Everything is generated (the built-in sound bank, or --soundbank DIR in Scaper's layout), mixed with Scaper,
and the "real"-domain sets are passed through a recording chain (room, microphone, noise). --scale grows or
shrinks every set and the built-in bank (1.0: 4700 clips, about 5 minutes on 2 cores with --nj 2). Training
and validation sets never share a source clip: the built-in bank is made twice, a --soundbank is split by
source file (--eval-share), or --eval-soundbank gives the validation sources. With the built-in bank the
two domains draw their events from their own sources (--sources domain, the default since corpus v3; --sources
shared: corpus v2, both domains mix the same clips). Rerunning resumes.

example:
  sedkit make-mini-corpus data/mini --nj 2
  sedkit make-mini-corpus data/tiny --scale 0.05 --seed 1
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUT", help="corpus folder")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every set's size (default 1.0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--soundbank", metavar="DIR", help="use this bank instead of the built-in one")
    parser.add_argument("--eval-soundbank", metavar="DIR",
                        help="sed: a second bank for the validation sets (default: --soundbank split by source file)")
    parser.add_argument("--eval-share", type=float, default=0.3,
                        help="sed: share of each label's files of --soundbank kept for the validation sets "
                             "(default 0.3)")
    parser.add_argument("--sources", choices=("domain", "shared"),
                        help="sed, built-in bank: domain (default): each domain draws its events from its own "
                             "sources, as DESED; shared: both domains mix the same clips (corpus v2)")
    parser.add_argument("--task", choices=("sed", "classification"), default="sed",
                        help="sed: the DESED-like sets; classification: K-class 3 s clips with train/valid/test tables")
    parser.add_argument("--nj", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import time

    from sedkit.data.mini_corpus import make_mini_corpus
    from sedkit.errors import InputError

    if args.nj < 1:
        raise InputError(f"--nj {args.nj}: must be at least 1")
    started = time.perf_counter()
    if args.task == "classification":
        from sedkit.data.mini_corpus import make_mini_classification_corpus

        counts = make_mini_classification_corpus(args.output, args.scale, args.seed, args.soundbank, nj=args.nj,
                                                 progress=False if args.no_progress else None)
        print(f"{args.output}: {sum(counts.values())} clips ({', '.join(f'{k} {v}' for k, v in counts.items())}) "
              f"in {time.perf_counter() - started:.1f} s")
        return 0
    reports = make_mini_corpus(args.output, args.scale, args.seed, args.soundbank, nj=args.nj,
                               progress=False if args.no_progress else None, eval_soundbank=args.eval_soundbank,
                               eval_share=args.eval_share, log=lambda line: print(f"{args.output}: {line}"),
                               sources=args.sources)
    elapsed = time.perf_counter() - started
    made = sum(r.n_made for r in reports.values())
    total = sum(r.n_clips for r in reports.values())
    for name, report in reports.items():
        print(f"{args.output}/{name}: {report.n_clips} clips ({report.n_made} made, {report.n_skipped} kept), "
              f"{report.n_events} events")
    print(f"{args.output}: {total} clips in {elapsed:.1f} s ({made / elapsed if elapsed else 0:.1f} clips/s made)")
    return 0
