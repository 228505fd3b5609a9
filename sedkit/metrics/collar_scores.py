"""Collar-based (event-based) TP / FP counts at every decision threshold of frame scores, and the best-F1
threshold per class, equal to sed_scores_eval's ``collar_based`` functions.

At threshold u the detections of a class are the runs of frames with score >= u (the run tree of
:mod:`sedkit.metrics.psds_scores`: each run is alive for thresholds in (death, birth]). A detection hits a
reference event of its class in its clip when, rounded to 6 decimals as sed_scores_eval does,

- ``|det_onset - ref_onset| <= onset_collar`` and
- ``|det_offset - ref_offset| <= max(offset_collar, offset_collar_rate * ref_length)``;

TP(u) is the size of a maximum matching of hits among the detections alive at u, FP(u) = alive detections
- TP(u) (sed_scores_eval's ``statistics_fn``). Where no run hits two reference events (the usual case) a
maximum matching takes every reference event hit by at least one alive run, so TP(u) is the number of
events whose hitting runs' alive intervals cover u, counted with interval unions; a (clip, class) where
some run hits two events is matched explicitly at each of its thresholds.

:func:`best_f1_thresholds` follows sed_scores_eval's ``best_fscore``: precision (1 without detections),
recall and F1 at every threshold, the points ordered by (recall, precision), the last maximum of F1 taken.
The threshold reported is halfway between that point's score and the next lower score where the counts
change (-inf when there is none), so that detecting scores above it gives exactly the best point.
sed_scores_eval instead takes the neighbour in (recall, precision) order, which can lie above the best
score; its F1, precision and recall are the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence

import numpy as np

from sedkit.metrics.common import expand_ranges
from sedkit.metrics.error_rates import Counts
from sedkit.metrics.matching import max_bipartite_matching
from sedkit.metrics.psds import GroundTruth
from sedkit.metrics.psds_scores import _frames, _round, _runs
from sedkit.parallel import thread_map

__all__ = ["collar_statistics", "best_f1_thresholds", "BestF1", "tune_thresholds", "folder_collar_statistics"]


def _hits(runs, ref, label: int, onset_collar: float, offset_collar: float, offset_collar_rate: float):
    """(run, event) pairs of one class meeting both collars (events sorted by (file, onset))."""
    members = np.flatnonzero(ref.label == label)
    if not members.size or not runs.a.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    span = float(max(runs.offset.max(), ref.offset.max())) + 2 * onset_collar + 10.0
    key = ref.file[members] * span + ref.onset[members]
    run_key = runs.file * span + runs.onset
    slack = onset_collar + 1e-5
    run, position = expand_ranges(np.searchsorted(key, run_key - slack, side="left"),
                                  np.searchsorted(key, run_key + slack, side="right"))
    event = members[position]
    same_file = runs.file[run] == ref.file[event]
    onset_ok = _round(np.abs(runs.onset[run] - ref.onset[event]) - onset_collar) <= 0
    collar = np.maximum(offset_collar, offset_collar_rate * (ref.offset[event] - ref.onset[event]))
    offset_ok = _round(np.abs(runs.offset[run] - ref.offset[event]) - collar) <= 0
    keep = same_file & onset_ok & offset_ok
    return run[keep], event[keep]


def _union_changes(group: np.ndarray, low: np.ndarray, high: np.ndarray):
    """Per group, the union of intervals (low, high]: its segments' tops (+1) and bottoms (-1, -inf where a
    segment never ends), and the group of each."""
    if not group.size:
        return np.zeros(0), np.zeros(0), group, group
    finite_low = np.where(np.isfinite(low), low, np.nan)
    floor = np.nanmin(finite_low) - 1.0 if np.isfinite(finite_low).any() else float(np.min(high)) - 1.0
    low = np.where(np.isfinite(low), low, floor)
    shift = float(np.max(high) - floor) + 1.0
    order = np.lexsort((low, group))
    group, low, high = group[order], low[order], high[order]
    base = (group - group.min()) * shift
    running = np.maximum.accumulate(high + base) - base
    new = np.ones(group.shape[0], dtype=bool)
    new[1:] = (group[1:] != group[:-1]) | (low[1:] > running[:-1])
    starts = np.flatnonzero(new)
    tops = np.maximum.reduceat(high, starts)
    bottoms = low[starts]
    bottoms = np.where(bottoms == floor, -np.inf, bottoms)
    return tops, bottoms, group[starts], group[starts]


def collar_statistics(start: np.ndarray, end: np.ndarray, file: np.ndarray, scores: np.ndarray, gt: GroundTruth,
                      onset_collar: float = 0.2, offset_collar: float = 0.2,
                      offset_collar_rate: float = 0.2, jobs: int = 1) -> List[Counts]:
    """Per class of ``gt``: collar-based TP and FP at every threshold (see the module doc); ``jobs`` > 1
    computes the classes on that many threads (same results)."""
    ref = gt.events
    frames = _frames(start, end, file)

    def one_class(c: int) -> Counts:
        runs = _runs(scores[:, c], frames)
        valid = runs.length > 0
        run, event = _hits(runs, ref, c, onset_collar, offset_collar, offset_collar_rate)
        degree = np.bincount(run, minlength=runs.a.shape[0])
        contested_files = np.unique(runs.file[run[degree[run] > 1]])
        in_contested = np.isin(runs.file[run], contested_files)
        # Changes as u falls, each (threshold, clip, change of alive detections, change of TPs).
        u = [runs.birth[valid], runs.death[valid]]
        clip = [runs.file[valid], runs.file[valid]]
        d_alive = [np.ones(int(valid.sum())), -np.ones(int(valid.sum()))]
        d_tp = [np.zeros(int(valid.sum())), np.zeros(int(valid.sum()))]
        plain = ~in_contested
        tops, bottoms, top_event, bottom_event = _union_changes(event[plain], runs.death[run[plain]],
                                                                runs.birth[run[plain]])
        u += [tops, bottoms]
        clip += [ref.file[top_event], ref.file[bottom_event]]
        d_alive += [np.zeros(tops.shape[0]), np.zeros(bottoms.shape[0])]
        d_tp += [np.ones(tops.shape[0]), -np.ones(bottoms.shape[0])]
        for f in contested_files.tolist():
            changed_u, changed_tp = _matched_changes(runs, run, event, f)
            u.append(changed_u)
            clip.append(np.full(changed_u.shape[0], f))
            d_alive.append(np.zeros(changed_u.shape[0]))
            d_tp.append(changed_tp)
        return _accumulate(np.concatenate(u), np.concatenate(clip), np.concatenate(d_alive), np.concatenate(d_tp),
                           int(gt.n_ref[c]))

    return thread_map(one_class, range(scores.shape[1]), jobs)


def _accumulate(u: np.ndarray, clip: np.ndarray, d_alive: np.ndarray, d_tp: np.ndarray, n_ref: int) -> "Counts":
    """Counts at every threshold where some clip's TP or FP count changes (sed_scores_eval's change points:
    per clip the scores where its statistics change, united over clips), +inf last."""
    finite = np.isfinite(u)
    u, clip, d_alive, d_tp = u[finite], clip[finite], d_alive[finite], d_tp[finite]
    order = np.lexsort((u, clip))
    u, clip, d_alive, d_tp = u[order], clip[order], d_alive[order], d_tp[order]
    first = np.ones(u.shape[0], dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (clip[1:] != clip[:-1])
    starts = np.flatnonzero(first)
    u = u[starts]
    alive, tp = (np.add.reduceat(v, starts) if starts.size else v[:0] for v in (d_alive, d_tp))
    changes = (tp != 0) | (alive - tp != 0)
    unique, inverse = np.unique(u[changes], return_inverse=True)

    def counts(values):
        per = np.bincount(inverse, weights=values[changes], minlength=unique.shape[0])
        return np.append(np.cumsum(per[::-1])[::-1], 0.0)

    tps, detections = counts(tp), counts(alive)
    return Counts(np.append(unique, np.inf), tps, detections - tps, n_ref)


def _matched_changes(runs, run: np.ndarray, event: np.ndarray, f: int):
    """TP changes of one (clip, class) by an explicit maximum matching at each of its thresholds."""
    in_file = runs.file[run] == f
    r, e = run[in_file], event[in_file]
    u_values = np.unique(runs.birth[runs.file == f])[::-1]  # every change point of this clip, falling
    previous, us, deltas = 0, [], []
    for u in u_values.tolist():
        alive = (runs.birth[r] >= u) & (runs.death[r] < u)
        graph: Dict[int, list] = {}
        for det, ev in zip(r[alive].tolist(), e[alive].tolist()):
            graph.setdefault(ev, []).append(det)
        tp = len(max_bipartite_matching(graph)) if graph else 0
        if tp != previous:
            us.append(u)
            deltas.append(tp - previous)
            previous = tp
    return np.array(us, dtype=np.float64), np.array(deltas, dtype=np.float64)


@dataclass
class BestF1:
    """Per class: the best F1 over all thresholds, its precision and recall, and the threshold."""

    f1: Dict[str, float]
    precision: Dict[str, float]
    recall: Dict[str, float]
    threshold: Dict[str, float]


def best_f1_thresholds(stats: Sequence[Counts], classes: Sequence[str]) -> BestF1:
    """sed_scores_eval's ``best_fscore`` per class from :func:`collar_statistics` (see the module doc)."""
    out = BestF1({}, {}, {}, {})
    for name, s in zip(classes, stats):
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(s.tps + s.fps > 0, s.tps / np.maximum(s.tps + s.fps, 1e-300), 1.0)
        recall = s.tps / s.n_ref if s.n_ref else np.full(s.tps.shape, np.nan)
        f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-15)
        order = sorted(range(recall.shape[0]), key=lambda i: (recall[i], precision[i]))
        best = order[len(order) - 1 - int(np.argmax(f1[order][::-1]))]  # index in ascending thresholds
        out.f1[name], out.precision[name] = float(f1[best]), float(precision[best])
        out.recall[name] = float(recall[best])
        out.threshold[name] = float((s.thresholds[best] + s.thresholds[best - 1]) / 2) if best > 0 else -np.inf
    return out


