"""Polyphonic sound detection score (PSDS) from thresholded operating points, equal to psds_eval.

Definitions (Bilen et al., ICASSP 2020; psds_eval 0.5.3 ``PSDSEval(dtc, gtc, cttc)`` and
``psds(alpha_ct, alpha_st, max_efpr)``), per operating point (one detection table):

- a detection and a reference event *intersect* when ``on_d < off_g`` and ``on_g < off_d`` (same file);
- detection tolerance criterion (DTC): the fraction of a detection covered by reference events of its
  class is >= ``dtc``;
- ground-truth intersection criterion (GTC): the fraction of a reference event covered by DTC-passing
  detections of its class is >= ``gtc``; such a reference event is a true positive;
- a detection failing the DTC is a false positive (if it overlaps its file's duration), and a
  cross-trigger on class ``j`` when the fraction of it covered by class-``j`` reference events is >= ``cttc``.

Rates: TPR_c = TP_c / n_ref_c; FPR_c = FP_c / (total duration) per hour; CTR_cj = CT_cj / (duration of
class-j reference events) per hour. eFPR_c = FPR_c + alpha_ct * mean_j CTR_cj. Each class's ROC is the
running maximum of TPR over eFPR (operating points plus the origin); the PSD-ROC is the mean over classes
minus ``alpha_st`` times their standard deviation, and PSDS its area up to ``max_efpr``, divided by
``max_efpr``.

Where psds_eval refuses input, sedkit goes on and warns: overlapping reference (or detected) events of one
class in one file are merged into one (identical duplicate detections are kept, as psds_eval counts them);
zero-length events are dropped (psds_eval drops them silently). Classes without reference events are left
out of the average (psds_eval only knows classes present in the reference). With a single class the
cross-trigger term is taken as 0 (psds_eval gives NaN there). Detections whose label is not in the class
list are ignored, as psds_eval ignores them (its confusion matrix has rows only for the reference's
classes). A reference without any event gives PSDS 0 (psds_eval 0.5.3 and sed_scores_eval 0.0.4 raise).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from sedkit.errors import InputWarning
from sedkit.io import EventTable, lookup
from sedkit.metrics.criteria import PSDSCriteria
from sedkit.metrics.common import (EncodedEvents, encode_events, encode_files, evaluated_files,
                                   intersecting_pairs, resolve_classes)

__all__ = ["PSDSResult", "GroundTruth", "prepare_ground_truth", "psds_from_operating_points",
           "operating_point_counts", "SECONDS_PER_HOUR", "PSDSWarning", "merge_overlaps",
           "encode_detections"]

SECONDS_PER_HOUR = 3600.0


class PSDSWarning(InputWarning):
    """Input that psds_eval would refuse or silently change, and that sedkit repaired."""


@dataclass
class GroundTruth:
    """Reference events prepared for PSDS, with the evaluation's files, classes and durations."""

    events: EncodedEvents  # sorted by (file, onset)
    files: List[str]
    classes: List[str]  # classes with at least one reference event (the PSDS average)
    durations: np.ndarray  # seconds per file
    n_ref: np.ndarray  # events per class
    ref_duration: np.ndarray  # seconds of reference events per class

    @cached_property
    def file_index(self) -> Dict[str, int]:
        return {name: i for i, name in enumerate(self.files)}

    @property
    def total_duration(self) -> float:
        return float(self.durations.sum())


@dataclass
class PSDSResult:
    """A PSDS value with its PSD-ROC (eFPR per hour -> eTPR) and per-class ROCs."""

    psds: float
    efpr: np.ndarray
    etpr: np.ndarray
    classes: List[str]
    class_roc: Dict[str, tuple]  # class -> (efpr, tpr) step points
    parameters: Dict[str, float]
    method: str
    n_operating_points: int
    extra: Dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "psds": None if math.isnan(self.psds) else self.psds,
            "method": self.method,
            "parameters": self.parameters,
            "n_operating_points": self.n_operating_points,
            "classes": self.classes,
            "psd_roc": {"efpr_per_hour": self.efpr.tolist(),
                        "etpr": [None if math.isnan(v) else v for v in self.etpr.tolist()]},
            **self.extra,
        }


