"""Clip-level tagging: which classes occur in each clip, scored against the reference's clip labels.

Inputs are reduced to one set of labels per clip: a strong table (``filename onset offset event_label``)
gives each clip the labels of its events, a weak table (``filename event_labels``, labels comma-separated)
its listed labels; frame scores (sed_scores_eval's ``<clip>.tsv`` format) give each clip and class the
maximum score over the clip's frames, as sed_scores_eval's clip-based functions do.

- **F1 at a threshold** (tables, or scores with ``score > threshold``, as sed_scores_eval's clip-based
  ``fscore``): per class TP = clips tagged in both, n_est = clips tagged by the system, n_ref = clips tagged
  in the reference; precision, recall, F1 and the error rate (D = FN, I = FP) by sed_eval's formulas
  (:mod:`sedkit.metrics.common`, ``zero_score``). A class with no positive clip has recall and F1 undefined
  and is left out of the macro mean (sklearn's ``f1_score`` would count 0 there; sed_scores_eval refuses).
- **Average precision** (scores): with the clips sorted by score, AP = sum_k (R_k - R_{k-1}) P_k over the
  distinct scores from the highest down, P_k and R_k the precision and recall of the clips scoring >= the
  k-th score (sed_scores_eval's ``clip_based.average_precision``; sklearn's ``average_precision_score``).
  mAP = mean over classes with a positive clip.
- **ROC AUC** (scores): the area under the staircase through (FPR_k, TPR_k) over the same thresholds, each
  step taken right then up (sed_scores_eval's ``clip_based.auroc``; equal to sklearn's ``roc_auc_score``
  when no positive and negative clip share a score, where sklearn interpolates linearly).

Every count accepts clip weights (the bootstrap's multiplicities).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.io import read_events, read_score_files, read_tsv

__all__ = ["read_tags", "tag_matrix", "clip_scores", "tagging_metrics", "average_precision", "roc_auc"]


def read_tags(path: str | Path) -> Tuple[List[str], Dict[str, set]]:
    """(clips in file order, clip -> set of labels) from a strong or a weak (``event_labels``) table."""
    path = Path(path)
    header = read_tsv(path, required=("filename",))  # also checks the file exists and is a tsv
    if header and "event_labels" in header[0]:
        tags: Dict[str, set] = {}
        for number, row in enumerate(header, start=2):
            name = row["filename"].strip()
            if not name:
                raise InputError(f"{path}:{number}: empty filename")
            labels = {label.strip() for label in row["event_labels"].split(",") if label.strip()}
            tags.setdefault(name, set()).update(labels)
        return list(tags), tags
    table = read_events(path)
    tags = {name: set() for name in table.files}
    for name, label in zip(table.filename, table.label):
        tags[name].add(label)
    return list(table.files), tags


def tag_matrix(tags: Dict[str, set], files: Sequence[str], classes: Sequence[str], path: str,
               role: str) -> np.ndarray:
    """Boolean (files, classes); a clip outside ``files`` or a label outside ``classes`` is an error."""
    known = set(files)
    stray = [name for name in tags if name not in known]
    if stray:
        raise InputError(f"{path}: {role} clip {stray[0]} is not in the reference")
    index = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(files), len(classes)), dtype=bool)
    for row, name in enumerate(files):
        for label in tags.get(name, ()):
            if label not in index:
                raise InputError(f"{path}: label {label!r} of {name} is not in the class list ({', '.join(classes)})")
            matrix[row, index[label]] = True
    return matrix


def clip_scores(folder: str | Path, files: Sequence[str],
                classes: Optional[Sequence[str]]) -> Tuple[np.ndarray, List[str]]:
    """(files, classes) clip scores: each class's maximum frame score in ``folder/<clip stem>.tsv``.

    Without ``classes`` the score files' columns are the class list; columns outside ``classes`` are
    ignored (returned second, for a warning).
    """
    read = read_score_files(folder, files, classes)
    return np.stack([scores.max(axis=0) for scores in read.scores]), read.ignored


def _ranked(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray):
    """Weighted TP and FP counts of ``score >= s`` at each distinct score s, from the highest down."""
    order = np.argsort(-scores, kind="stable")
    s, w = scores[order], weights[order]
    pos = positive[order]
    tps, fps = np.cumsum(w * pos), np.cumsum(w * ~pos)
    last = np.append(np.flatnonzero(np.diff(s) != 0), s.shape[0] - 1)
    return tps[last], fps[last]


def average_precision(scores: np.ndarray, positive: np.ndarray, weights: Optional[np.ndarray] = None) -> float:
    """AP of one class (see the module doc); NaN without a positive clip."""
    weights = np.ones(scores.shape[0]) if weights is None else weights
    tps, fps = _ranked(scores, positive.astype(bool), weights)
    if not tps.size or tps[-1] <= 0:
        return math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tps + fps > 0, tps / (tps + fps), 1.0)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.concatenate(([0.0], recall))) * precision))


def roc_auc(scores: np.ndarray, positive: np.ndarray, weights: Optional[np.ndarray] = None) -> float:
    """Staircase ROC AUC of one class (see the module doc); NaN without positive or negative clips."""
    weights = np.ones(scores.shape[0]) if weights is None else weights
    tps, fps = _ranked(scores, positive.astype(bool), weights)
    if not tps.size or tps[-1] <= 0 or fps[-1] <= 0:
        return math.nan
    tpr, fpr = np.concatenate(([0.0], tps / tps[-1])), np.concatenate(([0.0], fps / fps[-1]))
    return float(np.sum(np.diff(fpr) * tpr[:-1]))


def tagging_metrics(reference: np.ndarray, estimated: np.ndarray, files: Sequence[str], classes: Sequence[str],
                    scores: Optional[np.ndarray] = None, threshold: Optional[float] = None):
    """F1 / precision / recall / error rate per class, macro and micro, from (files, classes) booleans;
    with ``scores`` (files, classes) also per-class AP and ROC AUC and their macro means (mAP).

    The result is a :class:`sedkit.metrics.common.MetricResult` whose ``clip_counts`` hold the per-clip
    0 / 1 counts (for the bootstrap).
    """
    from sedkit.metrics.bootstrap import ClipCounts
    from sedkit.metrics.common import MetricResult

    ref, est = reference.astype(np.int64), estimated.astype(np.int64)
    tp = ref & est
    fn, fp = ref - tp, est - tp
    micro = dict(tp=int(tp.sum()), n_est=int(est.sum()), n_ref=int(ref.sum()), deletions=int(fn.sum()),
                 insertions=int(fp.sum()), substitutions=0)
    result = MetricResult.from_counts(list(classes), tp.sum(axis=0), est.sum(axis=0), ref.sum(axis=0), micro,
                                      len(files))
    result.clip_counts = ClipCounts(list(files), list(classes), tp, est, ref,
                                    substitutions=np.zeros(len(files), dtype=np.int64),
                                    deletions=fn.sum(axis=1), insertions=fp.sum(axis=1))
    result.clip_counts_in_json = False
    if threshold is not None:
        result.parameters["threshold"] = float(threshold)
    if scores is not None:
        add_ranking(result, reference, scores)
    return result


_RANKING = (("average_precision", average_precision), ("roc_auc", roc_auc))


def _ranking(reference: np.ndarray, scores: np.ndarray, weights: Optional[np.ndarray] = None):
    """{metric: (per-class values, their NaN-ignoring mean)} for AP and ROC AUC."""
    out = {}
    for key, function in _RANKING:
        values = [function(scores[:, c], reference[:, c], weights) for c in range(scores.shape[1])]
        finite = [v for v in values if not math.isnan(v)]
        out[key] = (values, float(np.mean(finite)) if finite else math.nan)
    return out


def add_ranking(result, reference: np.ndarray, scores: np.ndarray) -> None:
    """Per-class AP and ROC AUC into ``result.per_class``, their NaN-ignoring means into ``result.macro``."""
    for key, (values, mean) in _ranking(reference, scores).items():
        for name, value in zip(result.classes, values):
            result.per_class[name][key] = value
        result.macro[key] = mean


def ranking_bootstrap(reference: np.ndarray, scores: np.ndarray, files: Sequence[str], weights: np.ndarray):
    """Mean AP and mean ROC AUC on each resample (``weights`` over the clips in sorted filename order),
    summarized (:func:`sedkit.metrics.bootstrap.summarize`)."""
    from sedkit.metrics.bootstrap import summarize, weights_in_order

    means = [_ranking(reference, scores, row) for row in weights_in_order(weights, files)]
    return {key: summarize(np.array([m[key][1] for m in means])) for key, _ in _RANKING}
