#!/usr/bin/env python3
"""Benchmark: threshold-free PSDS1 and PSDS2 (cross-triggers) at AudioSet-strong scale, and how memory grows.

Generates N ten-second clips of frame scores (156 frames of 64 ms, as DESED's baseline; K classes) with an
AudioSet-strong-like event density (``--events-per-clip`` events per clip, classes drawn with a Zipf-like
popularity, durations 0.2-10 s), then computes, each in a fresh process so that its peak resident memory is
its own: sedkit's PSDS1 (dtc 0.7, gtc 0.7, alpha_ct 0) and PSDS2 (dtc 0.1, gtc 0.1, cttc 0.3, alpha_ct 0.5)
from the scores in memory (``sedkit.metrics.psds_scores.psds_from_arrays`` on the concatenated frames, the
path ``sedkit eval psds --scores`` takes after reading the files), and, where asked, sed_scores_eval's
``intersection_based.psds`` on the same scores (DataFrames in memory), under a memory cap so that a size it
cannot finish is reported as such instead of taking the machine down. Prints a markdown table: classes,
clips, seconds, peak memory, and PSDS values (sedkit and the reference agree where both finish).

usage: python benchmarks/psds_scale.py --classes 50 100 200 400 --clips 4000 [--reference-clips 500]
       [--reference-memory-gb 16] [--events-per-clip 6]
Nothing is downloaded: the data are generated from --seed.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

HOP, FRAMES = 0.064, 156
SCENARIOS = {"PSDS1": dict(dtc=0.7, gtc=0.7, cttc=0.3, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0),
             "PSDS2": dict(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)}


def generate(n_clips: int, n_classes: int, events_per_clip: float, seed: int = 0):
    """(reference rows (file, onset, offset, label), scores (clips x frames, classes) float64, class names);
    the scores are made 200 clips at a time into the one matrix, so that generating costs little beyond it."""
    rng = np.random.default_rng([seed, n_clips, n_classes])
    classes = [f"c{k:03d}" for k in range(n_classes)]
    popularity = 1.0 / np.arange(1, n_classes + 1) ** 0.8
    popularity /= popularity.sum()
    scores = np.empty((n_clips * FRAMES, n_classes))
    rows = []
    for chunk in range(0, n_clips, 200):
        count = min(200, n_clips - chunk)
        # smooth in time, as a network's outputs are (a 5-frame moving average of uniform noise)
        noise = rng.uniform(0.0, 0.5, (count, FRAMES + 4, n_classes)).astype(np.float32)
        block = sum(noise[:, k:k + FRAMES] for k in range(5)) / 5
        for index in range(count):
            clip, taken = chunk + index, {}
            for _ in range(rng.poisson(events_per_clip)):
                label = int(rng.choice(n_classes, p=popularity))
                onset = float(np.round(rng.uniform(0, 9.5), 3))
                offset = float(np.round(min(10.0, onset + rng.uniform(0.2, 10.0) ** rng.uniform(0.3, 1.0)), 3))
                if any(on < offset and onset < off for on, off in taken.get(label, [])):
                    continue  # one class's events do not overlap (AudioSet strong labels are merged per class)
                taken.setdefault(label, []).append((onset, offset))
                rows.append((f"clip{clip:05d}.wav", onset, offset, classes[label]))
                first, last = int(onset / HOP), min(FRAMES, int(np.ceil(offset / HOP)))
                block[index, first:last, label] += rng.uniform(0.1, 0.4)
        scores[chunk * FRAMES:(chunk + count) * FRAMES] = np.minimum(block, 1.0).reshape(count * FRAMES, n_classes)
    return rows, scores, classes


def run_sedkit(n_clips, n_classes, events, scenario, seed):
    from sedkit.io import EventTable
    from sedkit.metrics.criteria import PSDSCriteria
    from sedkit.metrics.psds import prepare_ground_truth
    from sedkit.metrics.psds_scores import psds_from_arrays

    rows, scores, classes = generate(n_clips, n_classes, events, seed)
    files = [f"clip{c:05d}.wav" for c in range(n_clips)]
    table = EventTable("reference", files, [r[0] for r in rows], np.array([r[1] for r in rows]),
                       np.array([r[2] for r in rows]), [r[3] for r in rows], list(range(len(rows))))
    started = time.perf_counter()
    gt = prepare_ground_truth(table, {f: FRAMES * HOP for f in files}, classes, merge_touching=True)
    stamps = np.arange(FRAMES) * HOP
    start = np.tile(stamps, n_clips)
    end = start + HOP
    file = np.repeat(np.arange(n_clips), FRAMES)
    keep = [classes.index(c) for c in gt.classes]
    matrix = scores if keep == list(range(n_classes)) else scores[:, keep]
    del scores
    value = psds_from_arrays(start, end, file, matrix, gt, PSDSCriteria(**SCENARIOS[scenario]))[0]
    return value, time.perf_counter() - started, len(gt.classes)


def run_reference(n_clips, n_classes, events, scenario, seed):
    import warnings

    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    rows, scores, classes = generate(n_clips, n_classes, events, seed)
    present = sorted({r[3] for r in rows})
    timestamps = np.arange(FRAMES + 1) * HOP
    columns = [classes.index(k) for k in present]
    frames = {f"clip{c:05d}": create_score_dataframe(scores[c * FRAMES:(c + 1) * FRAMES][:, columns], timestamps,
                                                     present) for c in range(n_clips)}
    del scores
    truth = {f"clip{c:05d}": [] for c in range(n_clips)}
    for name, onset, offset, label in rows:
        truth[name[:-4]].append((onset, offset, label))
    durations = {k: FRAMES * HOP for k in truth}
    s = SCENARIOS[scenario]
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, *_ = intersection_based.psds(
            frames, truth, durations, dtc_threshold=s["dtc"], gtc_threshold=s["gtc"],
            cttc_threshold=s["cttc"] if s["alpha_ct"] > 0 else None, alpha_ct=s["alpha_ct"],
            alpha_st=s["alpha_st"], max_efpr=s["max_efpr"])
    return value, time.perf_counter() - started, len(present)


def child(args) -> None:
    function = run_sedkit if args.child == "sedkit" else run_reference
    value, seconds, n_present = function(args.clips[0], args.classes[0], args.events_per_clip, args.scenario,
                                         args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB -> GiB
    print(json.dumps({"psds": value, "seconds": seconds, "peak_gb": peak, "classes_with_events": n_present}))


def measure(which, n_clips, n_classes, scenario, args, memory_gb=None):
    command = [sys.executable, __file__, "--child", which, "--clips", str(n_clips), "--classes", str(n_classes),
               "--scenario", scenario, "--events-per-clip", str(args.events_per_clip), "--seed", str(args.seed)]
    limit = None if memory_gb is None else int(memory_gb * 1024 ** 3)

    def cap():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run(command, capture_output=True, text=True, preexec_fn=cap)
    if result.returncode != 0:
        reason = "out of memory" if "MemoryError" in result.stderr or result.returncode < 0 else "failed"
        return {"error": f"{reason} (cap {memory_gb} GB)" if memory_gb else reason,
                "detail": result.stderr.strip().splitlines()[-1:] }
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--clips", type=int, nargs="+", default=[4000])
    parser.add_argument("--events-per-clip", type=float, default=6.0)
    parser.add_argument("--scenarios", nargs="+", default=["PSDS1", "PSDS2"], choices=sorted(SCENARIOS))
    parser.add_argument("--reference-clips", type=int, nargs="*", default=[],
                        help="also run sed_scores_eval at these clip counts (each class count)")
    parser.add_argument("--reference-memory-gb", type=float, default=16.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=("sedkit", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--scenario", default="PSDS1", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print("| library | classes | clips | scenario | seconds | peak memory (GB) | PSDS |")
    print("|---|---|---|---|---|---|---|")
    for n_classes in args.classes:
        for n_clips in args.clips:
            for scenario in args.scenarios:
                r = measure("sedkit", n_clips, n_classes, scenario, args)
                print(_row("sedkit", n_classes, n_clips, scenario, r), flush=True)
        for n_clips in args.reference_clips:
            for scenario in args.scenarios:
                r = measure("reference", n_clips, n_classes, scenario, args, args.reference_memory_gb)
                print(_row("sed_scores_eval", n_classes, n_clips, scenario, r), flush=True)
                if "error" not in r:
                    mine = measure("sedkit", n_clips, n_classes, scenario, args)
                    print(_row("sedkit", n_classes, n_clips, scenario, mine)[:-2]
                          + f" (difference to the reference {abs(mine['psds'] - r['psds']):.1e}) |", flush=True)


def _row(library, n_classes, n_clips, scenario, r) -> str:
    if "error" in r:
        return f"| {library} | {n_classes} | {n_clips} | {scenario} | - | - | {r['error']} |"
    return (f"| {library} | {n_classes} ({r['classes_with_events']} with events) | {n_clips} | {scenario} | "
            f"{r['seconds']:.1f} | {r['peak_gb']:.2f} | {r['psds']:.4f} |")


if __name__ == "__main__":
    main()
