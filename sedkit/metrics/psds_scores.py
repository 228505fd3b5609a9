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
from pathlib import Path
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np

from sedkit.errors import InputError
from sedkit.io import ScoreFiles, read_score_files
from sedkit.metrics.common import EncodedEvents, frame_event_ranges, intersecting_pairs
from sedkit.metrics.criteria import PSDSCriteria
from sedkit.metrics.psds import (SECONDS_PER_HOUR, GroundTruth, PSDSResult, area_up_to, no_reference_result,
                                 psd_roc)
from sedkit.parallel import thread_map

__all__ = ["psds_from_scores", "psds_bootstrap", "read_score_folder", "class_statistics", "ClassDeltas",
           "score_deltas", "psds_from_arrays", "class_psds_from_arrays"]


def read_score_folder(folder: str | Path, gt: GroundTruth, all_classes: Sequence[str] | None = None,
                      files: ScoreFiles | None = None, threads: int = 1):
    """Frame scores of every evaluated file from ``folder/<clip>.tsv`` (``<clip>`` = filename stem), or from
    ``files`` already read (:func:`sedkit.io.read_score_files`, any clip order); ``threads``: for the parsing.

    Returns (frame start times, frame end times, file index per frame, scores of the ground truth's
    classes with shape (frames, classes)), frames concatenated in the ground truth's file order.
    """
    import warnings

    from sedkit.metrics.psds import PSDSWarning

    if files is None:
        files = read_score_files(folder, gt.files, outside="the reference (nor in the durations)", threads=threads)
    ignored = [c for c in files.header if all_classes is not None and c not in all_classes]
    if ignored:
        warnings.warn(f"{folder}: score columns {', '.join(ignored)} are not in --classes: ignored", PSDSWarning)
    unused = [c for c in files.header if c not in gt.classes and c not in ignored]
    if unused:
        warnings.warn(f"{folder}: no reference events for score columns {', '.join(unused)}; left out of PSDS",
                      PSDSWarning)
    lacking = [c for c in gt.classes if c not in files.classes]
    if lacking:
        raise InputError(f"{files.paths[0]}:1: no score column for {', '.join(lacking)}")
    start, end, file, scores = files.concatenated(gt.files)
    take = [files.classes.index(c) for c in gt.classes]
    return start, end, file, scores if take == list(range(scores.shape[1])) else scores[:, take]


def _nearest_smaller(values: np.ndarray, step: int, barrier: np.ndarray, or_equal: bool = False) -> np.ndarray:
    """Index of the nearest strictly smaller (``or_equal``: smaller or equal) value in direction ``step`` (-1 or
    +1) within a series, -1 where there is none; ``barrier`` marks the first (step -1) or last (step +1)
    frame of each series. A compiled one-pass stack (:func:`sedkit.metrics._kernels.nearest_smaller`)."""
    from sedkit.metrics._kernels import nearest_smaller

    return nearest_smaller(values, step, barrier, or_equal)


def _round(values: np.ndarray) -> np.ndarray:
    return np.round(values, decimals=6)


@dataclass
class _Frames:
    """All clips' frames concatenated (file order), with each frame's series bounds."""

    start: np.ndarray  # seconds
    end: np.ndarray
    file: np.ndarray
    first: np.ndarray  # index of the first frame of the frame's clip
    last: np.ndarray  # index of the last frame of the frame's clip
    is_first: np.ndarray
    is_last: np.ndarray


@dataclass
class _Runs:
    """One class's detections at every threshold: the runs of frames with score >= u. Each run is a node
    of a tree (runs only appear and merge as u falls) alive for thresholds in (death, birth]."""

    a: np.ndarray  # first frame
    b: np.ndarray  # one past the last frame
    birth: np.ndarray
    death: np.ndarray
    file: np.ndarray
    onset: np.ndarray
    offset: np.ndarray

    @property
    def length(self) -> np.ndarray:
        return self.offset - self.onset


