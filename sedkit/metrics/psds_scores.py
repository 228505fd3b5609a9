"""Threshold-free intersection-based PSDS from frame scores, equal to sed_scores_eval.

sed_scores_eval (Ebbers et al., ICASSP 2022) evaluates every decision threshold at once: for each class
and each threshold ``u`` among the score values, the detections are the runs of frames with score >= u,
and TP / FP / CT counts follow the intersection criteria (with sums and thresholds rounded to 6 decimals,
as there):

- a detection passes the DTC when round(sum of its overlaps with same-class reference events) >=
  round(dtc * its length); failing ones are false positives;
- a reference event is a true positive when round(sum of its overlaps with DTC-passing detections) >=
  round(gtc * its length);
- a failing detection is a cross-trigger on class j when round(its overlap with class-j events) >=
  round(cttc * its length).

TPR = TP / n_ref, eFPR = (FP / total duration + alpha_ct * mean_j CT_j / duration of class-j events) per
hour; each class's ROC keeps the running-maximum points; the PSD-ROC is the mean of the class ROCs (step
interpolation) minus alpha_st times their standard deviation, and PSDS its area up to max_efpr / max_efpr.

How sedkit gets there faster: as the threshold falls, runs only appear and merge, so all runs of a score
curve over all thresholds form a tree with at most one node per frame. A node is the run around frame t
bounded by the nearest strictly smaller scores on either side (found for every frame of every clip at once
by pointer jumping); it lives for thresholds in (larger neighbouring score, score_t]. Each node's DTC and
cross-trigger status is fixed, so FP and CT counts are +1 at a node's birth and -1 at its death; a
reference event's coverage is swept over the births and deaths of the nodes that overlap it.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from dataclasses import dataclass
from typing import Dict, List, Sequence

import numpy as np

from sedkit.errors import InputError
from sedkit.io import read_scores
from sedkit.metrics.psds import SECONDS_PER_HOUR, GroundTruth, PSDSResult, no_reference_result

__all__ = ["psds_from_scores", "psds_bootstrap", "read_score_folder", "class_statistics", "ClassDeltas"]


def read_score_folder(folder: str | Path, gt: GroundTruth, all_classes: Sequence[str] | None = None):
    """Frame scores of every evaluated file from ``folder/<clip>.tsv`` (``<clip>`` = filename stem).

    Returns (frame start times, frame end times, file index per frame, scores of the ground truth's
    classes with shape (frames, classes)), frames concatenated in file order.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such score folder")
    stems = {os.path.splitext(name)[0]: index for index, name in enumerate(gt.files)}
    present = {p.stem: p for p in folder.glob("*.tsv")}
    extra = sorted(set(present) - set(stems))
    if extra:
        raise InputError(f"{present[extra[0]]}: clip {extra[0]} is not in the reference (nor in the durations)")
    missing = [name for name in gt.files if os.path.splitext(name)[0] not in present]
    if missing:
        raise InputError(f"{folder}: no score file for {missing[0]}"
                         f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}")
    starts, ends, file_ids, blocks = [], [], [], []
    columns: List[str] | None = None
    for index, name in enumerate(gt.files):
        path = present[os.path.splitext(name)[0]]
        timestamps, classes, scores = read_scores(path)
        if columns is None:
            import warnings

            from sedkit.metrics.psds import PSDSWarning

            columns = classes
            ignored = [c for c in classes if all_classes is not None and c not in all_classes]
            if ignored:
                warnings.warn(f"{folder}: score columns {', '.join(ignored)} are not in --classes: ignored",
                              PSDSWarning)
            unused = [c for c in classes if c not in gt.classes and c not in ignored]
            if unused:
                warnings.warn(f"{folder}: no reference events for score columns {', '.join(unused)}; "
                              "left out of PSDS", PSDSWarning)
            lacking = [c for c in gt.classes if c not in classes]
            if lacking:
                raise InputError(f"{path}:1: no score column for {', '.join(lacking)}")
            take = [classes.index(c) for c in gt.classes]
        elif classes != columns:
            raise InputError(f"{path}:1: columns differ from the other score files ({', '.join(columns)})")
        starts.append(timestamps[:-1])
        ends.append(timestamps[1:])
        file_ids.append(np.full(len(scores), index, dtype=np.int64))
        blocks.append(scores[:, take])
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(file_ids), np.concatenate(blocks)