def _drop_zero_length(events: EncodedEvents, files: Sequence[str], what: str) -> EncodedEvents:
    zero = events.offset <= events.onset
    if zero.any():
        first = files[int(events.file[zero][0])]
        warnings.warn(f"{what}: dropped {int(zero.sum())} zero-length event(s) (first in {first})", PSDSWarning)
        events = EncodedEvents(*(a[~zero] for a in (events.file, events.label, events.onset, events.offset)))
    return events


def _is_sorted(*keys: np.ndarray) -> bool:
    """Whether rows are in lexicographic order of ``keys`` (the first the most significant)."""
    tied = np.ones(max(len(keys[0]) - 1, 0), dtype=bool)
    for key in keys:
        step = np.diff(key)
        if (step[tied] < 0).any():
            return False
        tied &= step == 0
    return True


def _group_order(file: np.ndarray, group: np.ndarray, onset: np.ndarray, offset: np.ndarray) -> Optional[np.ndarray]:
    """Indices sorting by (group, onset, offset), or None where the events already are so.

    Tables are mostly written in time order within each file (then one stable sort by group, a radix sort
    where group numbers fit 16 bits, finishes the job) or class by class within each file (nothing to do).
    """
    if _is_sorted(group, onset, offset):
        return None
    base = None if _is_sorted(file, onset, offset) else np.lexsort((offset, onset))
    keys = group if base is None else group[base]
    order = np.argsort(keys.astype(np.uint16) if keys.max() < 2 ** 16 else keys, kind="stable")
    return order if base is None else base[order]


def merge_overlaps(events: EncodedEvents, files: Sequence[str], what: str,
                   keep_identical: bool = False, touching: bool = False) -> EncodedEvents:
    """Merge same-class events of a file that intersect (``on_b < off_a``); result sorted by (file, class,
    onset, offset).

    With ``keep_identical``, a group made only of identical copies is kept as it is (psds_eval accepts
    identical duplicate detections and counts each). With ``touching``, events that only touch
    (``on_b == off_a``) are merged too (sed_scores_eval refuses connected reference events).
    """
    file, label, onset, offset = events.file, events.label, events.onset, events.offset
    if not len(file):
        return events
    group = file * (int(label.max()) + 1) + label
    order = _group_order(file, group, onset, offset)
    if order is not None:
        file, label, onset, offset, group = (a[order] for a in (file, label, onset, offset, group))
    shift = float(offset.max()) + 1.0
    running_end = np.maximum.accumulate(offset + group * shift) - group * shift
    new_group = np.ones(len(file), dtype=bool)
    starts_new = onset[1:] > running_end[:-1] if touching else onset[1:] >= running_end[:-1]
    new_group[1:] = (group[1:] != group[:-1]) | starts_new
    if new_group.all():
        return EncodedEvents(file, label, onset, offset)
    run = np.cumsum(new_group) - 1
    n_runs = int(run[-1]) + 1
    sizes = np.bincount(run, minlength=n_runs)
    starts = np.flatnonzero(new_group)
    run_on = onset[starts]  # sorted by onset within the group: the run's first event starts it
    run_off = np.maximum.reduceat(offset, starts)
    identical = (onset == run_on[run]) & (offset == run_off[run])
    all_identical = np.bincount(run, weights=identical, minlength=n_runs) == sizes
    merge_run = (sizes > 1) & ~(all_identical & keep_identical)
    if not merge_run.any():
        return EncodedEvents(file, label, onset, offset)
    first_file = files[int(file[np.flatnonzero(merge_run[run])[0]])]
    warnings.warn(f"{what}: merged {int(sizes[merge_run].sum())} overlapping same-class events into "
                  f"{int(merge_run.sum())} (first in {first_file})", PSDSWarning)
    keep = ~merge_run[run] | new_group
    offset = np.where(merge_run[run], run_off[run], offset)[keep]
    return EncodedEvents(file[keep], label[keep], onset[keep], offset)