def _frames(start, end, file) -> "_Frames":
    n = start.shape[0]
    is_first = np.ones(n, dtype=bool)
    is_first[1:] = file[1:] != file[:-1]
    is_last = np.ones(n, dtype=bool)
    is_last[:-1] = file[1:] != file[:-1]
    first = np.maximum.accumulate(np.where(is_first, np.arange(n), 0))
    last = np.minimum.accumulate(np.where(is_last, np.arange(n), n)[::-1])[::-1]
    return _Frames(start, end, file, first, last, is_first, is_last)


def _runs(score: np.ndarray, frames: _Frames) -> _Runs:
    """Every run of one class's score curve: the frames around t bounded by the nearest strictly smaller
    scores on either side; born at score_t, dead once u falls below the larger neighbouring score. ``score``
    may be the scores' ranks (any numeric type; birth and death come as float64).

    Frames of equal score inside one run share it: the run is kept once, for the leftmost of them (the frame
    whose nearest smaller-or-equal score on the left is strictly smaller), in frame order."""
    before = _nearest_smaller(score, -1, frames.is_first, or_equal=True)
    after = _nearest_smaller(score, +1, frames.is_last)
    canonical = (before < 0) | (score.take(before) < score)
    if canonical.all():  # no tie inside a run (the usual case for real-valued scores)
        birth, file, first, last = score, frames.file, frames.first, frames.last
    else:
        node = np.flatnonzero(canonical)
        before, after = before.take(node), after.take(node)
        birth, file, first, last = score.take(node), frames.file.take(node), frames.first[node], frames.last[node]
    has_left, has_right = before >= 0, after >= 0
    a = np.where(has_left, before + 1, first)
    b = np.where(has_right, after, last + 1)
    death = np.maximum(np.where(has_left, score.take(before), -np.inf), np.where(has_right, score.take(after), -np.inf))
    return _Runs(a, b, birth.astype(np.float64), death, file, frames.start.take(a), frames.end.take(b - 1))


@dataclass
class _ClassEvents:
    """One class's reference events (``rows`` into the ground truth's events) with the candidate ranges of
    every frame among them (:func:`sedkit.metrics.common.frame_event_ranges`): found once, used by every
    class's runs (the cross-trigger test looks at each class's runs against every other class's events)."""

    rows: np.ndarray
    events: EncodedEvents
    first: np.ndarray
    stop: np.ndarray


def _class_events(ref: EncodedEvents, label: int | None, frames: _Frames) -> _ClassEvents:
    """One class's events (``label`` None: every event) with their frame ranges."""
    rows = np.flatnonzero(ref.label == label) if label is not None else np.arange(ref.label.shape[0])
    events = ref.take(rows)
    return _ClassEvents(rows, events, *frame_event_ranges(frames.start, frames.end, frames.file, events))


def _overlaps(runs: _Runs, ref: EncodedEvents, target: _ClassEvents):
    """(run, reference event, overlap in seconds) for every run and event of ``target``'s class that intersect."""
    run, position = intersecting_pairs(runs, target.events, grid=(target.first, target.stop, runs.a, runs.b - 1))
    event = target.rows[position]
    overlap = np.minimum(runs.offset[run], ref.offset[event]) - np.maximum(runs.onset[run], ref.onset[event])
    return run, event, overlap


def _covered(runs: _Runs, run: np.ndarray, overlap: np.ndarray, fraction: float) -> np.ndarray:
    """Runs whose summed overlap reaches ``fraction`` of their length (DTC, or CTTC against another class)."""
    total = _round(np.bincount(run, weights=overlap, minlength=runs.a.shape[0]))
    return (total >= _round(fraction * runs.length)) & (runs.length > 0)


@dataclass
class _CrossSteps:
    """Cross-trigger changes of one class's runs, all other classes together: +1 at ``up`` (threshold index) in
    file ``up_file`` on class ``up_class``, -1 likewise at ``down``."""

    up: np.ndarray
    up_file: np.ndarray
    up_class: np.ndarray
    down: np.ndarray
    down_file: np.ndarray
    down_class: np.ndarray


