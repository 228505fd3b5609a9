#!/usr/bin/env python3
"""Benchmark: sedkit's scoring against sed_eval, psds_eval and sed_scores_eval, measured in one run.

Generates N ten-second clips (10 DESED classes, ~8 reference events each), estimated events, and frame
scores (64 ms frames) from which operating points are cut at K evenly spaced thresholds. Then times, on
the same data and checking that the numbers agree to 1e-6 (targets of the "Scoring v2" issue):

  reading tables    sedkit.io.read_events (numpy's C reader)  vs  its row-by-row reader      >= 3x
  inside Python (the library call on parsed tables):
    event-based     sedkit.metrics.event_based    vs sed_eval EventBasedMetrics (file by file) >= 20x
    segment-based   sedkit.metrics.segment_based  vs sed_eval SegmentBasedMetrics              >= 10x
    PSDS, K points  sedkit.metrics.psds           vs psds_eval PSDSEval + add_operating_point  >= 10x; K = 500: >= 50x
    PSDS, scores    sedkit.metrics.psds_scores    vs sed_scores_eval intersection_based.psds   >= 10x (reading the
                    on --nj threads (default 2), and on 1 for comparison                       2500 files included)
    mpAUC           sedkit.metrics.segment_auroc  vs sed_scores_eval segment_based.auroc     >= 10x (reading too)
    piPSDS          sedkit.metrics.pipsds (--nj threads) vs sed_scores_eval                      >= 10x (reading too)
                    postprocessing_independent_psds, median filters of 0, 0.2, 0.4, 0.8 s
    cSEBBs          sedkit.postprocess.sebbs (--nj threads) vs sebbs CSEBBsPredictor.predict     >= 10x (reading too)
    cSEBB tuning    sedkit.tuning.tune_sebbs (psds) vs sebbs predict + select_best_psds, 4 settings >= 10x
  end to end (fresh processes: start-up, parsing, scoring) against a pandas + reference script:
    `sedkit eval event`, `sedkit eval segment`, `sedkit eval psds` (20 points)                 >= 10x each

usage: python benchmarks/eval.py [--n-clips 2500] [--operating-points 20 50 500] [--skip-slow] [--nj 2]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from sedkit.data.soundbank import DESED_CLASSES
from sedkit.io import EventTable, read_durations, read_events, write_events, write_scores

CLASSES = list(DESED_CLASSES)
HOP, FRAMES = 0.064, 156  # 156 x 64 ms = 9.984 s


def generate(work: Path, n_clips: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    ref_rows, est_rows = [], []
    stamps = np.arange(FRAMES + 1) * HOP
    for index in range(n_clips):
        name = f"Y{index:06d}.wav"
        # Smooth background scores (a 9-frame moving average of noise), as a network's outputs are.
        noise = rng.uniform(0.0, 0.5, (FRAMES + 8, len(CLASSES)))
        scores = np.stack([np.convolve(noise[:, c], np.ones(9) / 9, mode="valid") for c in range(len(CLASSES))], 1)
        free = {c: 0.0 for c in CLASSES}  # same-class reference events never overlap
        for _ in range(rng.poisson(8)):
            label = CLASSES[rng.integers(len(CLASSES))]
            onset = round(free[label] + rng.uniform(0, 3), 3)
            offset = round(onset + rng.uniform(0.2, 3.5), 3)
            if offset > 9.9:
                continue
            free[label] = offset + 0.1
            ref_rows.append((name, onset, offset, label))
            if rng.random() < 0.85:
                est_on = max(0.0, onset + rng.normal(0, 0.15))
                est_label = label if rng.random() < 0.85 else CLASSES[rng.integers(len(CLASSES))]
                est_rows.append((name, est_on, max(est_on + 0.05, offset + rng.normal(0, 0.3)), est_label))
            first, last = int(onset / HOP), min(FRAMES, int(offset / HOP) + 1)
            if rng.random() < 0.9:  # some events the "network" misses
                scores[first:last, CLASSES.index(label)] += rng.uniform(0.05, 0.6)
        for _ in range(rng.poisson(1)):
            onset = rng.uniform(0, 9)
            est_rows.append((name, onset, onset + rng.uniform(0.1, 1.0), CLASSES[rng.integers(len(CLASSES))]))
        write_scores(work / "scores" / f"{name[:-4]}.tsv", stamps, CLASSES, np.clip(scores, 0, 1))
    write_events(work / "reference.tsv", ref_rows)
    write_events(work / "estimated.tsv", est_rows)
    (work / "durations.tsv").write_text("filename\tduration\n" + "".join(
        f"Y{i:06d}.wav\t{FRAMES * HOP:.3f}\n" for i in range(n_clips)))


def operating_points(work: Path, count: int) -> list[Path]:
    """Detection tables at ``count`` thresholds (no median filter), cut from all clips' scores at once."""
    from sedkit.io import read_scores

    paths = [work / f"op{count}" / f"{t:.4f}.tsv" for t in np.linspace(0.05, 0.95, count)]
    if all(p.exists() for p in paths):
        return paths
    score_files = sorted((work / "scores").glob("*.tsv"))
    blocks, names, starts, ends = [], [], [], []
    for path in score_files:
        stamps, _, scores = read_scores(path)
        blocks += [scores, np.full((1, scores.shape[1]), -np.inf)]  # a separator frame ends every run
        starts.append(stamps[:-1])
        ends.append(stamps[1:])
        names.append(path.stem + ".wav")
    rows_per_clip = np.array([len(s) + 1 for s in starts])
    scores = np.vstack(blocks)
    on_time = np.concatenate([np.append(s, np.nan) for s in starts])
    off_time = np.concatenate([np.append(e, np.nan) for e in ends])
    clip_of_row = np.repeat(np.arange(len(names)), rows_per_clip)
    for threshold, path in zip(np.linspace(0.05, 0.95, count), paths):
        active = np.zeros((scores.shape[0] + 1, scores.shape[1]), dtype=np.int8)
        active[1:] = scores > threshold
        change = np.diff(active, axis=0)
        rows = []
        for c, label in enumerate(CLASSES):
            first = np.flatnonzero(change[:, c] == 1)
            stop = np.flatnonzero(change[:, c] == -1)
            rows += [(names[k], a, b, label) for k, a, b in
                     zip(clip_of_row[first].tolist(), on_time[first].tolist(), off_time[stop - 1].tolist())]
        write_events(path, rows)
    return paths