def _nearest_smaller(values: np.ndarray, step: int, barrier: np.ndarray) -> np.ndarray:
    """Index of the nearest strictly smaller value in direction ``step`` (-1 or +1) within a series.

    ``barrier`` marks the first (step -1) or last (step +1) frame of each series; -1 means none.
    Pointer jumping keeps, for every frame t and its pointer p, all values strictly between p and t at
    least values[t]; a pointer to a value >= values[t] jumps to that frame's own pointer.
    """
    pointer = np.arange(values.shape[0]) + step
    pointer[barrier] = -1
    active = np.flatnonzero(pointer >= 0)  # frames whose pointer may still have to jump
    while active.size:
        target = pointer[active]
        jump = values[target] >= values[active]
        active, target = active[jump], target[jump]
        pointer[active] = pointer[target]
        active = active[pointer[active] >= 0]
    return pointer


def _round(values: np.ndarray) -> np.ndarray:
    return np.round(values, decimals=6)


def class_statistics(start: np.ndarray, end: np.ndarray, file: np.ndarray, scores: np.ndarray, gt: GroundTruth,
                     dtc: float, gtc: float, cttc: float | None, raw: bool = False):
    """Per class: (thresholds ascending with +inf last, tps, fps, cts (classes, thresholds)).

    The counts at threshold u are those of detecting frames with score >= u, summed over files. With
    ``raw``, per class the :class:`ClassDeltas` they are summed from (per file, for the bootstrap).
    """
    n_frames, n_classes = scores.shape
    series_first = np.ones(n_frames, dtype=bool)
    series_first[1:] = file[1:] != file[:-1]
    series_last = np.ones(n_frames, dtype=bool)
    series_last[:-1] = file[1:] != file[:-1]
    first_index = np.maximum.accumulate(np.where(series_first, np.arange(n_frames), 0))
    last_index = np.minimum.accumulate(np.where(series_last, np.arange(n_frames), n_frames)[::-1])[::-1]

    ref = gt.events
    # Exact order of all times as integers, so that (file, time) keys compare without rounding.
    times, codes = np.unique(np.concatenate((ref.onset, ref.offset, start, end)), return_inverse=True)
    n_codes = times.shape[0] + 1
    n_ref_events = len(ref)
    ref_on_code, ref_off_code = codes[:n_ref_events], codes[n_ref_events:2 * n_ref_events]
    start_code = codes[2 * n_ref_events:2 * n_ref_events + n_frames]
    end_code = codes[2 * n_ref_events + n_frames:]
    ref_length = ref.offset - ref.onset

    results = []
    for c in range(n_classes):
        s = scores[:, c]
        before = _nearest_smaller(s, -1, series_first)
        after = _nearest_smaller(s, +1, series_last)
        a = np.where(before >= 0, before + 1, first_index)
        b = np.where(after >= 0, after, last_index + 1)  # exclusive
        _, node_frame = np.unique(a * (n_frames + 1) + b, return_index=True)
        a, b = a[node_frame], b[node_frame]
        birth = s[node_frame]
        left = np.where(a > first_index[node_frame], s[np.maximum(a - 1, 0)], -np.inf)
        right = np.where(b <= last_index[node_frame], s[np.minimum(b, n_frames - 1)], -np.inf)
        death = np.maximum(left, right)
        node_file = file[node_frame]
        on, off = start[a], end[b - 1]
        on_code, off_code = start_code[a], end_code[b - 1]
        length = off - on
        valid = length > 0

        def overlapping(label: int):
            """(node, reference event) pairs of one class that intersect, with their overlap."""
            members = np.flatnonzero(ref.label == label)  # sorted by (file, onset), disjoint
            key_off = ref.file[members] * n_codes + ref_off_code[members]
            key_on = ref.file[members] * n_codes + ref_on_code[members]
            first = np.searchsorted(key_off, node_file * n_codes + on_code, side="right")
            stop = np.searchsorted(key_on, node_file * n_codes + off_code, side="left")
            count = np.maximum(stop - first, 0)
            node = np.repeat(np.arange(a.shape[0]), count)
            offset_in_block = np.arange(node.shape[0]) - np.repeat(np.cumsum(count) - count, count)
            event = members[np.repeat(first, count) + offset_in_block]
            overlap = np.maximum(np.minimum(off[node], ref.offset[event]) - np.maximum(on[node], ref.onset[event]), 0.0)
            return node, event, overlap

        node, event, overlap = overlapping(c)
        total = _round(np.bincount(node, weights=overlap, minlength=a.shape[0]))
        passes = (total >= _round(dtc * length)) & valid

        thresholds = [birth, death]
        fp_delta = (valid & ~passes).astype(np.float64)
        deltas = {"fps": [fp_delta, -fp_delta]}
        ct_rows = []
        if cttc is not None:
            for other in range(n_classes):
                if other == c:
                    continue
                o_node, _, o_overlap = overlapping(other)
                o_total = _round(np.bincount(o_node, weights=o_overlap, minlength=a.shape[0]) * ~passes)
                hit = ((o_total >= _round(cttc * length)) & valid).astype(np.float64)
                ct_rows.append((other, hit))

        # Reference coverage by DTC-passing nodes, swept over their births (+) and deaths (-).
        relevant = passes[node] & (overlap > 0)
        r_node, r_event, r_overlap = node[relevant], event[relevant], overlap[relevant]
        sweep_event = np.concatenate((r_event, r_event))
        sweep_threshold = np.concatenate((birth[r_node], death[r_node]))
        sweep_amount = np.concatenate((r_overlap, -r_overlap))
        alive = np.isfinite(sweep_threshold)
        sweep_event, sweep_threshold, sweep_amount = sweep_event[alive], sweep_threshold[alive], sweep_amount[alive]
        order = np.lexsort((-sweep_threshold, sweep_event))
        sweep_event, sweep_threshold, sweep_amount = sweep_event[order], sweep_threshold[order], sweep_amount[order]
        group_end = np.ones(sweep_event.shape[0], dtype=bool)
        group_end[:-1] = (sweep_event[1:] != sweep_event[:-1]) | (sweep_threshold[1:] != sweep_threshold[:-1])
        coverage = np.cumsum(sweep_amount)
        event_first = np.ones(sweep_event.shape[0], dtype=bool)
        event_first[1:] = sweep_event[1:] != sweep_event[:-1]
        base = np.maximum.accumulate(np.where(event_first, np.arange(sweep_event.shape[0]), 0))
        coverage = coverage - np.where(base > 0, np.cumsum(sweep_amount)[np.maximum(base - 1, 0)], 0.0)
        g_event, g_threshold, g_coverage = sweep_event[group_end], sweep_threshold[group_end], coverage[group_end]
        status = (_round(g_coverage) >= _round(gtc * ref_length[g_event])).astype(np.float64)
        g_first = np.ones(g_event.shape[0], dtype=bool)
        g_first[1:] = g_event[1:] != g_event[:-1]
        previous = np.where(g_first, 0.0, np.concatenate(([0.0], status[:-1])))
        tp_threshold, tp_delta = g_threshold, status - previous

        # Accumulate all deltas per threshold; counts at u = sum of deltas at thresholds >= u.
        all_thresholds = np.concatenate((birth, death, tp_threshold))
        finite = np.isfinite(all_thresholds)
        unique, inverse = np.unique(all_thresholds[finite], return_inverse=True)
        n_nodes = birth.shape[0]
        row_deltas = [np.concatenate((np.zeros(2 * n_nodes), tp_delta)),
                      np.concatenate((fp_delta, -fp_delta, np.zeros(tp_delta.shape[0])))]
        row_deltas += [np.concatenate((hit, -hit, np.zeros(tp_delta.shape[0]))) for _, hit in ct_rows]
        delta_file = np.concatenate((node_file, node_file, ref.file[g_event]))[finite]
        deltas = ClassDeltas(np.append(unique, np.inf), inverse, np.stack([v[finite] for v in row_deltas]),
                             delta_file, [other for other, _ in ct_rows])
        results.append(deltas if raw else deltas.counts(n_classes))
    return results