def _cross_triggers(runs: _Runs, ref: EncodedEvents, everything: _ClassEvents, passes: np.ndarray, label: int,
                    n_classes: int, cttc: float) -> _CrossSteps:
    """The (run, other class) pairs where a DTC-failing run is covered >= cttc by that class's events, found
    in one pass over every event (not one per class: with K classes that is K^2 passes), as steps."""
    run, event, overlap = _overlaps(runs, ref, everything)
    other = ref.label[event]
    keep = (other != label) & ~passes[run] & (runs.length[run] > 0)
    run, other, overlap = run[keep], other[keep], overlap[keep]
    key, inverse = np.unique(run.astype(np.int64) * n_classes + other, return_inverse=True)
    total = _round(np.bincount(inverse, weights=overlap, minlength=key.shape[0]))
    pair_run, pair_class = np.divmod(key, n_classes)
    hit = total >= _round(cttc * runs.length[pair_run])
    pair_run, pair_class = pair_run[hit], pair_class[hit]
    dies = runs.death[pair_run]
    ends = np.isfinite(dies)
    files = runs.file[pair_run]
    return _CrossSteps(runs.birth[pair_run].astype(np.int64), files, pair_class, dies[ends].astype(np.int64),
                       files[ends], pair_class[ends])


def _alive(runs: _Runs, mask: np.ndarray) -> "_Steps":
    """The runs in ``mask`` as count changes: +1 at their birth, -1 at their death (none for a run alive down to
    the lowest threshold)."""
    dies = runs.death[mask]
    ends = np.isfinite(dies)
    file = runs.file[mask]
    return _Steps(runs.birth[mask].astype(np.int64), file, dies[ends].astype(np.int64), file[ends])


def _tp_changes(runs: _Runs, passes: np.ndarray, run: np.ndarray, event: np.ndarray, overlap: np.ndarray,
                ref_length: np.ndarray, ref_file: np.ndarray, gtc: float):
    """The TP count's changes as u falls: an event is a TP while the DTC-passing runs alive at u cover >= gtc
    of it; its coverage is swept over those runs' births (+) and deaths (-)."""
    useful = passes[run] & (overlap > 0)
    run, event, overlap = run[useful], event[useful], overlap[useful]
    sweep_event = np.concatenate((event, event))
    sweep_u = np.concatenate((runs.birth[run], runs.death[run]))
    amount = np.concatenate((overlap, -overlap))
    alive = np.isfinite(sweep_u)
    sweep_event, sweep_u, amount = sweep_event[alive], sweep_u[alive], amount[alive]
    # per event, thresholds (ranks, < span) falling; one integer key
    span = int(sweep_u.max()) + 1 if sweep_u.size else 1
    order = np.argsort(sweep_event * span + (span - 1 - sweep_u.astype(np.int64)))
    sweep_event, sweep_u, amount = sweep_event[order], sweep_u[order], amount[order]
    running = np.cumsum(amount)
    event_first = np.ones(sweep_event.shape[0], dtype=bool)
    event_first[1:] = sweep_event[1:] != sweep_event[:-1]
    base = np.maximum.accumulate(np.where(event_first, np.arange(sweep_event.shape[0]), 0))
    coverage = running - np.where(base > 0, running[np.maximum(base - 1, 0)], 0.0)  # per event
    group_end = np.ones(sweep_event.shape[0], dtype=bool)
    group_end[:-1] = event_first[1:] | (sweep_u[1:] != sweep_u[:-1])
    event, u, coverage = sweep_event[group_end], sweep_u[group_end], coverage[group_end]
    status = (_round(coverage) >= _round(gtc * ref_length[event])).astype(np.float64)
    first = np.ones(event.shape[0], dtype=bool)
    first[1:] = event[1:] != event[:-1]
    previous = np.where(first, 0.0, np.concatenate(([0.0], status[:-1])))
    up, down = status > previous, status < previous  # statuses are 0 or 1
    u = u.astype(np.int64)
    return _Steps(u[up], ref_file[event[up]], u[down], ref_file[event[down]])