def timed(function, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


ROWS: list = []


def report(name: str, ours_s: float, theirs_s: float, ours: float, theirs: float, target: float | None) -> None:
    """One row; ``target`` None: shown for comparison, no target."""
    same = abs(ours - theirs) <= 1e-6
    ratio = theirs_s / ours_s
    ROWS.append((name, ours_s, theirs_s, ratio, target, f"{ours:.6f} {'=' if same else 'vs'} {theirs:.6f}"))
    aim = "no target" if target is None else f"target >= {target:g}x"
    print(f"{name:<44} sedkit {ours_s:8.3f} s   reference {theirs_s:8.3f} s   speed-up {ratio:7.1f}x "
          f"({aim})   value {ours:.6f} vs {theirs:.6f} {'same' if same else 'DIFFERENT'}", flush=True)


def sed_eval_tables(ref: EventTable, est: EventTable):
    files = ref.files
    per_file = {name: ([], []) for name in files}
    for table, slot in ((ref, 0), (est, 1)):
        for name, onset, offset, label in zip(table.filename, table.onset.tolist(), table.offset.tolist(),
                                              table.label):
            per_file[name][slot].append({"filename": name, "onset": onset, "offset": offset, "event_label": label})
    return per_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=2500)
    parser.add_argument("--operating-points", type=int, nargs="+", default=[20, 50, 500])
    parser.add_argument("--workdir", default="benchmarks/out/eval")
    parser.add_argument("--skip-slow", action="store_true", help="skip the reference PSDS runs above 50 points")
    parser.add_argument("--nj", type=int, default=2,
                        help="threads for the threshold-free PSDS (`eval psds --nj`); also timed on 1 (default 2)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import pandas as pd
    import psds_eval
    import sed_eval
    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.io import read_sed_scores

    from sedkit.metrics.event_based import event_based_metrics
    from sedkit.metrics.psds import encode_detections, prepare_ground_truth, psds_from_operating_points
    from sedkit.metrics.criteria import scenario
    from sedkit.metrics.psds_scores import psds_from_scores
    from sedkit.metrics.segment_based import segment_based_metrics

    work = Path(args.workdir) / f"n{args.n_clips}"
    if not (work / "durations.tsv").exists():
        generate(work, args.n_clips)
    ref, est = read_events(work / "reference.tsv"), read_events(work / "estimated.tsv")
    durations = read_durations(work / "durations.tsv")
    print(f"{args.n_clips} clips, {len(ref)} reference events ({len(ref) / args.n_clips:.1f} per clip), "
          f"{len(est)} estimated events, {len(CLASSES)} classes")

    per_file = sed_eval_tables(ref, est)

    def sed_eval_event():
        metric = sed_eval.sound_event.EventBasedMetrics(CLASSES, t_collar=0.2, percentage_of_length=0.2,
                                                        empty_system_output_handling="zero_score")
        for name, (r, e) in per_file.items():
            metric.evaluate(r, e)
        return metric.results()["class_wise_average"]["f_measure"]["f_measure"]

    ours_s, ours = timed(lambda: event_based_metrics(ref, est, classes=CLASSES).macro["f1"], 3)
    theirs_s, theirs = timed(sed_eval_event)
    report("event-based macro F1 (in Python)", ours_s, theirs_s, ours, theirs, 20)

    def sed_eval_segment():
        metric = sed_eval.sound_event.SegmentBasedMetrics(CLASSES, time_resolution=1.0)
        for name, (r, e) in per_file.items():
            metric.evaluate(r, e, evaluated_length_seconds=durations[name])
        return metric.results()["class_wise_average"]["f_measure"]["f_measure"]

    ours_s, ours = timed(lambda: segment_based_metrics(ref, est, classes=CLASSES, durations=durations).macro["f1"], 3)
    theirs_s, theirs = timed(sed_eval_segment)
    report("segment-based macro F1 (in Python)", ours_s, theirs_s, ours, theirs, 10)

    def frame(t):
        return pd.DataFrame({"filename": t.filename, "onset": t.onset, "offset": t.offset, "event_label": t.label})
    metadata = pd.DataFrame({"filename": list(durations), "duration": list(durations.values())})
    for count in args.operating_points:
        paths = operating_points(work, count)
        tables = [read_events(p) for p in paths]

        def ours_psds():
            gt = prepare_ground_truth(ref, durations, CLASSES)
            detections = (encode_detections(t, gt, CLASSES) for t in tables)  # one at a time, as `sedkit eval`
            return psds_from_operating_points(gt, detections, scenario(1)).psds

        def reference_psds():
            evaluator = psds_eval.PSDSEval(0.7, 0.7, 0.3, ground_truth=frame(ref), metadata=metadata)
            for index, table in enumerate(tables):
                evaluator.add_operating_point(frame(table), info={"threshold": index})
            return evaluator.psds(alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0).value

        ours_s, ours = timed(ours_psds)
        if args.skip_slow and count > 50:
            print(f"PSDS, {count} operating points: sedkit {ours_s:.3f} s (reference skipped: --skip-slow)")
            continue
        theirs_s, theirs = timed(reference_psds)
        target = 50 if count >= 500 else 10
        report(f"PSDS, {count} operating points (in Python)", ours_s, theirs_s, ours, theirs, target)

    gt_scores = prepare_ground_truth(ref, durations, CLASSES, merge_touching=True)
    # Best of two runs on both sides (the first run of each pays its one-time costs: imports, page mapping).
    ours_by_jobs = {jobs: timed(lambda: psds_from_scores(gt_scores, work / "scores", scenario(1),
                                                         jobs=jobs).psds, 2)
                    for jobs in sorted({1, args.nj})}
    ground_truth = {f[:-4]: [] for f in durations}
    for name, onset, offset, label in zip(ref.filename, ref.onset.tolist(), ref.offset.tolist(), ref.label):
        ground_truth[name[:-4]].append((onset, offset, label))

    def reference_scores():
        scores = {p.stem: read_sed_scores(p) for p in sorted((work / "scores").glob("*.tsv"))}
        return intersection_based.psds(scores, ground_truth, {k[:-4]: v for k, v in durations.items()},
                                       dtc_threshold=0.7, gtc_threshold=0.7, alpha_st=1.0, max_efpr=100.0)[0]

    theirs_s, theirs = timed(reference_scores, 2)
    for jobs, (ours_s, ours) in ours_by_jobs.items():
        report(f"PSDS threshold-free, reading {args.n_clips} score files, {jobs} thread{'s' if jobs > 1 else ''}",
               ours_s, theirs_s, ours, theirs, 10 if jobs == args.nj else None)

    # mpAUC (DCASE 2024): segment-based partial ROC AUC up to FPR 0.1, reading the score files, both sides.
    from sed_scores_eval import segment_based

    from sedkit.io import read_score_files
    from sedkit.metrics.segment_auroc import segment_auroc, segment_scores

    names = sorted(durations)

    def ours_auroc():
        files = read_score_files(work / "scores", names, CLASSES, threads=args.nj)
        return segment_auroc(segment_scores(ref, files, durations, CLASSES, 1.0), 0.1).mean

    def reference_auroc():
        scores = {p.stem: read_sed_scores(p) for p in sorted((work / "scores").glob("*.tsv"))}
        return segment_based.auroc(scores, ground_truth, {k[:-4]: v for k, v in durations.items()},
                                   segment_length=1.0, max_fpr=0.1)[0]["mean"]

    ours_s, ours = timed(ours_auroc, 2)
    theirs_s, theirs = timed(reference_auroc, 2)
    report(f"mpAUC (segment-based AUC to FPR 0.1), reading {args.n_clips} score files", ours_s, theirs_s, ours,
           theirs, 10)

    # piPSDS (Ebbers et al., DCASE Workshop 2023): PSDS1 over four median filter lengths, reading the files.
    from functools import partial

    from sed_scores_eval.base_modules.postprocessing import medfilt

    from sedkit.metrics.pipsds import pipsds_from_scores

    lengths = [0.0, 0.2, 0.4, 0.8]

    def ours_pipsds():
        return pipsds_from_scores(gt_scores, work / "scores", scenario(1), lengths, jobs=args.nj).psds

    def reference_pipsds():
        scores = {p.stem: read_sed_scores(p) for p in sorted((work / "scores").glob("*.tsv"))}
        return intersection_based.postprocessing_independent_psds(
            scores, ground_truth, {k[:-4]: v for k, v in durations.items()},
            postprocessing_functions=[partial(medfilt, filter_length_in_sec=v) for v in lengths],
            dtc_threshold=0.7, gtc_threshold=0.7, alpha_st=1.0, max_efpr=100.0)[0]

    ours_s, ours = timed(ours_pipsds, 2)
    theirs_s, theirs = timed(reference_pipsds)
    report(f"piPSDS (4 median filters), reading {args.n_clips} score files, {args.nj} threads", ours_s, theirs_s,
           ours, theirs, 10)

    # cSEBBs (Ebbers et al., Interspeech 2024) against the authors' sebbs (installed by `make test`).
    try:
        from sebbs import csebbs
        from sebbs.utils import sed_scores_from_sebbs  # noqa: F401
    except ImportError:
        csebbs = None
        print("cSEBBs: skipped (sebbs is not installed; `make test` installs it)")
    if csebbs is not None:
        from sedkit.postprocess.sebbs import SEBBParams, predict_sebbs, tune_grid
        from sedkit.tuning import tune_sebbs

        stems = [n[:-4] for n in names]

        def ours_sebbs():
            files = read_score_files(work / "scores", stems, CLASSES, threads=args.nj)
            return len(predict_sebbs(files.timestamps, files.scores, CLASSES, stems, SEBBParams(0.48, 0.2, np.inf),
                                     jobs=args.nj))

        def reference_sebbs():
            scores = {p.stem: read_sed_scores(p) for p in sorted((work / "scores").glob("*.tsv"))}
            predictor = csebbs.CSEBBsPredictor(0.48, 0.2, np.inf, sound_classes=CLASSES)
            return sum(len(v) for v in predictor.predict(scores).values())

        ours_s, ours = timed(ours_sebbs, 2)
        theirs_s, theirs = timed(reference_sebbs)
        report(f"cSEBBs (boxes: {ours}), reading {args.n_clips} score files, {args.nj} threads", ours_s, theirs_s,
               float(ours), float(theirs), 10)

        grid = tune_grid((0.32, 0.64), (0.2,), (2.0,))

        def ours_tuning():
            files = read_score_files(work / "scores", gt_scores.files, CLASSES, threads=args.nj)
            tuned = tune_sebbs(files.timestamps, files.scores, CLASSES, gt_scores, grid, "psds", criteria=scenario(1),
                               jobs=args.nj, progress=False)
            return float(np.mean(list(tuned.values.values())))

        def reference_tuning():
            scores = {p.stem: read_sed_scores(p) for p in sorted((work / "scores").glob("*.tsv"))}
            candidates = []
            for setting in grid:
                predictor = csebbs.CSEBBsPredictor(setting.step_filter_length, setting.merge_threshold_abs,
                                                   setting.merge_threshold_rel, sound_classes=CLASSES)
                candidates.append((predictor, predictor.predict(scores)))
            best = csebbs.select_best_psds(candidates, ground_truth, {k[:-4]: v for k, v in durations.items()},
                                           dtc_threshold=0.7, gtc_threshold=0.7)[1]
            return float(np.mean(list(best.values())))

        ours_s, ours = timed(ours_tuning, 2)
        theirs_s, theirs = timed(reference_tuning)
        report(f"cSEBB tuning on PSDS1 (4 settings, per class), {args.n_clips} clips, {args.nj} threads", ours_s,
               theirs_s, ours, theirs, 10)

    # Reading: the numpy fast path against the row-by-row reader (what sedkit used before), same files.
    from sedkit.io import _read_event_rows

    op20 = operating_points(work, 20)
    files = [work / "estimated.tsv", *op20]
    new_s, _ = timed(lambda: [read_events(p) for p in files], 3)
    old_s, _ = timed(lambda: [_read_event_rows(Path(p), True) for p in files], 3)
    rows = sum(len(read_events(p)) for p in files)
    report(f"reading {len(files)} tables ({rows} rows)", new_s, old_s, 0.0, 0.0, 3)

    # End to end: fresh processes, each reading the files and scoring.
    tsv = lambda name: str(work / name)  # noqa: E731
    run = lambda cmd: subprocess.run(cmd, check=True, capture_output=True)  # noqa: E731
    sedkit = [sys.executable, "-m", "sedkit.cli.main", "eval"]
    common = ("import sys, warnings; warnings.simplefilter('ignore'); import pandas as pd;"
              "ref = pd.read_csv(sys.argv[1], sep='\\t'); classes = sorted(ref.event_label.dropna().unique());")
    event_script = common + (
        "import sed_eval; est = pd.read_csv(sys.argv[2], sep='\\t');"
        "m = sed_eval.sound_event.EventBasedMetrics(classes, t_collar=0.2, percentage_of_length=0.2,"
        " empty_system_output_handling='zero_score');"
        "est_groups = {k: g.to_dict('records') for k, g in est.groupby('filename')};"
        "[m.evaluate(g.to_dict('records'), est_groups.get(k, [])) for k, g in ref.groupby('filename', sort=False)];"
        "print(m.results()['class_wise_average']['f_measure']['f_measure'])")
    segment_script = common + (
        "import sed_eval; est = pd.read_csv(sys.argv[2], sep='\\t');"
        "dur = pd.read_csv(sys.argv[3], sep='\\t').set_index('filename').duration.to_dict();"
        "m = sed_eval.sound_event.SegmentBasedMetrics(classes, time_resolution=1.0);"
        "est_groups = {k: g.to_dict('records') for k, g in est.groupby('filename')};"
        "[m.evaluate(g.to_dict('records'), est_groups.get(k, []), evaluated_length_seconds=dur[k])"
        " for k, g in ref.groupby('filename', sort=False)];"
        "print(m.results()['class_wise_average']['f_measure']['f_measure'])")
    psds_script = common + (
        "import psds_eval; meta = pd.read_csv(sys.argv[2], sep='\\t');"
        "e = psds_eval.PSDSEval(0.7, 0.7, 0.3, ground_truth=ref, metadata=meta);"
        "[e.add_operating_point(pd.read_csv(p, sep='\\t'), info={'threshold': i}) for i, p in enumerate(sys.argv[3:])];"
        "print(e.psds(alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0).value)")
    cases = [
        ("event", [*sedkit, "event", "--reference", tsv("reference.tsv"), "--estimated", tsv("estimated.tsv")],
         [sys.executable, "-c", event_script, tsv("reference.tsv"), tsv("estimated.tsv")]),
        ("segment", [*sedkit, "segment", "--reference", tsv("reference.tsv"), "--estimated", tsv("estimated.tsv"),
                     "--durations", tsv("durations.tsv")],
         [sys.executable, "-c", segment_script, tsv("reference.tsv"), tsv("estimated.tsv"), tsv("durations.tsv")]),
        ("psds, 20 operating points", [*sedkit, "psds", "--reference", tsv("reference.tsv"), "--durations",
                                       tsv("durations.tsv"), "--estimated", *map(str, op20)],
         [sys.executable, "-c", psds_script, tsv("reference.tsv"), tsv("durations.tsv"), *map(str, op20)]),
    ]
    for name, ours_cmd, theirs_cmd in cases:
        ours_s, _ = timed(lambda: run(ours_cmd), 3)
        theirs_s, _ = timed(lambda: run(theirs_cmd))
        report(f"end to end `sedkit eval {name}`", ours_s, theirs_s, 0.0, 0.0, 10)
    startup_s, _ = timed(lambda: run([sys.executable, "-m", "sedkit.cli.main", "--help"]), 5)
    print(f"`sedkit --help` starts in {startup_s:.3f} s (target well under 0.1 s)")
    print("\n| what | sedkit | reference | speed-up | target |")
    print("|---|---|---|---|---|")
    for name, ours_s, theirs_s, ratio, target, _ in ROWS:
        aim = "-" if target is None else f">= {target:g}x"
        print(f"| {name} | {ours_s:.3f} s | {theirs_s:.3f} s | **{ratio:.1f}x** | {aim} |")


if __name__ == "__main__":
    main()
