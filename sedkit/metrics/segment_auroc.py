"""Segment-based (partial) ROC AUC from frame scores: DCASE 2024 task 4's mpAUC.

Definition (sed_scores_eval's ``segment_based.auroc``, Ebbers et al.; DCASE 2024 task 4 ranks MAESTRO
systems by its mean over classes with ``max_fpr = 0.1``):

1. Each clip of duration ``D`` is cut into ``ceil(D / L)`` segments of length ``L`` (boundaries rounded to
   ``time_decimals``). A segment's score for class c is the highest frame score of c over the frames that
   overlap it: frames ``[i_on, i_off)`` with ``i_on`` the last frame starting at or before the segment's onset
   and ``i_off`` the first frame boundary at or after its offset (0 when no frame falls inside). A segment is
   a positive of c when a reference event of c overlaps it (``onset < segment offset``, ``offset > segment
   onset``).
2. Per class, the threshold sweeps every distinct segment score: at threshold s a segment counts as detected
   when its score >= s; TPR = detected positives / positives, FPR = detected negatives / negatives.
3. The ROC points are sorted by (FPR, TPR) and the area is the staircase sum ``sum_i TPR_i (FPR_{i+1} -
   FPR_i)`` up to ``max_fpr`` (the curve extended flat to ``max_fpr``), divided by ``max_fpr`` (so a perfect
   detector scores 1 at any ``max_fpr``). Without ``max_fpr`` the full AUC.
4. The reported mean is over the classes (a class without positive segments has an undefined TPR and
   makes the mean undefined, as in the reference).

Bootstrap: clip weights (resample counts) multiply each clip's segments in step 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["SegmentScores", "segment_scores", "roc_auc", "segment_auroc", "AurocResult"]


@dataclass
class SegmentScores:
    """Every segment of every clip: its clip index, its score and target per class."""

    clip: np.ndarray  # (segments,) index into the clip list
    scores: np.ndarray  # (segments, classes)
    targets: np.ndarray  # (segments, classes) bool
    classes: List[str]
    n_clips: int


def segment_scores(reference, files, durations: Dict[str, float], classes: Sequence[str],
                   segment_length_s: float = 1.0, time_decimals: int = 6) -> SegmentScores:
    """Segments of the clips of ``files`` (:class:`sedkit.io.ScoreFiles`, columns in ``classes`` order) against
    ``reference`` (an EventTable). All clips at once: each clip's times are shifted by its own offset (a
    multiple of 2^k seconds beyond the longest clip, exact in floating point) so that one sorted array holds
    every clip's frame boundaries and segment bounds, and one ``maximum.reduceat`` takes every segment's
    highest frame score."""
    if segment_length_s <= 0:
        raise InputError(f"segment length {segment_length_s}: must be positive")
    missing = [name for name in files.names if name not in durations]
    if missing:
        raise InputError(f"durations: no duration for {missing[0]}")
    n_classes = len(classes)
    lengths = np.array([durations[name] for name in files.names], dtype=np.float64)
    longest = max(float(lengths.max(initial=0.0)), max((float(t[-1]) for t in files.timestamps), default=0.0))
    shift = 2.0 ** np.ceil(np.log2(longest + 2 * segment_length_s + 1.0))  # a power of two: adding it is exact
    n_seg = np.ceil(lengths / segment_length_s).astype(np.int64)
    clip_of_segment = np.repeat(np.arange(len(files.names)), n_seg)
    first_segment = np.concatenate(([0], np.cumsum(n_seg)))
    local = np.arange(int(n_seg.sum())) - first_segment[clip_of_segment]
    onsets = np.round(local * segment_length_s, time_decimals)
    offsets = np.round((local + 1) * segment_length_s, time_decimals)
    # every clip's frame boundaries, rounded, shifted to its own range; its scores padded with a zero row
    stamps = [np.round(t, time_decimals) for t in files.timestamps]
    n_stamps = np.array([t.shape[0] for t in stamps])
    first_stamp = np.concatenate(([0], np.cumsum(n_stamps)))
    clip_offset = np.arange(len(files.names)) * shift
    flat = np.concatenate([t + o for t, o in zip(stamps, clip_offset)]) if stamps else np.zeros(0)
    padded = np.concatenate([np.concatenate([v, np.zeros((1, n_classes))]) for v in files.scores]) \
        if files.scores else np.zeros((0, n_classes))
    base = first_stamp[clip_of_segment]
    last = base + n_stamps[clip_of_segment] - 1
    low = np.maximum(np.searchsorted(flat, onsets + clip_offset[clip_of_segment], side="right") - 1, base)
    high = np.minimum(np.searchsorted(flat, offsets + clip_offset[clip_of_segment], side="left"), last)
    order = np.empty(2 * low.shape[0], dtype=np.int64)
    order[0::2], order[1::2] = low, np.maximum(high, low)
    maxima = np.maximum.reduceat(padded, order, axis=0)[0::2] if low.size else np.zeros((0, n_classes))
    maxima[high <= low] = 0.0
    # positives: a segment of clip i overlapped by an event of class c of clip i
    targets = np.zeros((low.shape[0], n_classes), dtype=bool)
    index = {c: i for i, c in enumerate(classes)}
    clip_index = {name: i for i, name in enumerate(files.names)}
    keep = [k for k, (name, label, on) in enumerate(zip(reference.filename, reference.label, reference.onset))
            if label in index and name in clip_index and not np.isnan(on)]
    if keep:
        keep = np.array(keep)
        clip = np.array([clip_index[reference.filename[k]] for k in keep])
        label = np.array([index[reference.label[k]] for k in keep])
        on, off = np.asarray(reference.onset, dtype=np.float64)[keep], np.asarray(reference.offset,
                                                                                 dtype=np.float64)[keep]
        seg_on = onsets + clip_offset[clip_of_segment]  # ascending over all clips' segments
        seg_off = offsets + clip_offset[clip_of_segment]
        # segments k of the event's clip with onset_k < off and offset_k > on (and offset_k > onset_k)
        start = np.maximum(np.searchsorted(seg_off, on + clip_offset[clip], side="right"), first_segment[clip])
        stop = np.minimum(np.searchsorted(seg_on, off + clip_offset[clip], side="left"), first_segment[clip + 1])
        marks = np.zeros((low.shape[0] + 1, n_classes), dtype=np.int64)
        valid = stop > start
        np.add.at(marks, (start[valid], label[valid]), 1)
        np.add.at(marks, (stop[valid], label[valid]), -1)
        targets = np.cumsum(marks, axis=0)[:-1] > 0
        targets &= (offsets > onsets)[:, None]
    return SegmentScores(clip_of_segment, maxima, targets, list(classes), len(files.names))


def roc_auc(scores: np.ndarray, targets: np.ndarray, weights: Optional[np.ndarray] = None,
            max_fpr: Optional[float] = None) -> float:
    """(Partial) ROC AUC of one class's segments (module docstring, steps 2-3); ``weights`` per segment."""
    weights = np.ones(scores.shape[0]) if weights is None else weights
    unique, inverse = np.unique(scores, return_inverse=True)
    tp = np.bincount(inverse, weights=weights * targets, minlength=unique.size)
    fp = np.bincount(inverse, weights=weights * ~targets, minlength=unique.size)
    tps = np.concatenate([np.cumsum(tp[::-1])[::-1], [0.0]])
    fps = np.concatenate([np.cumsum(fp[::-1])[::-1], [0.0]])
    n_ref, n_sys0 = tps[0], tps[0] + fps[0]
    tns = n_sys0 - (tps + fps) - (n_ref - tps)
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr, fpr = tps / n_ref, fps / (tns + fps)
    order = np.lexsort((tpr, fpr))  # by FPR, then TPR (stable, as the reference's sort)
    tpr, fpr = tpr[order], fpr[order]
    sort = np.argsort(fpr)  # the reference sorts once more before summing; same call, same ties
    fpr, tpr = fpr[sort], tpr[sort]
    if max_fpr is None:
        widths, heights = np.diff(fpr), tpr[:-1]
    else:
        beyond = fpr > max_fpr
        cut = int(np.argmax(beyond)) if beyond.any() else fpr.size  # the first point past max_fpr
        edges = np.concatenate([fpr[:cut], [max_fpr]])
        widths, heights = np.diff(edges), tpr[:cut]
    area = float(sum(heights * widths))
    return area / (1.0 if max_fpr is None else max_fpr)


