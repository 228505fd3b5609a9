#!/usr/bin/env python3
"""Measure the domain gap of a mini corpus with a frame-classifier probe (see sedkit.data.domain_gap).

usage: data_prep/measure_domain_gap.py CORPUS WORKDIR [--seeds 0 1 2] [--steps 600] [--nj 2]
"""
import argparse

import numpy as np

from sedkit.data.domain_gap import measure_domain_gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("workdir")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--nj", type=int, default=1)
    args = parser.parse_args()
    results = [measure_domain_gap(args.corpus, args.workdir, args.steps, seed, args.nj) for seed in args.seeds]
    for seed, r in zip(args.seeds, results):
        print(f"seed {seed}: frame macro F1 synthetic-domain validation {r.f1_synthetic:.3f}, "
              f"real-domain validation {r.f1_real:.3f}, gap {r.gap:.3f}")
    gaps = np.array([r.gap for r in results])
    print(f"gap: {gaps.mean():.3f} +- {gaps.std():.3f} over {len(gaps)} seeds "
          f"(probe trained on {results[0].n_train_clips} synthetic clips)")


if __name__ == "__main__":
    main()
