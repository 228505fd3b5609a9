"""Bootstrap over clips: confidence intervals of a score, and of the difference between two systems.

Efron & Tibshirani (1993), percentile interval; paired over the evaluation clips as in Koehn (2004) for
machine translation. Each resample draws the evaluation's clips with replacement (the same draws for
every system, so the difference is paired); a system's score on a resample comes from its per-clip
counts, summed with the multiplicity of each clip. Seeds of one system are pooled by averaging their
scores on the same resample. The 95 % interval of (system - baseline) is the 2.5th and 97.5th percentiles
of the resampled differences; a difference is called an effect only where that interval excludes 0.

Resamples are a function of (``seed``, number of clips) alone and index the clips in sorted filename
order, so replicates computed separately (for example PSDS replicates stored by ``sedkit eval psds
--bootstrap``) pair with those computed here.

Two resampling schemes (``--bootstrap-scheme``): ``replacement`` (the default above) and ``folds``,
sed_scores_eval's ``bootstrapped_psds`` (``bootstrap_from_deltas(n_folds, n_iterations)``): for iteration
i = 0, 1, ... the sorted clip list is shuffled in place by ``numpy.random.RandomState(i)`` (each shuffle
starting from the previous order) and cut into ``n_folds`` near-equal folds at
``linspace(0, n_clips, n_folds + 1)``; each resample leaves one fold out (weights 0 / 1), folds in order.

Event-based macro F1 on a resample uses sed_eval's formulas on the summed counts (:mod:`sedkit.metrics.common`):
P = 0 if n_est = 0 else tp / n_est; R = NaN if n_ref = 0 else tp / n_ref; F1 = 0 if P = R = 0 else
2PR / (P + R); macro = NaN-ignoring mean over the class list. On the resample that draws every clip once
it equals :func:`sedkit.metrics.event_based.event_based_metrics`' macro F1 (tested).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from sedkit.errors import InputError

__all__ = ["ClipCounts", "resample_weights", "fold_weights", "bootstrap_weights", "weights_in_order",
           "macro_f1_from_counts", "bootstrap_macro_f1", "bootstrap_metrics", "summarize", "paired_difference",
           "DEFAULT_RESAMPLES", "DEFAULT_SEED", "SCHEMES"]

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
SCHEMES = ("replacement", "folds")
_PER_CLIP = ("substitutions", "deletions", "insertions")


@dataclass
class ClipCounts:
    """Per clip and class: true positives, estimated and reference items (arrays (clips, classes)); for
    segment-based scoring also true negatives; per clip the micro substitutions, deletions, insertions."""

    files: List[str]
    classes: List[str]
    tp: np.ndarray
    n_est: np.ndarray
    n_ref: np.ndarray
    tn: Optional[np.ndarray] = None
    substitutions: Optional[np.ndarray] = None
    deletions: Optional[np.ndarray] = None
    insertions: Optional[np.ndarray] = None

    def to_json(self) -> dict:
        document = {"files": list(self.files), "classes": list(self.classes), "tp": self.tp.tolist(),
                    "n_est": self.n_est.tolist(), "n_ref": self.n_ref.tolist()}
        for key in ("tn", *_PER_CLIP):
            if getattr(self, key) is not None:
                document[key] = getattr(self, key).tolist()
        return document

    @classmethod
    def from_json(cls, document: dict, where: str = "clip_counts") -> "ClipCounts":
        try:
            counts = cls(list(document["files"]), list(document["classes"]),
                         *(np.asarray(document[k], dtype=np.float64) for k in ("tp", "n_est", "n_ref")),
                         **{k: np.asarray(document[k], dtype=np.float64) for k in ("tn", *_PER_CLIP)
                            if k in document})
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: not per-clip counts ({exc})") from None
        shape = (len(counts.files), len(counts.classes))
        if any(a.shape != shape for a in (counts.tp, counts.n_est, counts.n_ref, counts.tn) if a is not None):
            raise InputError(f"{where}: counts are not (clips x classes) = {shape}")
        if any(getattr(counts, k) is not None and getattr(counts, k).shape != shape[:1] for k in _PER_CLIP):
            raise InputError(f"{where}: per-clip counts are not {shape[0]} long")
        return counts

    def sorted(self) -> "ClipCounts":
        """The same counts with clips in sorted filename order (the order resamples index)."""
        order = np.argsort(np.asarray(self.files, dtype=object), kind="stable")
        take = {k: None if getattr(self, k) is None else getattr(self, k)[order]
                for k in ("tp", "n_est", "n_ref", "tn", *_PER_CLIP)}
        return ClipCounts([self.files[i] for i in order], self.classes, **take)

    def weighted(self, weights: np.ndarray) -> Dict[str, np.ndarray]:
        """Counts summed over clips with ``weights`` (clips,), clips in this object's order."""
        return {k: weights @ getattr(self, k) for k in ("tp", "n_est", "n_ref", "tn", *_PER_CLIP)
                if getattr(self, k) is not None}