@dataclass
class AurocResult:
    per_class: Dict[str, float]
    mean: float
    max_fpr: Optional[float]
    segment_length_s: float
    n_clips: int
    bootstrap: Optional[np.ndarray] = field(default=None, repr=False)  # (resamples,) of the mean

    def to_json(self) -> dict:
        def number(x):
            return None if x is None or np.isnan(x) else float(x)

        name = "mpAUC" if self.max_fpr is not None else "mAUC"
        return {name: number(self.mean), "per_class": {c: number(v) for c, v in self.per_class.items()},
                "max_fpr": self.max_fpr, "segment_length_s": self.segment_length_s, "n_clips": self.n_clips}


def segment_auroc(segments: SegmentScores, max_fpr: Optional[float] = None, segment_length_s: float = 1.0,
                  clip_weights: Optional[np.ndarray] = None) -> AurocResult:
    """Per-class and mean (partial) AUC; ``clip_weights`` (resamples, clips) adds the bootstrap of the mean."""
    if max_fpr is not None and not 0 < max_fpr <= 1:
        raise InputError(f"--max-fpr {max_fpr}: must lie in (0, 1]")
    per_class = {c: roc_auc(segments.scores[:, i], segments.targets[:, i], max_fpr=max_fpr)
                 for i, c in enumerate(segments.classes)}
    result = AurocResult(per_class, float(np.mean(list(per_class.values()))), max_fpr, segment_length_s,
                         segments.n_clips)
    if clip_weights is not None:
        result.bootstrap = np.array([
            np.mean([roc_auc(segments.scores[:, i], segments.targets[:, i], row[segments.clip], max_fpr)
                     for i in range(len(segments.classes))]) for row in clip_weights])
    return result
