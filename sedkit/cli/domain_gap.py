"""Measure the domain gap of a generated corpus (sedkit make-mini-corpus) with a frame-classifier probe.

A probe (an MLP on log-mel frames) is trained on train_synth's strong labels only and scored by frame macro F1
on validation_synth (synthetic domain) and validation (real domain); the gap is their difference, over seeds
(sedkit.data.domain_gap; docs/data.md gives the numbers of corpus v2).

example:
  sedkit domain-gap data/mini work/gap --nj 2
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", metavar="CORPUS", help="a corpus made by sedkit make-mini-corpus")
    parser.add_argument("workdir", metavar="WORKDIR", help="folder for the probe's features")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="probe seeds (default 0 1 2)")
    parser.add_argument("--steps", type=int, default=600, help="probe training steps (default 600)")
    parser.add_argument("--nj", type=int, default=1, help="parallel jobs for the features (default 1)")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from sedkit.data.domain_gap import measure_domain_gap

    results = [measure_domain_gap(args.corpus, args.workdir, args.steps, seed, args.nj) for seed in args.seeds]
    for seed, r in zip(args.seeds, results):
        print(f"seed {seed}: frame macro F1 synthetic-domain validation {r.f1_synthetic:.3f}, "
              f"real-domain validation {r.f1_real:.3f}, gap {r.gap:.3f}")
    gaps = np.array([r.gap for r in results])
    print(f"gap: {gaps.mean():.3f} +- {gaps.std():.3f} over {len(gaps)} seeds "
          f"(probe trained on {results[0].n_train_clips} synthetic clips)")
    return 0