def prepare_ground_truth(reference: EventTable, durations: Dict[str, float],
                         classes: Optional[Sequence[str]] = None, merge_touching: bool = False) -> GroundTruth:
    """Encode the reference for PSDS: drop zero-length, merge overlaps, keep classes with events.

    ``merge_touching`` also merges same-class events that touch (for the score-based PSDS).
    """
    class_list = resolve_classes(reference, classes) if classes or len(reference) else []
    files = evaluated_files(reference, durations)
    file_index = {name: i for i, name in enumerate(files)}
    events = encode_events(reference, file_index, {c: i for i, c in enumerate(class_list)}, "reference")
    events = _drop_zero_length(events, files, reference.path)
    events = merge_overlaps(events, files, reference.path, touching=merge_touching)
    order = np.lexsort((events.offset, events.onset, events.file))  # GroundTruth.events: by (file, onset)
    events = EncodedEvents(*(a[order] for a in (events.file, events.label, events.onset, events.offset)))
    n_ref = np.bincount(events.label, minlength=len(class_list))
    empty = [c for c, n in zip(class_list, n_ref) if n == 0]
    if empty:
        warnings.warn(f"{reference.path}: no reference events for {', '.join(empty)}; left out of PSDS", PSDSWarning)
    present = [i for i, n in enumerate(n_ref) if n > 0]
    if not present:
        warnings.warn(f"{reference.path}: no reference events at all: PSDS is 0", PSDSWarning)
    remap = np.full(len(class_list), -1)
    remap[present] = np.arange(len(present))
    events = EncodedEvents(events.file, remap[events.label], events.onset, events.offset)
    ref_duration = np.bincount(events.label, weights=events.offset - events.onset, minlength=len(present))
    return GroundTruth(events, files, [class_list[i] for i in present],
                       np.array([durations[f] for f in files], dtype=np.float64),
                       n_ref[present], ref_duration)


def encode_detections(table: EventTable, gt: GroundTruth, all_classes: Sequence[str]) -> EncodedEvents:
    """Detections of one operating point, on the ground truth's files and classes (others dropped).

    Labels outside ``all_classes`` are ignored with a warning, as psds_eval ignores them.
    """
    position = {c: i for i, c in enumerate(gt.classes)}
    # -1: a class without reference events (plays no part, as in psds_eval); -2: not a class at all
    _, _, labels, codes = table.codes()
    label = lookup(labels, {c: position.get(c, -1) for c in all_classes}, missing=-2)[codes]
    unknown = label == -2
    if unknown.any():
        names = sorted({table.label[i] for i in np.flatnonzero(unknown).tolist()})
        warnings.warn(f"{table.path}: {int(unknown.sum())} detection(s) with labels not in the class list "
                      f"ignored, as psds_eval does ({', '.join(names)})", PSDSWarning)
    file = encode_files(table, gt.file_index, "estimated")
    keep = label >= 0
    events = EncodedEvents(file[keep], label[keep], table.onset[keep], table.offset[keep])
    events = _drop_zero_length(events, gt.files, table.path)
    return merge_overlaps(events, gt.files, table.path, keep_identical=True)