@dataclass
class ClassDeltas:
    """One class's count changes: at ``thresholds[inverse[k]]``, row r (0 TP, 1 FP, 2.. CT on class
    ``ct_classes[r - 2]``) changes by ``values[r, k]``, contributed by file ``file[k]``."""

    thresholds: np.ndarray  # ascending, +inf last
    inverse: np.ndarray
    values: np.ndarray  # (rows, deltas)
    file: np.ndarray
    ct_classes: List[int]

    def counts(self, n_classes: int, file_weights: np.ndarray | None = None):
        """(thresholds, tps, fps, cts (classes, thresholds)): counts at u = weighted deltas at >= u."""
        n = self.thresholds.shape[0]
        weights = 1.0 if file_weights is None else file_weights[self.file]
        rows = np.stack([np.bincount(self.inverse, weights=v * weights, minlength=n - 1) for v in self.values])
        counts = np.concatenate((np.cumsum(rows[:, ::-1], axis=1)[:, ::-1], np.zeros((rows.shape[0], 1))), axis=1)
        cts = np.zeros((n_classes, n))
        for row, other in enumerate(self.ct_classes):
            cts[other] = counts[2 + row]
        return self.thresholds, counts[0], counts[1], cts


def _unique_cummax_sort(tpr: np.ndarray, efpr: np.ndarray, max_efpr: float, thresholds: np.ndarray):
    """sed_scores_eval's reduction of an ROC to its upper staircase (running maximum, one point per eFPR);
    returns (tpr, efpr, thresholds) of the kept points."""
    order = np.lexsort((tpr, efpr))
    tpr, efpr, thresholds = tpr[order], efpr[order], thresholds[order]
    running = np.maximum.accumulate(tpr)
    keep = np.concatenate(([0], np.flatnonzero(running[1:] > running[:-1]) + 1))
    tpr, efpr, thresholds = tpr[keep], efpr[keep], thresholds[keep]
    last_of_each = np.concatenate((np.flatnonzero(efpr[1:] != efpr[:-1]), [efpr.shape[0] - 1]))
    tpr, efpr, thresholds = tpr[last_of_each], efpr[last_of_each], thresholds[last_of_each]
    cut = efpr <= max_efpr
    return tpr[cut], efpr[cut], thresholds[cut]