def class_statistics(start: np.ndarray, end: np.ndarray, file: np.ndarray, scores: np.ndarray, gt: GroundTruth,
                     dtc: float, gtc: float, cttc: float | None, raw: bool = False, jobs: int = 1, reduce=None):
    """Per class: (thresholds ascending with +inf last, tps, fps, cross-trigger rate sum (ClassDeltas.counts)).

    The counts at threshold u are those of detecting frames with score >= u, summed over files. With
    ``raw``, per class the :class:`ClassDeltas` they are summed from (per file, for the bootstrap). Classes
    are independent: ``jobs`` > 1 computes them on that many threads (same results). ``reduce(c, deltas)``,
    when given, turns each class's :class:`ClassDeltas` into what is kept of it (e.g. its ROC), so that no
    class's full-length arrays outlive its turn (AudioSet scale: 400 classes x 600 000 thresholds).
    Steps, per class: the runs (:func:`_runs`); their overlaps with the class's reference events; the DTC
    (a failing run is a FP while alive, a CT on class j where it covers >= cttc of class-j events); the GTC
    sweep (:func:`_tp_changes`); all changes accumulated per threshold (:class:`ClassDeltas`).
    """
    n_classes = scores.shape[1]
    ref = gt.events
    frames = _frames(start, end, file)
    ref_length = ref.offset - ref.onset
    everything = _class_events(ref, None, frames) if cttc is not None else None

    def one_class(c: int):
        # The run tree depends only on the order of the scores: build it on their ranks, so that every
        # threshold below is an index into the class's distinct scores (no sorting of thresholds later).
        values, rank = np.unique(scores[:, c], return_inverse=True)
        runs = _runs(rank.astype(np.int32 if values.shape[0] < 2 ** 31 else np.int64), frames)
        run, event, overlap = _overlaps(runs, ref, _class_events(ref, c, frames))
        passes = _covered(runs, run, overlap, dtc)
        rows = [_tp_changes(runs, passes, run, event, overlap, ref_length, ref.file, gtc),
                _alive(runs, ~passes & (runs.length > 0))]  # a failing run is a FP while alive
        cross = _cross_triggers(runs, ref, everything, passes, c, n_classes, cttc) if cttc is not None else None
        deltas = ClassDeltas(np.append(values, np.inf), rows, cross)
        if reduce is not None:
            return reduce(c, deltas)
        return deltas if raw else deltas.counts(ref_duration=gt.ref_duration)

    return thread_map(one_class, range(n_classes), jobs)


@dataclass
class _Steps:
    """Where one count goes up by 1 (``up``: threshold indices, ``up_file``: the file of each) and down by 1."""

    up: np.ndarray
    up_file: np.ndarray
    down: np.ndarray
    down_file: np.ndarray

    def at_or_above(self, n: int, file_weights: np.ndarray | None = None) -> np.ndarray:
        """The count at each of ``n`` thresholds: the (file-weighted) steps at that threshold and above."""
        if file_weights is None:
            net = np.bincount(self.up, minlength=n) - np.bincount(self.down, minlength=n)
        else:
            net = (np.bincount(self.up, weights=file_weights[self.up_file], minlength=n)
                   - np.bincount(self.down, weights=file_weights[self.down_file], minlength=n))
        return np.cumsum(net[::-1])[::-1].astype(np.float64)


@dataclass
class ClassDeltas:
    """One class's count changes: ``rows[0]`` the TP count's :class:`_Steps`, ``rows[1]`` the FP count's, and
    ``cross`` the cross-trigger changes on every other class (None when cross-triggers are not counted), as
    indices into ``thresholds`` and the files they come from."""

    thresholds: np.ndarray  # ascending, +inf last (where no count has a step)
    rows: List[_Steps]
    cross: "_CrossSteps | None" = None

    def counts(self, file_weights: np.ndarray | None = None, ref_duration: np.ndarray | None = None):
        """(thresholds, tps, fps, ct): counts at u = (file-weighted) changes at >= u; ``ct`` is the cross-trigger
        rate sum over the other classes, sum_j CT_j(u) / max(ref_duration_j, 1e-12) (0 when no cross-triggers
        were counted or no ``ref_duration`` is given): what the eFPR needs, without a (classes x thresholds)
        matrix per class, which at AudioSet scale (400 classes, 600 000 thresholds) would not fit in memory."""
        n = self.thresholds.shape[0]
        tps, fps = (row.at_or_above(n, file_weights) for row in self.rows[:2])
        if self.cross is None or ref_duration is None:
            return self.thresholds, tps, fps, np.zeros(1)
        x = self.cross
        scale = 1.0 / np.maximum(np.asarray(ref_duration, dtype=np.float64), 1e-12)
        up_weight, down_weight = scale[x.up_class], scale[x.down_class]
        if file_weights is not None:
            up_weight = up_weight * file_weights[x.up_file]
            down_weight = down_weight * file_weights[x.down_file]
        net = np.bincount(x.up, weights=up_weight, minlength=n) - np.bincount(x.down, weights=down_weight, minlength=n)
        return self.thresholds, tps, fps, np.cumsum(net[::-1])[::-1]


