"""Turn frame scores into a DCASE event table: threshold, per-class median filter, events.

SCORES_DIR holds one <clip>.tsv per clip in sed_scores_eval's format (onset, offset, one column per
class). Frames with score > threshold are active; each class is median-filtered with a window in
seconds (converted to the nearest odd number of frames); runs of active frames become events.
Adaptive windows (MMT-DA paper): 1/3 of the mean event duration per class in a *training* strong-label
table (never the evaluated set); --write-median-windows saves them for reuse with --median-windows.
--thresholds best-f1 --reference R tunes one threshold per class on these scores: the one with the best
collar-based F1 against R (sed_scores_eval's best_fscore, without median filter); tune on a development
set and apply the saved thresholds (--write-thresholds) to the set you report, never the reverse.

--model PKG (a model package from sedkit export) takes the package's per-class thresholds and median windows
as the defaults; any threshold or window option given beside it wins.

examples:
  sedkit postprocess exp/decode/scores predictions.tsv
  sedkit postprocess out/scores out/events.tsv --model exp/bank_seed1/detector.pt
  sedkit postprocess scores/ pred.tsv --thresholds thr.yaml --adaptive-median data/train_synth/strong.tsv \\
      --write-median-windows exp/median_windows.yaml
  sedkit postprocess dev/scores dev_pred.tsv --thresholds best-f1 --reference dev/strong.tsv \
      --median-window-s 0 --write-thresholds exp/thresholds.yaml
  sedkit postprocess eval/scores eval_pred.tsv --thresholds exp/thresholds.yaml --median-window-s 0
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores_dir", metavar="SCORES_DIR", help="folder of <clip>.tsv frame scores")
    parser.add_argument("output", metavar="OUT.tsv", help="DCASE event table to write")
    parser.add_argument("--model", metavar="PKG", help="model package: its thresholds and median windows are the "
                                                       "defaults")
    threshold = parser.add_mutually_exclusive_group()
    threshold.add_argument("--threshold", type=float, help="one threshold for every class (default 0.5)")
    threshold.add_argument("--thresholds", metavar="T.yaml|best-f1",
                           help="per-class thresholds (class: value), or best-f1: tuned against --reference")
    parser.add_argument("--reference", metavar="REF.tsv",
                        help="with --thresholds best-f1: the strong labels of these scores' clips (a development set)")
    parser.add_argument("--onset-collar", type=float, default=0.2, help="best-f1: onset collar in s (default 0.2)")
    parser.add_argument("--offset-collar", type=float, default=0.2, help="best-f1: offset collar in s (default 0.2)")
    parser.add_argument("--offset-collar-rate", type=float, default=0.2,
                        help="best-f1: offset collar as a fraction of the event length, at least --offset-collar "
                             "(default 0.2)")
    parser.add_argument("--nj", type=int, default=1, metavar="N",
                        help="best-f1: threads over the classes (default 1; same thresholds for any N)")
    parser.add_argument("--write-thresholds", metavar="T.yaml", help="save the per-class thresholds used")
    window = parser.add_mutually_exclusive_group()
    window.add_argument("--median-window-s", type=float,
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
    from sedkit.parallel import check_jobs
    from sedkit.postprocess.median import adaptive_windows, read_class_values, write_windows

    from pathlib import Path

    check_jobs(args.nj)
    package = None
    if args.model:
        from sedkit.inference.package import read_package

        package = read_package(args.model)
    window_given = args.median_window_s is not None or args.adaptive_median or args.median_windows
    threshold_given = args.threshold is not None or args.thresholds
    if args.median_window_s is None:
        args.median_window_s = 0.45
    if args.threshold is None:
        args.threshold = 0.5

    first = sorted(Path(args.scores_dir).glob("*.tsv")) if Path(args.scores_dir).is_dir() else []
    if not first:
        raise InputError(f"{args.scores_dir}: no such folder of <clip>.tsv score files")
    _, classes, _ = read_scores(first[0])
    if not 0 <= args.threshold <= 1 and not args.thresholds:
        raise InputError(f"--threshold {args.threshold}: must be in [0, 1]")
    if package is not None and list(package.classes) != list(classes):
        raise InputError(f"{args.model}: classes {', '.join(package.classes)} differ from the scores' "
                         f"({', '.join(classes)})")
    if package is not None and not threshold_given:
        thresholds = dict(package.thresholds)
    elif args.thresholds == "best-f1":
        thresholds = _best_f1(args, classes)
    elif args.reference:
        raise InputError("--reference is for --thresholds best-f1")
    else:
        thresholds = read_class_values(args.thresholds, classes, "threshold") if args.thresholds else args.threshold
    source = f"{args.median_window_s} s for every class"
    if package is not None and not window_given:
        windows = dict(package.median_windows_s)
        source = f"from {args.model}"
    elif args.adaptive_median:
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
    if args.write_thresholds:
        values = thresholds if isinstance(thresholds, dict) else {c: thresholds for c in classes}
        how = (f"best collar-based F1 on {args.scores_dir} against {args.reference}" if args.thresholds == "best-f1"
               else f"from {args.thresholds}" if args.thresholds else "--threshold")
        write_windows(args.write_thresholds, values, f"decision thresholds (score > value): {how}")
    print(f"{args.output}: {len(rows)} events from {len(clips)} clips, {len(classes)} classes; "
          f"median windows {source}")
    return 0


def _best_f1(args: argparse.Namespace, classes) -> dict:
    """Per-class thresholds of the best collar-based F1 on the scores against ``--reference``."""
    from sedkit.errors import InputError
    from sedkit.metrics.collar_scores import tune_thresholds

    if not args.reference:
        raise InputError("--thresholds best-f1 needs --reference REF.tsv (the strong labels of these scores)")
    tuned = tune_thresholds(args.scores_dir, args.reference, classes, args.onset_collar, args.offset_collar,
                            args.offset_collar_rate, audio_ext=args.audio_ext, jobs=args.nj)
    for c in classes:
        t = tuned[c]
        print(f"best-f1 {c}: threshold {t['threshold']:.6g}, F1 {100 * t['f1']:.2f} % "
              f"(P {100 * t['precision']:.2f} %, R {100 * t['recall']:.2f} %)")
    return {c: tuned[c]["threshold"] for c in classes}
