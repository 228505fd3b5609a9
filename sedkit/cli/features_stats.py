"""Per-mel-bin mean and standard deviation of feature folders, for normalisation.

Writes stats.npz (mean, std, frame and clip counts, and the digest of the feature config, so that
statistics of other features are refused later) next to the features: FEATDIR/stats.npz for one folder,
or --out for several (e.g. the training subsets together).

examples:
  sedkit features stats feats/train_synth
  sedkit features stats feats/train_synth feats/train_weak --out feats/stats_train.npz --plot stats.png
"""
from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("feature_dirs", nargs="+", metavar="FEATDIR", help="feature folder(s) from `sedkit features`")
    parser.add_argument("--out", metavar="NPZ", help="where to write (default FEATDIR/stats.npz; required for several)")
    parser.add_argument("--plot", metavar="PNG", help="also draw mean and std per mel bin with one example clip")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sedkit.errors import InputError
    from sedkit.features.stats import STATS_FILE, compute_stats, save_stats

    if args.out is None and len(args.feature_dirs) > 1:
        raise InputError("--out is required with several feature folders")
    out = Path(args.out) if args.out else Path(args.feature_dirs[0]) / STATS_FILE
    stats = compute_stats(args.feature_dirs, progress=False if args.no_progress else None)
    save_stats(stats, out)
    print(f"{out}: {stats.n_clips} clips, {stats.n_frames} frames, {stats.mean.shape[0]} mel bins; "
          f"mean {stats.mean.min():.2f}..{stats.mean.max():.2f}, std {stats.std.min():.2f}..{stats.std.max():.2f}")
    if args.plot:
        from sedkit.features.plots import plot_stats

        plot_stats(stats, args.feature_dirs[0], args.plot)
        print(f"{args.plot}: plot written")
    return 0