def operating_point_counts(det: EncodedEvents, gt: GroundTruth, dtc: float, gtc: float, cttc: float,
                           per_file: bool = False):
    """TP per class, FP per class and cross-triggers (detected class, reference class) of one point.

    With ``per_file`` each count gets a leading files axis (for the bootstrap): (files, classes) twice and
    (files, classes, classes).
    """
    n_classes = len(gt.classes)
    n_files = len(gt.files) if per_file else 1
    ref = gt.events
    pair_det, pair_ref = intersecting_pairs(det, ref)
    overlap = (np.minimum(det.offset[pair_det], ref.offset[pair_ref])
               - np.maximum(det.onset[pair_det], ref.onset[pair_ref]))
    det_fraction = overlap / (det.offset - det.onset)[pair_det]
    same = det.label[pair_det] == ref.label[pair_ref]

    dtc_pass = _reaches(pair_det[same], det_fraction[same], len(det), dtc)
    relevant = same & dtc_pass[pair_det]
    ref_fraction = overlap[relevant] / (ref.offset - ref.onset)[pair_ref[relevant]]
    gtc_pass = _reaches(pair_ref[relevant], ref_fraction, len(ref), gtc)
    ref_file = ref.file if per_file else np.zeros(len(ref), dtype=np.int64)
    det_file = det.file if per_file else np.zeros(len(det), dtype=np.int64)
    tp = np.bincount(ref_file[gtc_pass] * n_classes + ref.label[gtc_pass],
                     minlength=n_files * n_classes).reshape(n_files, n_classes)

    failed = ~dtc_pass
    in_file = (det.onset < gt.durations[det.file]) & (det.offset > 0)
    counted = failed & in_file
    fp = np.bincount(det_file[counted] * n_classes + det.label[counted],
                     minlength=n_files * n_classes).reshape(n_files, n_classes)

    # cross-triggers: (failed detection, other class) pairs whose class-j reference events cover >= cttc of it
    other = np.flatnonzero(~same & failed[pair_det])
    candidate = pair_det[other]  # ascending: pairs come detection by detection
    first = np.ones(len(candidate), dtype=bool)
    first[1:] = candidate[1:] != candidate[:-1]
    compact = np.cumsum(first) - 1  # the candidate detections numbered 0, 1, ...
    key = compact * n_classes + ref.label[pair_ref[other]]
    n_keys = (int(compact[-1]) + 1 if len(compact) else 0) * n_classes
    hit_compact, hit_class = np.divmod(np.flatnonzero(_reaches(key, det_fraction[other], n_keys, cttc)), n_classes)
    hit_det = candidate[first][hit_compact]
    ct = np.bincount((det_file[hit_det] * n_classes + det.label[hit_det]) * n_classes + hit_class,
                     minlength=n_files * n_classes * n_classes)
    ct = ct.reshape(n_files, n_classes, n_classes).astype(np.float64)
    if per_file:
        return tp, fp, ct
    return tp[0], fp[0], ct[0]


def _reaches(index: np.ndarray, fraction: np.ndarray, size: int, criterion: float) -> np.ndarray:
    """Per item (of ``size``): do its pairs' ``fraction`` values add up to >= ``criterion``? An item without
    pairs never does, even at a criterion of 0 (psds_eval needs an actual intersection)."""
    reached = np.bincount(index, weights=fraction, minlength=size) >= criterion
    if criterion <= 0:
        reached &= np.bincount(index, minlength=size) > 0
    return reached


