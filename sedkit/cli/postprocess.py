"""Turn frame scores into a DCASE event table: threshold, per-class median filter, events.

SCORES_DIR holds one <clip>.tsv per clip in sed_scores_eval's format (onset, offset, one column per
class). Frames with score > threshold are active; each class is median-filtered with a window in
seconds (converted to the nearest odd number of frames); runs of active frames become events.
Adaptive windows (MMT-DA paper): 1/3 of the mean event duration per class in a *training* strong-label
table (never the evaluated set); --write-median-windows saves them for reuse with --median-windows.

examples:
  sedkit postprocess exp/decode/scores predictions.tsv
  sedkit postprocess scores/ pred.tsv --thresholds thr.yaml --adaptive-median data/train_synth/strong.tsv \\
      --write-median-windows exp/median_windows.yaml
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores_dir", metavar="SCORES_DIR", help="folder of <clip>.tsv frame scores")
    parser.add_argument("output", metavar="OUT.tsv", help="DCASE event table to write")
    threshold = parser.add_mutually_exclusive_group()
    threshold.add_argument("--threshold", type=float, default=0.5, help="one threshold for every class (default 0.5)")
    threshold.add_argument("--thresholds", metavar="T.yaml", help="per-class thresholds (class: value)")
    window = parser.add_mutually_exclusive_group()
    window.add_argument("--median-window-s", type=float, default=0.45,
                        help="one median window in seconds for every class (default 0.45)")
    window.add_argument("--adaptive-median", metavar="STRONG_TRAIN.tsv",
                        help="per-class windows = fraction x mean event duration in this training table")
    window.add_argument("--median-windows", metavar="W.yaml", help="per-class windows in seconds (class: value)")
    parser.add_argument("--adaptive-fraction", type=float, default=1 / 3,
                        help="fraction of the mean duration for --adaptive-median (default 1/3, the paper's)")
    parser.add_argument("--write-median-windows", metavar="W.yaml", help="save the per-class windows used")
    parser.add_argument("--audio-ext", default=".wav", help="extension of the audio filenames written (default .wav)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sedkit.errors import InputError
    from sedkit.io import read_events, read_scores, write_events
    from sedkit.postprocess.decode import decode_score_folder
    from sedkit.postprocess.median import adaptive_windows, read_class_values, write_windows

    from pathlib import Path

    first = sorted(Path(args.scores_dir).glob("*.tsv")) if Path(args.scores_dir).is_dir() else []
    if not first:
        raise InputError(f"{args.scores_dir}: no such folder of <clip>.tsv score files")
    _, classes, _ = read_scores(first[0])
    if not 0 <= args.threshold <= 1 and not args.thresholds:
        raise InputError(f"--threshold {args.threshold}: must be in [0, 1]")
    thresholds = read_class_values(args.thresholds, classes, "threshold") if args.thresholds else args.threshold
    source = f"{args.median_window_s} s for every class"
    if args.adaptive_median:
        windows = adaptive_windows(read_events(args.adaptive_median), classes, args.adaptive_fraction,
                                   fallback_s=args.median_window_s)
        source = f"{args.adaptive_fraction:.4g} x mean event duration per class in {args.adaptive_median}"
    elif args.median_windows:
        windows = read_class_values(args.median_windows, classes, "median window")
        source = f"from {args.median_windows}"
    else:
        if args.median_window_s < 0:
            raise InputError(f"--median-window-s {args.median_window_s}: must be >= 0")
        windows = {c: args.median_window_s for c in classes}
    rows, clips = decode_score_folder(args.scores_dir, thresholds, windows, args.audio_ext,
                                      progress=False if args.no_progress else None)
    write_events(args.output, rows)
    if args.write_median_windows:
        write_windows(args.write_median_windows, windows, f"median filter windows in seconds: {source}")
    print(f"{args.output}: {len(rows)} events from {len(clips)} clips, {len(classes)} classes; "
          f"median windows {source}")
    return 0