def _unique_cummax_sort(tpr: np.ndarray, efpr: np.ndarray, max_efpr: float, thresholds: np.ndarray, *other):
    """sed_scores_eval's reduction of an ROC to its upper staircase (running maximum, one point per eFPR);
    returns (tpr, efpr, thresholds, *other) of the kept points (``other``: more per-point arrays)."""
    # Points beyond max_efpr come after all others in (efpr, tpr) order, so they change none of the others:
    # cut first, sort fewer.
    cut = np.flatnonzero(efpr <= max_efpr)
    tpr, efpr, thresholds, *other = (a[cut] for a in (tpr, efpr, thresholds, *other))
    order = np.lexsort((tpr, efpr))
    tpr, efpr, thresholds, *other = (a[order] for a in (tpr, efpr, thresholds, *other))
    running = np.maximum.accumulate(tpr)
    keep = np.concatenate(([0], np.flatnonzero(running[1:] > running[:-1]) + 1))
    tpr, efpr, thresholds, *other = (a[keep] for a in (tpr, efpr, thresholds, *other))
    last_of_each = np.concatenate((np.flatnonzero(efpr[1:] != efpr[:-1]), [efpr.shape[0] - 1]))
    return tuple(a[last_of_each] for a in (tpr, efpr, thresholds, *other))


def score_deltas(gt: GroundTruth, scores_dir: str | Path, criteria: PSDSCriteria, *,
                 all_classes: Sequence[str] | None = None, jobs: int = 1) -> List["ClassDeltas"]:
    """The score folder read and turned into each class's count changes (:class:`ClassDeltas`, per file):
    what :func:`psds_from_scores` and :func:`psds_bootstrap` compute from; pass it to both to read once.
    ``jobs``: threads for the classes (:func:`class_statistics`). Only ``dtc``, ``gtc`` and (when ``alpha_ct``
    > 0) ``cttc`` of ``criteria`` matter here."""
    _require_scores_criteria(criteria)
    start, end, file, scores = read_score_folder(scores_dir, gt, all_classes, threads=jobs)
    if not gt.classes:
        return []
    return class_statistics(start, end, file, scores, gt, criteria.dtc, criteria.gtc,
                            criteria.cross_trigger_tolerance, raw=True, jobs=jobs)


def _require_scores_criteria(criteria: PSDSCriteria) -> None:
    if not isinstance(criteria, PSDSCriteria):
        raise TypeError("criteria: a sedkit.metrics.criteria.PSDSCriteria (e.g. scenario(1))")
    if criteria.max_efpr is None:
        raise InputError("max_efpr: threshold-free PSDS needs a value (e.g. 100 per hour)")