def folder_collar_statistics(scores_dir, reference, classes: Sequence[str] | None, onset_collar: float = 0.2,
                             offset_collar: float = 0.2, offset_collar_rate: float = 0.2, durations=None,
                             audio_ext: str = ".wav", jobs: int = 1):
    """(ground truth, each class's :class:`~sedkit.metrics.error_rates.Counts`, the scores) of the frame scores in
    ``scores_dir`` against the event table at path ``reference``, collar-based (:func:`collar_statistics`). The
    clips: those of ``durations`` (a path) and the table, or else the folder's score files, named as the table
    names them (``audio_ext`` for the others); a table clip without a score file is refused in one line, as are
    negative collars."""
    import os
    from pathlib import Path

    from sedkit.errors import InputError
    from sedkit.io import read_durations, read_events, read_score_files
    from sedkit.metrics.psds import prepare_ground_truth
    from sedkit.metrics.psds_scores import read_score_folder

    for name, value in (("onset-collar", onset_collar), ("offset-collar", offset_collar),
                        ("offset-collar-rate", offset_collar_rate)):
        if value < 0:
            raise InputError(f"--{name} must be >= 0")
    table = read_events(reference)
    if durations is not None:
        names = sorted(set(read_durations(durations)) | set(table.files))
    else:
        by_stem = {os.path.splitext(name)[0]: name for name in table.files}
        names = [by_stem.get(path.stem, path.stem + audio_ext) for path in sorted(Path(scores_dir).glob("*.tsv"))]
        missing = sorted(set(table.files) - set(names))
        if missing:
            raise InputError(f"{reference}: {missing[0]} has no score file in {scores_dir}")
    files = read_score_files(scores_dir, names, classes, outside="the evaluated clips", threads=jobs)
    gt = prepare_ground_truth(table, files.durations(), classes, merge_touching=True)
    start, end, file, scores = read_score_folder(scores_dir, gt, classes, files=files)
    stats = collar_statistics(start, end, file, scores, gt, onset_collar, offset_collar, offset_collar_rate,
                              jobs=jobs)
    return gt, stats, scores