def psds_from_scores(gt: GroundTruth, scores_dir: str | Path, dtc: float = 0.7, gtc: float = 0.7,
                     cttc: float = 0.3, alpha_ct: float = 0.0, alpha_st: float = 1.0,
                     max_efpr: float = 100.0, all_classes: Sequence[str] | None = None) -> PSDSResult:
    """Threshold-free PSDS (sed_scores_eval's ``intersection_based.psds``) from a folder of score files."""
    for name, value in (("dtc", dtc), ("gtc", gtc), ("cttc", cttc), ("alpha_ct", alpha_ct)):
        if not 0 <= value <= 1:
            raise InputError(f"{name} must be in [0, 1], got {value}")
    if alpha_st < 0 or not max_efpr > 0:
        raise InputError("alpha_st must be >= 0 and max_efpr > 0")
    start, end, file, scores = read_score_folder(scores_dir, gt, all_classes)
    parameters = dict(dtc=dtc, gtc=gtc, cttc=cttc, alpha_ct=alpha_ct, alpha_st=alpha_st, max_efpr=max_efpr)
    method = "threshold-free, intersection-based (sed_scores_eval)"
    if not gt.classes:
        return no_reference_result(parameters, method, 0)
    stats = class_statistics(start, end, file, scores, gt, dtc, gtc, cttc if alpha_ct > 0 else None)
    value, x, etpr, class_roc, class_thresholds = _psds_from_counts(
        stats, gt.classes, gt.n_ref, gt.total_duration, gt.ref_duration, alpha_ct, alpha_st, max_efpr)
    n_thresholds = int(sum(t.shape[0] for t, *_ in stats))
    result = PSDSResult(value if math.isfinite(value) else math.nan, x, etpr, list(gt.classes), class_roc,
                        parameters, method, n_thresholds)
    # Each class's ROC staircase with the score threshold of each point (>= threshold detects).
    result.extra["per_class_roc"] = {
        c: {"threshold": [float(t) if math.isfinite(t) else None for t in class_thresholds[c].tolist()],
            "tpr": class_roc[c][1].tolist(), "efpr_per_hour": class_roc[c][0].tolist()} for c in gt.classes}
    return result