def resample_weights(n_clips: int, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(n_resamples, n_clips) multiplicities: how often each clip is drawn in each resample."""
    if n_clips < 1 or n_resamples < 1:
        raise InputError("a bootstrap needs at least one clip and one resample")
    draws = np.random.default_rng([seed, n_clips]).integers(0, n_clips, size=(n_resamples, n_clips))
    weights = np.zeros((n_resamples, n_clips))
    np.add.at(weights, (np.repeat(np.arange(n_resamples), n_clips), draws.ravel()), 1.0)
    return weights


def fold_weights(n_clips: int, n_folds: int = 5, n_iterations: int = 20) -> np.ndarray:
    """(n_folds * n_iterations, n_clips) 0/1 weights: sed_scores_eval's leave-one-fold-out resamples
    (``bootstrap_from_deltas``; see the module doc), clips in sorted filename order."""
    if n_clips < 1 or n_folds < 2 or n_iterations < 1:
        raise InputError("fold resampling needs at least one clip, two folds and one iteration")
    order = list(range(n_clips))
    split = np.linspace(0, n_clips, n_folds + 1).astype(int)
    weights = np.zeros((n_folds * n_iterations, n_clips))
    for i in range(n_iterations):
        np.random.RandomState(i).shuffle(order)
        for j in range(n_folds):
            kept = order[:split[j]] + order[split[j + 1]:]
            weights[i * n_folds + j, kept] = 1.0
    return weights


def bootstrap_weights(n_clips: int, n_resamples: int, seed: int = DEFAULT_SEED, scheme: str = "replacement",
                      n_folds: int = 5) -> np.ndarray:
    """Resample weights of a scheme: ``replacement`` (seeded draws) or ``folds`` (sed_scores_eval's,
    ``n_resamples`` = ``n_folds`` x iterations; the seed plays no part, as there)."""
    if scheme == "replacement":
        return resample_weights(n_clips, n_resamples, seed)
    if scheme == "folds":
        if n_resamples % n_folds:
            raise InputError(f"--bootstrap {n_resamples} with --bootstrap-scheme folds needs a multiple of "
                             f"--bootstrap-folds {n_folds} (n_folds x n_iterations resamples)")
        return fold_weights(n_clips, n_folds, n_resamples // n_folds)
    raise InputError(f"bootstrap scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")


def weights_in_order(weights: np.ndarray, files: Sequence[str]) -> np.ndarray:
    """Resample weights (resamples, clips in sorted filename order) reordered to ``files``' order."""
    if weights.ndim != 2 or weights.shape[1] != len(files):
        raise InputError(f"bootstrap weights cover {weights.shape[-1]} files, the evaluation {len(files)}")
    rank = {name: index for index, name in enumerate(sorted(files))}
    return weights[:, [rank[name] for name in files]]


def summarize(values: np.ndarray, level: float = 0.95) -> Dict[str, Optional[float]]:
    """Mean, standard deviation and the percentile interval of resampled values (NaNs ignored)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return {"mean": None, "std": None, "low": None, "high": None}
    low, high = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return {"mean": float(finite.mean()), "std": float(finite.std()), "low": float(low), "high": float(high)}


def bootstrap_metrics(counts: ClipCounts, weights: np.ndarray, empty_system_output: str = "zero_score",
                      level: float = 0.95) -> Dict[str, Dict[str, Dict[str, Optional[float]]]]:
    """Every macro and micro figure of an event- or segment-based result on each resample, summarized.

    Each resample's scores are :meth:`MetricResult.from_counts` on the clip counts summed with the
    resample's weights, so the resample that draws every clip once gives the plain result (tested).
    Returns {"macro": {metric: summary}, "micro": {...}} with :func:`summarize` 's keys.
    """
    from sedkit.metrics.common import MetricResult

    counts = counts.sorted()
    if weights.shape[1] != len(counts.files):
        raise InputError(f"{weights.shape[1]} resampled clips, but the counts have {len(counts.files)}")
    values: Dict[str, Dict[str, list]] = {"macro": {}, "micro": {}}
    for row in weights:
        summed = counts.weighted(row)
        micro = dict(tp=summed["tp"].sum(), n_est=summed["n_est"].sum(), n_ref=summed["n_ref"].sum(),
                     deletions=summed["deletions"], insertions=summed["insertions"],
                     substitutions=summed["substitutions"])
        result = MetricResult.from_counts(counts.classes, summed["tp"], summed["n_est"], summed["n_ref"], micro,
                                          int(np.count_nonzero(row)), tn=summed.get("tn"),
                                          empty_system_output=empty_system_output)
        for section in ("macro", "micro"):
            for key, value in getattr(result, section).items():
                if not key.startswith("n_"):
                    values[section].setdefault(key, []).append(value)
    return {section: {key: summarize(np.array(v), level) for key, v in metrics.items()}
            for section, metrics in values.items()}


def macro_f1_from_counts(tp: np.ndarray, n_est: np.ndarray, n_ref: np.ndarray) -> np.ndarray:
    """Macro F1 over the last axis (classes) of count arrays, sed_eval's formulas (see module doc)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_est > 0, tp / np.where(n_est > 0, n_est, 1), 0.0)
        recall = np.where(n_ref > 0, tp / np.where(n_ref > 0, n_ref, 1), np.nan)
        both = precision + recall
        f1 = np.where(both > 0, 2 * precision * recall / np.where(both > 0, both, 1), 0.0)
        f1 = np.where(np.isnan(recall), np.nan, f1)
        defined = ~np.isnan(f1)
        total = np.where(defined, f1, 0.0).sum(axis=-1)
        count = defined.sum(axis=-1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def bootstrap_macro_f1(counts: ClipCounts, weights: np.ndarray) -> np.ndarray:
    """Macro F1 of one run on each resample (``weights`` from :func:`resample_weights`, clips sorted)."""
    counts = counts.sorted()
    if weights.shape[1] != len(counts.files):
        raise InputError(f"{weights.shape[1]} resampled clips, but the counts have {len(counts.files)}")
    return macro_f1_from_counts(weights @ counts.tp, weights @ counts.n_est, weights @ counts.n_ref)


def paired_difference(system: Sequence[np.ndarray], baseline: Sequence[np.ndarray],
                      level: float = 0.95) -> Dict[str, float]:
    """Mean difference and its percentile interval from per-seed replicates (each (n_resamples,)).

    Seeds are pooled by averaging each side's replicates resample by resample; the two sides may have
    different numbers of seeds but must share the resamples.
    """
    system_mean, baseline_mean = np.mean(np.stack(system), axis=0), np.mean(np.stack(baseline), axis=0)
    if system_mean.shape != baseline_mean.shape:
        raise InputError("paired bootstrap: the two systems were resampled differently")
    difference = system_mean - baseline_mean
    low, high = np.nanpercentile(difference, [50 * (1 - level), 50 * (1 + level)])
    return {"low": float(low), "high": float(high), "level": level, "n_resamples": int(difference.shape[0])}


def same_clips(runs: Sequence[Tuple[str, ClipCounts]]) -> None:
    """All runs must have been scored on the same clips and classes (else pairing is meaningless)."""
    first_name, first = runs[0]
    for name, counts in runs[1:]:
        if sorted(counts.files) != sorted(first.files) or counts.classes != first.classes:
            raise InputError(f"{name}: scored on other clips or classes than {first_name}; "
                             "a paired bootstrap needs the same evaluation set")