def psds_from_scores(gt: GroundTruth, scores_dir: str | Path, criteria: PSDSCriteria, *,
                     all_classes: Sequence[str] | None = None, deltas: List["ClassDeltas"] | None = None,
                     jobs: int = 1) -> PSDSResult:
    """Threshold-free PSDS (sed_scores_eval's ``intersection_based.psds``) from a folder of score files (or
    from its ``deltas``, :func:`score_deltas`, computed with the same criteria); ``jobs`` as there."""
    _require_scores_criteria(criteria)
    alpha_ct, alpha_st, max_efpr = criteria.alpha_ct, criteria.alpha_st, criteria.max_efpr
    parameters = criteria.to_json()
    method = "threshold-free, intersection-based (sed_scores_eval)"
    if deltas is None:  # one class at a time, nothing but its ROC kept
        start, end, file, scores = read_score_folder(scores_dir, gt, all_classes, threads=jobs)
        if not gt.classes:
            return no_reference_result(parameters, method, 0)
        value, x, etpr, class_roc, class_thresholds, n_thresholds = psds_from_arrays(start, end, file, scores, gt,
                                                                                     criteria, jobs)
    else:
        if not gt.classes:
            return no_reference_result(parameters, method, 0)
        stats = thread_map(lambda d: d.counts(ref_duration=gt.ref_duration), deltas, jobs)
        value, x, etpr, class_roc, class_thresholds = _psds_from_counts(
            stats, gt.classes, gt.n_ref, gt.total_duration, alpha_ct, alpha_st, max_efpr)
        n_thresholds = int(sum(t.shape[0] for t, *_ in stats))
    result = PSDSResult(value if math.isfinite(value) else math.nan, x, etpr, list(gt.classes), class_roc,
                        parameters, method, n_thresholds)
    # Each class's ROC staircase with the score threshold of each point (>= threshold detects).
    result.extra["per_class_roc"] = {
        c: {"threshold": [float(t) if math.isfinite(t) else None for t in class_thresholds[c].tolist()],
            "tpr": class_roc[c][1].tolist(), "efpr_per_hour": class_roc[c][0].tolist()} for c in gt.classes}
    return result


def psds_bootstrap(gt: GroundTruth, scores_dir: str | Path, weights: np.ndarray, criteria: PSDSCriteria, *,
                   all_classes: Sequence[str] | None = None, progress: bool | None = None,
                   deltas: List["ClassDeltas"] | None = None, jobs: int = 1) -> np.ndarray:
    """PSDS on each bootstrap resample of the files (``weights``: (resamples, files) multiplicities over the
    files in sorted filename order, :func:`sedkit.metrics.bootstrap.resample_weights`); ``deltas`` and
    ``jobs`` as in :func:`psds_from_scores`.

    A resample counts each file as often as it is drawn: every count (TP, FP, CT, reference events and
    durations) is summed with the file's multiplicity, so the detections themselves are computed once.
    """

    from sedkit.metrics.bootstrap import weights_in_order

    _require_scores_criteria(criteria)
    alpha_ct, alpha_st, max_efpr = criteria.alpha_ct, criteria.alpha_st, criteria.max_efpr
    weights = weights_in_order(weights, gt.files)  # -> the ground truth's file order
    if deltas is None:
        deltas = score_deltas(gt, scores_dir, criteria, all_classes=all_classes, jobs=jobs)
    values = np.empty(weights.shape[0])
    for b, (w, n_ref, ref_duration, total) in enumerate(resample_totals(gt, weights, "psds bootstrap", progress)):
        stats = thread_map(lambda d: d.counts(w, ref_duration), deltas, jobs)
        values[b] = _psds_from_counts(stats, gt.classes, n_ref, total, alpha_ct, alpha_st, max_efpr)[0]
    return values


def resample_totals(gt: GroundTruth, weights: np.ndarray, what: str, progress: bool | None):
    """Per bootstrap resample (rows of ``weights``, in the ground truth's file order), with a progress bar:
    (file weights, reference events per class, their seconds per class, total seconds of audio)."""
    from tqdm import tqdm

    n_classes = len(gt.classes)
    ref = gt.events
    for b in tqdm(range(weights.shape[0]), desc=what, unit="resample", leave=False,
                  disable=None if progress is None else not progress):
        w = weights[b]
        event_weight = w[ref.file]
        n_ref = np.bincount(ref.label, weights=event_weight, minlength=n_classes)
        ref_duration = np.bincount(ref.label, weights=event_weight * (ref.offset - ref.onset), minlength=n_classes)
        yield w, n_ref, ref_duration, float(w @ gt.durations)