def tune_thresholds(scores_dir, reference, classes: Sequence[str], onset_collar: float = 0.2,
                    offset_collar: float = 0.2, offset_collar_rate: float = 0.2, audio_ext: str = ".wav",
                    jobs: int = 1) -> Dict[str, dict]:
    """Per class, the threshold of the best collar-based F1 of the frame scores in ``scores_dir`` against the
    strong labels in the table ``reference`` (a path; sed_scores_eval's ``collar_based.best_fscore``, no median
    filter), with that F1, precision and recall: ``{class: {"threshold", "f1", "precision", "recall"}}``. A class
    whose best F1 needs every frame detected gets a threshold just below the lowest score. Tune on a development
    set, never on the one you report (``sedkit postprocess --thresholds best-f1`` calls this)."""
    import math

    from sedkit.errors import InputError

    gt, stats, scores = folder_collar_statistics(scores_dir, reference, classes, onset_collar, offset_collar,
                                                 offset_collar_rate, audio_ext=audio_ext, jobs=jobs)
    best = best_f1_thresholds(stats, gt.classes)
    tuned = {}
    for c in classes:
        if c not in best.threshold:
            raise InputError(f"{reference}: no {c} events to tune its threshold on")
        value = best.threshold[c]
        tuned[c] = {"threshold": value if math.isfinite(value) else float(scores.min()) - 1e-6,  # detect everything
                    "f1": best.f1[c], "precision": best.precision[c], "recall": best.recall[c]}
    return tuned
