"""Turn frame scores into a DCASE event table: threshold, per-class median filter, events.

SCORES_DIR holds one <clip>.tsv per clip in sed_scores_eval's format (onset, offset, one column per
class). Frames with score > threshold are active; each class is median-filtered with a window in
seconds (converted to the nearest odd number of frames); runs of active frames become events.
Adaptive windows (MMT-DA paper): 1/3 of the mean event duration per class in a *training* strong-label
table (never the evaluated set); --write-median-windows saves them for reuse with --median-windows.
--thresholds best-f1 --reference R tunes one threshold per class on these scores: the one with the best
collar-based F1 against R (sed_scores_eval's best_fscore, without median filter); tune on a development
set and apply the saved thresholds (--write-thresholds) to the set you report, never the reverse.

--sebbs: sound event bounding boxes instead (cSEBBs, Ebbers et al., Interspeech 2024; equal to the authors'
package sebbs): change points of a step filter give each event's extent, its confidence is its mean score, and a
threshold on the confidence only decides which boxes are kept (OUT.tsv: the boxes with confidence > threshold).
--sebbs-tune psds|cbf --reference R tunes the three parameters per class (and, cbf, the threshold) on a
development set; apply them with --sebb-params to the set you report. --write-sebbs keeps every box with its
confidence; --write-scores DIR writes them as detection scores for `sedkit eval psds --scores DIR`.

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
  sedkit postprocess dev/scores dev_sebbs.tsv --sebbs --sebbs-tune psds --reference dev/strong.tsv \
      --durations dev/durations.tsv --write-sebb-params exp/sebbs.yaml
  sedkit postprocess eval/scores eval_sebbs.tsv --sebbs --sebb-params exp/sebbs.yaml --write-scores eval/sebb_scores
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
    sebb = parser.add_argument_group("sound event bounding boxes (--sebbs)")
    sebb.add_argument("--sebbs", action="store_true", help="cSEBBs instead of threshold + median filter")
    sebb.add_argument("--step-filter-length", type=float, default=0.5, metavar="S",
                      help="step filter length in seconds, every class (default 0.5, sebbs' default)")
    sebb.add_argument("--merge-threshold-abs", type=float, default=1.0, metavar="X",
                      help="merge two candidates when their maxima exceed the gap's minimum by less than X "
                           "(and the relative test holds; default 1.0; inf: off)")
    sebb.add_argument("--merge-threshold-rel", type=float, default=2.0, metavar="X",
                      help="... and by a factor less than X (default 2.0; inf: off)")
    sebb.add_argument("--sebb-params", metavar="P.yaml", help="per-class parameters (from --write-sebb-params); "
                                                              "their detection thresholds too, where they hold them")
    sebb.add_argument("--sebbs-tune", choices=("psds", "cbf"),
                      help="tune the parameters per class against --reference: the class's own PSDS (criteria of "
                           "--psds-scenario) or its best collar-based F1 (collars above; gives thresholds too)")
    sebb.add_argument("--durations", metavar="DUR.tsv", help="--sebbs-tune: durations of the development clips "
                                                            "(default: each score file's end)")
    sebb.add_argument("--psds-scenario", default="1", metavar="{1,2}", help="--sebbs-tune psds: DCASE scenario "
                                                                            "(default 1)")
    sebb.add_argument("--step-filter-lengths", type=float, nargs="+", metavar="S",
                      help="tuning grid (default 0.32 0.48 0.64, as sebbs)")
    sebb.add_argument("--merge-thresholds-abs", type=float, nargs="+", metavar="X",
                      help="tuning grid, each tried with the relative test off (default 0.15 0.2 0.3)")
    sebb.add_argument("--merge-thresholds-rel", type=float, nargs="+", metavar="X",
                      help="tuning grid, each tried with the absolute test off (default 1.5 2 3)")
    sebb.add_argument("--write-sebb-params", metavar="P.yaml", help="save the per-class parameters used")
    sebb.add_argument("--write-sebbs", metavar="ALL.tsv", help="every box: filename, onset, offset, event_label, "
                                                                "confidence")
    sebb.add_argument("--write-scores", metavar="DIR", help="the boxes as detection scores (<clip>.tsv, confidence "
                                                            "over each box, -inf elsewhere) for sedkit eval psds")
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
    if args.sebbs:
        if window_given or package is not None or args.thresholds == "best-f1":
            raise InputError("--sebbs replaces the median filter (and --thresholds best-f1: use --sebbs-tune cbf); "
                             "drop the median window, --model and best-f1 options")
        return _run_sebbs(args, classes, threshold_given)
    sebb_only = [name for name in ("sebb_params", "sebbs_tune", "write_sebb_params", "write_sebbs", "write_scores",
                                   "durations", "step_filter_lengths", "merge_thresholds_abs", "merge_thresholds_rel")
                 if getattr(args, name)]
    if sebb_only:
        raise InputError(f"--{sebb_only[0].replace('_', '-')} is for --sebbs")
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


def _run_sebbs(args: argparse.Namespace, classes, threshold_given: bool) -> int:
    """--sebbs: boxes from the scores (parameters given, read or tuned here), OUT.tsv the kept ones."""
    import math
    import os
    from pathlib import Path

    import numpy as np

    from sedkit.errors import InputError
    from sedkit.io import read_durations, read_events, read_score_files, write_events, write_scores, write_tsv
    from sedkit.postprocess.median import read_class_values
    from sedkit.postprocess.sebbs import (DEFAULT_GRID, SEBBParams, predict_sebbs, read_sebb_params,
                                          sebbs_to_frames, tune_grid, write_sebb_params)

    if args.write_scores and Path(args.write_scores).exists() and not Path(args.write_scores).is_dir():
        raise InputError(f"--write-scores {args.write_scores}: exists and is not a folder")
    thresholds = None
    if args.sebbs_tune:
        if not args.reference:
            raise InputError("--sebbs-tune needs --reference REF.tsv (the strong labels of these development scores)")
        if args.sebb_params:
            raise InputError("--sebbs-tune chooses the parameters: drop --sebb-params")
        from sedkit.metrics.criteria import scenario
        from sedkit.metrics.psds import prepare_ground_truth
        from sedkit.tuning import tune_sebbs

        criteria = scenario(args.psds_scenario)  # an unknown scenario: one line before any work
        table = read_events(args.reference)
        given = read_durations(args.durations) if args.durations else None
        if given is not None:
            names = sorted(set(given) | set(table.files))
        else:
            by_stem = {os.path.splitext(name)[0]: name for name in table.files}
            names = sorted(by_stem.get(p.stem, p.stem + args.audio_ext) for p in Path(args.scores_dir).glob("*.tsv"))
        files = read_score_files(args.scores_dir, names, classes, outside="the development clips", threads=args.nj)
        durations = given if given is not None else files.durations()
        gt = prepare_ground_truth(table, durations, classes, merge_touching=True)
        grid = tune_grid(*(getattr(args, name) or DEFAULT_GRID[key] for name, key in (
            ("step_filter_lengths", "step_filter_length"), ("merge_thresholds_abs", "merge_threshold_abs"),
            ("merge_thresholds_rel", "merge_threshold_rel"))))
        for setting in grid:
            setting.per_class(classes)  # a bad grid value: one line before any work
        position = {name: i for i, name in enumerate(names)}
        order = [position[f] for f in gt.files]
        tuned = tune_sebbs([files.timestamps[i] for i in order], [files.scores[i] for i in order], classes, gt, grid,
                           args.sebbs_tune, criteria=criteria, onset_collar=args.onset_collar,
                           offset_collar=args.offset_collar, offset_collar_rate=args.offset_collar_rate, jobs=args.nj,
                           progress=False if args.no_progress else None)
        params, source = tuned.params, f"tuned ({args.sebbs_tune}) on {args.scores_dir} against {args.reference}"
        what = "PSDS of the class" if args.sebbs_tune == "psds" else "best collar-based F1"
        for c in classes:
            p = params.to_dict(classes)[c]
            print(f"sebbs-tune {c}: step filter {p['step_filter_length']:g} s, merge abs {p['merge_threshold_abs']:g}, "
                  f"rel {p['merge_threshold_rel']:g}; {what} {100 * tuned.values[c]:.2f} %"
                  + (f", threshold {tuned.thresholds[c]:.6g}" if tuned.thresholds else ""))
        if tuned.thresholds and not threshold_given:
            thresholds = tuned.thresholds
    elif args.sebb_params:
        params, thresholds = read_sebb_params(args.sebb_params, classes)
        if threshold_given:
            thresholds = None
        source = f"from {args.sebb_params}"
    else:
        params = SEBBParams(args.step_filter_length, args.merge_threshold_abs, args.merge_threshold_rel)
        params.per_class(classes)
        source = (f"step filter {args.step_filter_length:g} s, merge abs {args.merge_threshold_abs:g}, "
                  f"rel {args.merge_threshold_rel:g}")
    if thresholds is None:
        if args.thresholds:
            thresholds = read_class_values(args.thresholds, classes, "threshold")
        else:
            if not 0 <= args.threshold <= 1:
                raise InputError(f"--threshold {args.threshold}: must be in [0, 1]")
            thresholds = {c: args.threshold for c in classes}
    if not args.sebbs_tune:
        stems = sorted(p.stem for p in Path(args.scores_dir).glob("*.tsv"))
        files = read_score_files(args.scores_dir, stems, classes, outside="the folder", threads=args.nj)
        names, durations = stems, files.durations()
    stems = [os.path.splitext(n)[0] for n in names]
    boxes = predict_sebbs(files.timestamps, files.scores, classes, stems, params, jobs=args.nj)
    level = [thresholds[c] for c in classes]
    rows = [row[:4] for row in boxes.rows(args.audio_ext, threshold=level)]
    kept_clips = {r[0] for r in rows}
    write_events(args.output, rows, empty_files=[s + args.audio_ext for s in stems if s + args.audio_ext
                                                 not in kept_clips])
    if args.write_sebbs:
        write_tsv(args.write_sebbs, ("filename", "onset", "offset", "event_label", "confidence"),
                  [(f, f"{a:.6f}", f"{b:.6f}", c, repr(s)) for f, a, b, c, s in boxes.rows(args.audio_ext)])
    if args.write_scores:
        start, end, file, values = sebbs_to_frames(boxes, [durations.get(n, files.timestamps[i][-1])
                                                           for i, n in enumerate(names)])
        Path(args.write_scores).mkdir(parents=True, exist_ok=True)
        for i, stem in enumerate(stems):
            mine = file == i
            write_scores(Path(args.write_scores) / f"{stem}.tsv", np.append(start[mine], end[mine][-1]), classes,
                         values[mine], digits=17)
    if args.write_sebb_params:
        write_sebb_params(args.write_sebb_params, params, classes, f"cSEBB parameters per class: {source}",
                          thresholds if args.sebbs_tune == "cbf" or (args.sebb_params and not threshold_given)
                          else None)
    shown = "per class" if len(set(level)) > 1 else f"{level[0]:g}"
    print(f"{args.output}: {len(rows)} of {len(boxes)} boxes with confidence > threshold ({shown}) from "
          f"{len(stems)} clips, {len(classes)} classes; SEBB parameters {source}"
          + ("" if math.isfinite(min(level)) else " (a threshold of -inf keeps every box)"))
    return 0