def _class_roc(counts, n_ref: float, total_duration: float, n_classes: int, alpha_ct: float, max_efpr: float):
    """One class's ROC staircase (efpr per hour, tpr, the thresholds of its points) from its counts."""
    thresholds, tps, fps, ct_rate_sum = counts
    tpr = tps / max(n_ref, 1)
    rate = fps / total_duration
    if alpha_ct > 0 and n_classes > 1:  # the mean over the other classes of CT_j / ref_duration_j
        rate = rate + alpha_ct * ct_rate_sum / (n_classes - 1)
    tpr, efpr, kept = _unique_cummax_sort(tpr, rate * SECONDS_PER_HOUR, max_efpr, thresholds)
    return efpr, tpr, kept


def _psds_from_rocs(rocs, classes: Sequence[str], alpha_st: float, max_efpr: float):
    """(PSDS, eFPR grid, eTPR, class ROCs, class ROC thresholds) from each class's :func:`_class_roc`."""
    class_roc = {classes[c]: (efpr, tpr) for c, (efpr, tpr, _) in enumerate(rocs)}
    class_thresholds = {classes[c]: kept for c, (_, _, kept) in enumerate(rocs)}
    x, etpr = psd_roc(list(class_roc.values()), alpha_st)
    value = area_up_to(x, etpr, max_efpr) / max_efpr
    return value, x, etpr, class_roc, class_thresholds


def _psds_from_counts(stats, classes: Sequence[str], n_ref: np.ndarray, total_duration: float, alpha_ct: float,
                      alpha_st: float, max_efpr: float):
    """(PSDS, eFPR grid, eTPR, class ROCs, class ROC thresholds) from each class's counts per threshold (the
    reference durations are already in each class's cross-trigger rate sum, :meth:`ClassDeltas.counts`)."""
    rocs = [_class_roc(counts, n_ref[c], total_duration, len(classes), alpha_ct, max_efpr)
            for c, counts in enumerate(stats)]
    return _psds_from_rocs(rocs, classes, alpha_st, max_efpr)


def psds_from_arrays(start: np.ndarray, end: np.ndarray, file: np.ndarray, scores: np.ndarray, gt: GroundTruth,
                     criteria: PSDSCriteria, jobs: int = 1):
    """Threshold-free PSDS from frames already read (:func:`read_score_folder`'s arrays), keeping of each class
    only its ROC: memory is the scores plus one class's work at a time (on ``jobs`` threads, ``jobs`` at a
    time). Returns (PSDS, eFPR grid, eTPR, class ROCs, class ROC thresholds, number of thresholds)."""
    n_classes = len(gt.classes)

    def roc(c, deltas):
        counts = deltas.counts(ref_duration=gt.ref_duration)
        return _class_roc(counts, gt.n_ref[c], gt.total_duration, n_classes, criteria.alpha_ct,
                          criteria.max_efpr), counts[0].shape[0]

    kept = class_statistics(start, end, file, scores, gt, criteria.dtc, criteria.gtc,
                            criteria.cross_trigger_tolerance, jobs=jobs, reduce=roc)
    return (*_psds_from_rocs([r for r, _ in kept], gt.classes, criteria.alpha_st, criteria.max_efpr),
            int(sum(n for _, n in kept)))


def class_psds_from_arrays(start: np.ndarray, end: np.ndarray, file: np.ndarray, scores: np.ndarray, gt: GroundTruth,
                           criteria: PSDSCriteria, jobs: int = 1) -> dict:
    """Each class's own PSDS, ``{class: area under its ROC up to max_efpr / max_efpr}`` (sed_scores_eval's
    per-class ``psds`` values; alpha_st plays no part), from frames as :func:`psds_from_arrays` takes them: what
    a per-class choice of post-processing compares (the SEBB tuning, :mod:`sedkit.tuning`)."""
    n_classes = len(gt.classes)

    def area(c, deltas):
        efpr, tpr, _ = _class_roc(deltas.counts(ref_duration=gt.ref_duration), gt.n_ref[c], gt.total_duration,
                                  n_classes, criteria.alpha_ct, criteria.max_efpr)
        return area_up_to(efpr, tpr, criteria.max_efpr) / criteria.max_efpr  # from its first point, as there

    values = class_statistics(start, end, file, scores, gt, criteria.dtc, criteria.gtc,
                              criteria.cross_trigger_tolerance, jobs=jobs, reduce=area)
    return {c: float(v) for c, v in zip(gt.classes, values)}