def _class_step_curve(x_points: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """psds_eval's step curve: max y per x, running max over sorted x, sampled at ``x_points``."""
    ux, inverse = np.unique(x, return_inverse=True)
    best = np.full(ux.shape, -np.inf)
    np.maximum.at(best, inverse, y)
    best = np.maximum.accumulate(best)
    index = np.searchsorted(ux, x_points, side="right") - 1
    return np.where(index >= 0, best[np.maximum(index, 0)], 0.0)


def psd_roc(class_rocs: Sequence[tuple], alpha_st: float):
    """The PSD-ROC: each class's ROC points ``(efpr, tpr)`` as a step curve (:func:`_class_step_curve`) on
    the union of their eFPRs, then mean - ``alpha_st`` x standard deviation over classes, clipped at 0.

    Shared by psds_eval's (operating points) and sed_scores_eval's (threshold-free) PSDS.
    """
    efprs = np.concatenate([np.asarray(efpr, dtype=np.float64) for efpr, _ in class_rocs])
    x_points = np.unique(efprs[np.isfinite(efprs)])
    curves = np.stack([_class_step_curve(x_points, np.asarray(efpr), np.asarray(tpr)) for efpr, tpr in class_rocs])
    mean, std = curves.mean(axis=0), curves.std(axis=0)
    etpr = np.nan_to_num(mean - alpha_st * std, nan=0.0)
    return x_points, np.maximum(etpr, 0.0)


def psd_roc_from_rates(tpr: np.ndarray, efpr: np.ndarray, alpha_st: float):
    """:func:`psd_roc` from per-class (tpr, efpr) of shape (classes, points)."""
    return psd_roc([(efpr[c], tpr[c]) for c in range(tpr.shape[0])], alpha_st)


def area_up_to(x: np.ndarray, y: np.ndarray, max_x: float) -> float:
    """Area under the step function (x, y) (right-continuous) from x[0] up to ``max_x``."""
    if max_x not in x:
        position = int(np.searchsorted(x, max_x))
        x = np.insert(x, position, max_x)
        y = np.insert(y, position, y[position - 1])
    valid = x <= max_x
    return float(np.sum(np.diff(x[valid]) * y[valid][:-1]))


def no_reference_result(parameters: Dict[str, float], method: str, n_points: int) -> PSDSResult:
    """PSDS 0 for a reference without events: nothing to detect, so no operating point has a TPR."""
    limit = float(parameters["max_efpr"])
    return PSDSResult(0.0, np.array([0.0, limit]), np.zeros(2), [], {}, parameters, method, n_points)


def intersection_f1(tp: np.ndarray, fp: np.ndarray, n_ref: np.ndarray) -> np.ndarray:
    """psds_eval's ``compute_macro_f_score`` per class: F1 = 2 TP / (2 TP + FN + FP).

    As psds_eval computes it (FN from TP / TPR, so 0 / 0 where TP = 0), a class without any true positive
    gets NaN and is left out of the macro mean (a documented quirk, kept so the numbers agree).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        n_gt = tp / (tp / n_ref)
        return 2.0 * tp / (2.0 * tp + (n_gt - tp) + fp)


def psds_from_operating_points(gt: GroundTruth, detections: Iterable[EncodedEvents], criteria: PSDSCriteria,
                               names: Optional[Sequence[str]] = None) -> PSDSResult:
    """PSDS over operating points (each an encoded detection table), as psds_eval computes it. ``detections``
    may be a generator: each table is matched and dropped in turn, so that hundreds of tables need not be held
    at once (the memory they would take costs more to map than to score).

    ``extra["operating_points"]`` holds, per point (named by ``names``), each class's TPR, FPR per hour,
    cross-trigger rates per hour (on each other class), eFPR per hour and intersection-based F1 (psds_eval's
    ``compute_macro_f_score`` at ``dtc`` / ``gtc``) with its macro mean.
    """
    dtc, gtc, cttc, alpha_ct, alpha_st, max_efpr = _unpack(criteria)
    method = "operating points (psds_eval)"
    if not gt.classes:
        return no_reference_result(dict(dtc=dtc, gtc=gtc, cttc=cttc, alpha_ct=alpha_ct, alpha_st=alpha_st,
                                        max_efpr=100.0 if max_efpr is None else max_efpr), method,
                                   sum(1 for _ in detections))
    counts = [operating_point_counts(det, gt, dtc, gtc, cttc) for det in detections]
    names = list(names) if names is not None else [f"point {k + 1}" for k in range(len(counts))]
    value, x, y, limit, tpr, efpr, rates = _psds_of_points(counts, gt.n_ref, gt.ref_duration, gt.total_duration,
                                                           alpha_ct, alpha_st, max_efpr)
    points = [_point_json(names[k], gt.classes, tpr[:, k], fpr, ct_rate, efpr[:, k],
                          intersection_f1(counts[k][0], counts[k][1], gt.n_ref))
              for k, (fpr, ct_rate) in enumerate(rates)]
    class_roc = {c: (efpr[i], tpr[i]) for i, c in enumerate(gt.classes)}
    parameters = dict(dtc=dtc, gtc=gtc, cttc=cttc, alpha_ct=alpha_ct, alpha_st=alpha_st, max_efpr=limit)
    result = PSDSResult(value, x, y, list(gt.classes), class_roc, parameters, method, len(counts))
    result.extra["operating_points"] = points
    return result


def psds_bootstrap_operating_points(gt: GroundTruth, detections: Sequence[EncodedEvents], weights: np.ndarray,
                                    criteria: PSDSCriteria) -> np.ndarray:
    """psds_eval's PSDS on each resample of the files (``weights``: (resamples, files), files in sorted
    filename order): every count, reference event and duration weighted by its file's multiplicity, so
    the detections are matched once."""
    from sedkit.metrics.bootstrap import weights_in_order

    dtc, gtc, cttc, alpha_ct, alpha_st, max_efpr = _unpack(criteria)
    weights = weights_in_order(weights, gt.files)
    if not gt.classes:
        return np.zeros(weights.shape[0])
    counts = [operating_point_counts(det, gt, dtc, gtc, cttc, per_file=True) for det in detections]
    n_classes = len(gt.classes)
    ref = gt.events
    values = np.empty(weights.shape[0])
    for b, w in enumerate(weights):
        event_weight = w[ref.file]
        n_ref = np.bincount(ref.label, weights=event_weight, minlength=n_classes)
        ref_duration = np.bincount(ref.label, weights=event_weight * (ref.offset - ref.onset), minlength=n_classes)
        drawn = [(w @ tp, w @ fp, np.tensordot(w, ct, axes=1)) for tp, fp, ct in counts]
        # a class the resample does not draw has no TPR: left out, as psds_eval would
        values[b] = _psds_of_points(drawn, n_ref, ref_duration, float(w @ gt.durations), alpha_ct, alpha_st,
                                    max_efpr, present=n_ref > 0)[0]
    return values


def _unpack(criteria: PSDSCriteria) -> tuple:
    if not isinstance(criteria, PSDSCriteria):
        raise TypeError("criteria: a sedkit.metrics.criteria.PSDSCriteria (e.g. scenario(1))")
    return (criteria.dtc, criteria.gtc, criteria.cttc, criteria.alpha_ct, criteria.alpha_st, criteria.max_efpr)


def _psds_of_points(counts, n_ref: np.ndarray, ref_duration: np.ndarray, total_duration: float, alpha_ct: float,
                    alpha_st: float, max_efpr: Optional[float], present: Optional[np.ndarray] = None):
    """PSDS from each point's (TP, FP, CT) counts per class, as psds_eval: (value, eFPR grid, eTPR, the area's
    limit, TPR and eFPR per (class, point) with the origin as last column, per point (FPR, CT rates) per hour).
    ``present``: the classes the PSD-ROC averages over (default all)."""
    n_classes = n_ref.shape[0]
    per_hour = SECONDS_PER_HOUR / total_duration
    tpr = np.zeros((n_classes, len(counts) + 1))  # the last column is the origin psds_eval adds
    efpr = np.zeros_like(tpr)
    rates = []
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of a class without cross-trigger rates
        for k, (tp, fp, ct) in enumerate(counts):
            tpr[:, k] = tp / n_ref
            ct_rate = ct * SECONDS_PER_HOUR / ref_duration[None, :]
            np.fill_diagonal(ct_rate, np.nan)
            cross = np.nanmean(ct_rate, axis=1) if n_classes > 1 else np.zeros(n_classes)
            efpr[:, k] = fp * per_hour + alpha_ct * cross
            rates.append((fp * per_hour, ct_rate))
    keep = slice(None) if present is None else present
    x, y = psd_roc_from_rates(tpr[keep], efpr[keep], alpha_st)
    limit = float(x.max()) if max_efpr is None else float(max_efpr)
    value = area_up_to(x, y, limit) / limit if limit > 0 else math.nan
    return value, x, y, limit, tpr, efpr, rates


def _number(value: float):
    return None if not math.isfinite(value) else float(value)


def _point_json(name: str, classes: Sequence[str], tpr: np.ndarray, fpr: np.ndarray, ct_rate: np.ndarray,
                efpr: np.ndarray, f1: np.ndarray) -> dict:
    finite = f1[np.isfinite(f1)]
    return {
        "name": name,
        "intersection_f1": {"macro": _number(float(finite.mean())) if finite.size else None,
                            "per_class": {c: _number(v) for c, v in zip(classes, f1.tolist())}},
        "tpr": {c: _number(v) for c, v in zip(classes, tpr.tolist())},
        "fpr_per_hour": {c: _number(v) for c, v in zip(classes, fpr.tolist())},
        "efpr_per_hour": {c: _number(v) for c, v in zip(classes, efpr.tolist())},
        "ctr_per_hour": {c: {o: _number(ct_rate[i, j]) for j, o in enumerate(classes) if j != i}
                         for i, c in enumerate(classes)},
    }


def psd_roc_table(result: PSDSResult):
    """The PSD-ROC as rows (eFPR per hour, eTPR, each class's TPR there) and its header, for ``--csv``."""
    header = ["efpr_per_hour", "etpr", *(f"tpr_{c}" for c in result.classes)]
    columns = [result.efpr, result.etpr]
    for c in result.classes:
        efpr, tpr = result.class_roc[c]
        columns.append(_class_step_curve(result.efpr, np.asarray(efpr), np.asarray(tpr)))
    return header, [[f"{v:.6g}" for v in row] for row in zip(*(c.tolist() for c in columns))]