def psds_bootstrap(gt: GroundTruth, scores_dir: str | Path, weights: np.ndarray, dtc: float = 0.7,
                   gtc: float = 0.7, cttc: float = 0.3, alpha_ct: float = 0.0, alpha_st: float = 1.0,
                   max_efpr: float = 100.0, all_classes: Sequence[str] | None = None,
                   progress: bool | None = None) -> np.ndarray:
    """PSDS on each bootstrap resample of the files (``weights``: (resamples, files) multiplicities over the
    files in sorted filename order, :func:`sedkit.metrics.bootstrap.resample_weights`).

    A resample counts each file as often as it is drawn: every count (TP, FP, CT, reference events and
    durations) is summed with the file's multiplicity, so the detections themselves are computed once.
    """
    from tqdm import tqdm

    order = {name: index for index, name in enumerate(sorted(gt.files))}
    if weights.ndim != 2 or weights.shape[1] != len(gt.files):
        raise InputError(f"bootstrap weights cover {weights.shape[-1]} files, the evaluation {len(gt.files)}")
    weights = weights[:, [order[name] for name in gt.files]]  # -> the ground truth's file order
    start, end, file, scores = read_score_folder(scores_dir, gt, all_classes)
    deltas = class_statistics(start, end, file, scores, gt, dtc, gtc, cttc if alpha_ct > 0 else None, raw=True)
    n_classes = len(gt.classes)
    ref = gt.events
    values = np.empty(weights.shape[0])
    for b in tqdm(range(weights.shape[0]), desc="psds bootstrap", unit="resample", leave=False,
                  disable=None if progress is None else not progress):
        w = weights[b]
        event_weight = w[ref.file]
        n_ref = np.bincount(ref.label, weights=event_weight, minlength=n_classes)
        ref_duration = np.bincount(ref.label, weights=event_weight * (ref.offset - ref.onset), minlength=n_classes)
        stats = [d.counts(n_classes, w) for d in deltas]
        values[b] = _psds_from_counts(stats, gt.classes, n_ref, float(w @ gt.durations), ref_duration,
                                      alpha_ct, alpha_st, max_efpr)[0]
    return values


def _psds_from_counts(stats, classes: Sequence[str], n_ref: np.ndarray, total_duration: float,
                      ref_duration: np.ndarray, alpha_ct: float, alpha_st: float, max_efpr: float):
    """(PSDS, eFPR grid, eTPR, class ROCs, class ROC thresholds) from each class's counts per threshold."""
    n_classes = len(classes)
    class_roc: Dict[str, tuple] = {}
    class_thresholds: Dict[str, np.ndarray] = {}
    for c, (thresholds, tps, fps, cts) in enumerate(stats):
        tpr = tps / max(n_ref[c], 1)
        rate = fps / total_duration
        if alpha_ct > 0 and n_classes > 1:
            others = [j for j in range(n_classes) if j != c]
            ct_rates = [cts[j] / max(ref_duration[j], 1e-12) for j in others]
            rate = rate + alpha_ct * np.mean(ct_rates, axis=0)
        tpr, efpr, kept = _unique_cummax_sort(tpr, rate * SECONDS_PER_HOUR, max_efpr, thresholds)
        class_roc[classes[c]], class_thresholds[classes[c]] = (efpr, tpr), kept
    x = np.unique(np.concatenate([efpr for efpr, _ in class_roc.values()]))
    curves = []
    for efpr, tpr in class_roc.values():
        index = np.searchsorted(efpr, x, side="right") - 1
        curves.append(np.where(index >= 0, tpr[np.maximum(index, 0)], 0.0))
    curves = np.stack(curves)
    etpr = np.maximum(curves.mean(axis=0) - alpha_st * curves.std(axis=0), 0.0)
    x_all, y_all = np.append(x, max_efpr), np.append(etpr, etpr[-1])
    cut = np.flatnonzero(x_all > max_efpr)
    cut = cut[0] if cut.size else x_all.shape[0]
    widths = np.diff(np.append(x_all[:cut], max_efpr))
    value = float(np.sum(y_all[:cut] * widths)) / max_efpr
    return value, x, etpr, class_roc, class_thresholds
