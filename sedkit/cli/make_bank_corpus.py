"""Build the corpus that trains a detector from your own recordings, and its evaluation sets.

BANK is your sound bank in Scaper's layout (BANK/foreground/<label>/*.wav, BANK/background/<label>/*.wav).
Writes OUT/train_synth (augmented synthesis: pitch shift, time stretch, wide SNR and level ranges),
OUT/train_synth_plain (DESED's plain settings, for the ablation), OUT/validation_synth (model selection,
training sources only), OUT/validation (the reported set, from --eval-soundbank or from held-out files of
BANK) and its variants resampled to 16 and 44.1 kHz and at -20 / -10 dB (OUT/validation-{16k,44k,20db,10db}),
plus OUT/classes.txt. Files in label folders that are not audio are skipped and counted; other sample rates
and stereo files are resampled and mixed down by Scaper (logged). Rerunning resumes. See docs/recipes.md,
"Training on your own recordings".

examples:
  sedkit make-bank-corpus data/corpus --soundbank my_bank --nj 2
  sedkit make-bank-corpus data/corpus --soundbank bank/train --eval-soundbank bank/test --scale 0.5
  sedkit make-bank-corpus --dump-config > bank_corpus.yaml
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", nargs="?", metavar="OUT", help="corpus folder")
    parser.add_argument("--soundbank", metavar="DIR", help="your bank (training sources)")
    parser.add_argument("--eval-soundbank", metavar="DIR",
                        help="a second bank for the evaluation sets (default: eval_share of BANK's files per label)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every set's size (default 1.0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--sets", nargs="+", metavar="SET", help="make only these sets (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="check the banks and say what would be used, write nothing")
    parser.add_argument("--config", metavar="YAML", help="corpus settings (BankCorpusConfig fields)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override fields, e.g. --set plain_clips=0")
    parser.add_argument("--nj", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--dump-config", action="store_true", help="print the resolved settings as YAML and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from sedkit.config import dump_yaml, load_config, to_dict
    from sedkit.data.bank_corpus import BankCorpusConfig, make_bank_corpus
    from sedkit.errors import InputError
    from sedkit.parallel import check_jobs

    config = load_config(BankCorpusConfig, args.config, args.overrides)
    if args.dump_config:
        sys.stdout.write(dump_yaml(to_dict(config)))
        return 0
    if args.output is None or args.soundbank is None:
        raise InputError("OUT and --soundbank are required (or --dump-config)")
    check_jobs(args.nj)
    started = time.perf_counter()
    if args.check:
        from sedkit.data.bank_corpus import inspect_banks

        inspect_banks(args.soundbank, args.eval_soundbank, config, args.seed, log=print)
        return 0
    reports = make_bank_corpus(args.output, args.soundbank, args.eval_soundbank, config, args.scale, args.seed,
                               nj=args.nj, sets=args.sets, progress=False if args.no_progress else None,
                               log=lambda line: print(f"{args.output}: {line}", flush=True))
    for name, report in reports.items():
        print(f"{args.output}/{name}: {report.n_clips} clips ({report.n_made} made, {report.n_skipped} kept), "
              f"{report.n_events} events")
    print(f"{args.output}: done in {time.perf_counter() - started:.1f} s")
    return 0
