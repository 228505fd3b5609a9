"""Error rates from frame scores, for every family sed_scores_eval has them (segment, collar, intersection and
clip based): its ``error_rate`` (at a threshold) and ``best_error_rate`` (the threshold with the lowest one),
equal to it on the same inputs (tests/metrics/test_error_rates.py).

Per class, from the counts at every threshold (each family's own matching: sedkit's segment scores, collar
statistics, intersection statistics or clip scores):

    insertion rate IR = FP / N_ref,   deletion rate DR = (N_ref - TP) / N_ref,   ER = IR + DR

(one class at a time, so no substitutions: sed_scores_eval's definition, which is not sed_eval's segment-based
ER). A threshold t detects the scores above it: the counts are those of the lowest distinct score > t. The
best threshold is the largest score whose counts give the lowest ER, moved halfway down to the next lower
score of the curve (-inf when that is the lowest; the curve's scores are those where TP or FP change, as
there); its ER, IR and DR are reported with it. Macro averages are the means
over classes; a class without reference items has ER, IR and DR undefined (inf or nan, as there).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence

import numpy as np

__all__ = ["Counts", "item_counts", "ErrorRates", "error_rates", "segment_error_rates", "clip_error_rates",
           "intersection_error_rates", "macro_error_rate_bootstrap"]


@dataclass
class Counts:
    """One class: thresholds ascending with +inf last, TP and FP of detecting scores >= each, N_ref."""

    thresholds: np.ndarray
    tps: np.ndarray
    fps: np.ndarray
    n_ref: float


def item_counts(scores: np.ndarray, targets: np.ndarray, weights: Optional[np.ndarray] = None) -> Counts:
    """Counts of items (segments, clips) each with one score and a target: TP (FP) at threshold u = the
    (weighted) positive (negative) items with score >= u."""
    weights = np.ones(scores.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    values, rank = np.unique(scores, return_inverse=True)
    n = values.shape[0]
    positive = np.bincount(rank, weights=weights * targets, minlength=n)
    negative = np.bincount(rank, weights=weights * ~targets.astype(bool), minlength=n)
    tps = np.append(np.cumsum(positive[::-1])[::-1], 0.0)
    fps = np.append(np.cumsum(negative[::-1])[::-1], 0.0)
    return Counts(np.append(values, np.inf), tps, fps, float(np.sum(weights * targets)))


@dataclass
class ErrorRates:
    """Per class and macro: error, insertion and deletion rate, the threshold they hold for, TP / FP / N_ref."""

    per_class: Dict[str, dict]
    macro: Dict[str, float]
    mode: str  # "best" or "threshold"
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """Undefined rates (a class without references) are null; an infinite threshold is "-inf" (every score
        detects) or "inf" (none does)."""
        def clean(key, value):
            if isinstance(value, float) and not math.isfinite(value):
                return ("-inf" if value < 0 else "inf") if key == "threshold" and not math.isnan(value) else None
            return value

        return {"mode": self.mode, "macro_average": {k: clean(k, v) for k, v in self.macro.items()},
                "per_class": {c: {k: clean(k, v) for k, v in d.items()} for c, d in self.per_class.items()},
                **self.extra}


def _rates(counts: Counts):
    with np.errstate(divide="ignore", invalid="ignore"):
        insertion = counts.fps / counts.n_ref
        deletion = (counts.n_ref - counts.tps) / counts.n_ref
    return insertion + deletion, insertion, deletion


def _change_points(counts: Counts) -> Counts:
    """The thresholds where TP or FP change (sed_scores_eval keeps only those: a score whose detections count
    as the next higher score's is not a point of its curve), +inf kept."""
    keep = np.append((counts.tps[:-1] != counts.tps[1:]) | (counts.fps[:-1] != counts.fps[1:]), True)
    return Counts(counts.thresholds[keep], counts.tps[keep], counts.fps[keep], counts.n_ref)


def error_rates(counts: Dict[str, Counts], threshold: Optional[float | Dict[str, float]] = None) -> ErrorRates:
    """ER, IR and DR per class at ``threshold`` (one for all classes, or one per class), or at each class's best
    threshold (``None``); module doc."""
    per_class = {}
    for name, c in counts.items():
        c = _change_points(c)
        er, ir, dr = _rates(c)
        if threshold is None:  # the last (highest-threshold) minimum, as np.argmin over the reversed curve
            index = er.shape[0] - 1 - int(np.argmin(er[::-1]))
            chosen = float((c.thresholds[index] + c.thresholds[index - 1]) / 2) if index > 0 else -np.inf
        else:
            chosen = float(threshold[name] if isinstance(threshold, dict) else threshold)
            index = int(np.searchsorted(c.thresholds, chosen, side="right"))  # the lowest score > threshold
            index = min(index, c.thresholds.shape[0] - 1)
        per_class[name] = {"error_rate": float(er[index]), "insertion_rate": float(ir[index]),
                           "deletion_rate": float(dr[index]), "threshold": chosen, "tp": float(c.tps[index]),
                           "fp": float(c.fps[index]), "n_ref": float(c.n_ref)}
    macro = {key: float(np.mean([d[key] for d in per_class.values()])) if per_class else math.nan
             for key in ("error_rate", "insertion_rate", "deletion_rate")}
    return ErrorRates(per_class, macro, "best" if threshold is None else "threshold")


def macro_error_rate_bootstrap(counts_of, classes: Sequence[str], thresholds: Dict[str, float],
                               weights: np.ndarray) -> np.ndarray:
    """The macro ER of each resample (``weights``: (resamples, units) multiplicities) at fixed per-class
    ``thresholds`` (those of the full set); ``counts_of(row)`` gives each class's :class:`Counts` under one
    resample's weights."""
    values = np.empty(weights.shape[0])
    for b, row in enumerate(weights):
        values[b] = error_rates(counts_of(row), {c: thresholds[c] for c in classes}).macro["error_rate"]
    return values


def segment_error_rates(segments, threshold=None, clip_weights: Optional[np.ndarray] = None) -> ErrorRates:
    """Segment-based ER from :func:`sedkit.metrics.segment_auroc.segment_scores` (sed_scores_eval's
    ``segment_based.error_rate`` / ``best_error_rate``); ``clip_weights`` adds the bootstrap of the macro ER."""
    def counts_of(row=None):
        weights = None if row is None else row[segments.clip]
        return {c: item_counts(segments.scores[:, i], segments.targets[:, i], weights)
                for i, c in enumerate(segments.classes)}

    result = error_rates(counts_of(), threshold)
    _add_bootstrap(result, counts_of, segments.classes, clip_weights)
    return result


def clip_error_rates(scores: np.ndarray, reference: np.ndarray, classes: Sequence[str], threshold=None,
                     clip_weights: Optional[np.ndarray] = None) -> ErrorRates:
    """Clip-based ER from (clips, classes) clip scores and reference tags (sed_scores_eval's ``clip_based``)."""
    def counts_of(row=None):
        return {c: item_counts(scores[:, i], reference[:, i].astype(bool), row) for i, c in enumerate(classes)}

    result = error_rates(counts_of(), threshold)
    _add_bootstrap(result, counts_of, classes, clip_weights)
    return result


def intersection_error_rates(gt, deltas, threshold=None, file_weights: Optional[np.ndarray] = None) -> ErrorRates:
    """Intersection-based ER from :func:`sedkit.metrics.psds_scores.score_deltas` (the DTC / GTC of the criteria
    it was made with; sed_scores_eval's ``intersection_based.error_rate``); ``file_weights`` in the ground
    truth's file order."""
    n_classes = len(gt.classes)

    def counts_of(row=None):
        n_ref = gt.n_ref if row is None else np.bincount(gt.events.label, weights=row[gt.events.file],
                                                         minlength=n_classes)
        out = {}
        for c, d, n in zip(gt.classes, deltas, n_ref):
            thresholds, tps, fps, _ = d.counts(row)
            out[c] = Counts(thresholds, tps, fps, float(n))
        return out

    result = error_rates(counts_of(), threshold)
    _add_bootstrap(result, counts_of, gt.classes, file_weights)
    return result


def _add_bootstrap(result: ErrorRates, counts_of, classes, weights) -> None:
    if weights is not None:
        fixed = {c: result.per_class[c]["threshold"] for c in classes}
        result.extra["bootstrap_values"] = macro_error_rate_bootstrap(counts_of, classes, fixed, weights)
