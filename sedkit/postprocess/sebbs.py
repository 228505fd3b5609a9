"""Change-point based sound event bounding boxes (cSEBBs; Ebbers, Germain, Wichern & Le Roux, "Sound Event
Bounding Boxes", Interspeech 2024, Sec. 3), equal to the authors' package ``sebbs`` (1.0.2) on the same scores.

Frame thresholding ties an event's extent to its decision threshold: a lower threshold detects more events
*and* lengthens them. A SEBB separates the two: (onset, offset, class, confidence), its extent found once
from the scores, its confidence the mean score over it; a threshold on the confidence then only decides
which boxes are kept (Sec. 2). cSEBBs (Sec. 3), per class:

1. **Change detection.** A step filter of length L: delta(c) = mean score over [c, c + L/2] minus mean score
   over [c - L/2, c] (the clip padded with 0). Each local maximum of delta opens a candidate (an onset: the
   score rises most there) and the next local minimum closes it (an offset). delta is piecewise linear, so its
   extrema lie where the filter's centre or an end crosses a frame boundary; these times are visited in order
   (rounded to 8 decimals, as there). Each segment between cuts keeps its mean, min and max score.
2. **Merging.** Two neighbouring candidates are joined across the gap between them when the gap hardly dips:
   both candidates' maxima exceed the gap's minimum by less than ``merge_threshold_abs`` *and* by a factor less
   than ``merge_threshold_rel`` (all scores + 1e-3). A box's confidence is the (time-weighted) mean score over
   its extent (with sebbs' 1e-6 s added to the extent where a clip holds two or more candidates).

The three parameters are per class; :func:`tune_grid` lists sebbs' default search grid, and the tuning picks
per class the best setting on a *development* set (``sedkit postprocess --sebbs-tune``; never the reported
set). The compiled loops are :mod:`sedkit.postprocess._kernels`; tests/postprocess/test_sebbs.py compares
boxes and confidences with sebbs on random scores.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.parallel import contiguous_blocks, thread_map

__all__ = ["SEBBParams", "SEBBs", "predict_sebbs", "predict_sebbs_grid", "sebbs_to_frames", "tune_grid",
           "best_per_class", "DEFAULT_GRID", "write_sebb_params", "read_sebb_params"]

DECIMALS = 6
EPS = 10.0 ** (-DECIMALS - 1)
# sebbs' default search grid (csebbs.tune): step filter lengths, absolute and relative merge thresholds, each
# merge threshold tried alone (the other one off).
DEFAULT_GRID = {"step_filter_length": (0.32, 0.48, 0.64), "merge_threshold_abs": (0.15, 0.2, 0.3),
                "merge_threshold_rel": (1.5, 2.0, 3.0)}


PARAM_KEYS = ("step_filter_length", "merge_threshold_abs", "merge_threshold_rel")


@dataclass(frozen=True)
class SEBBParams:
    """cSEBB parameters: one value for every class, or a ``{class: value}`` mapping each; defaults are sebbs'
    (``CSEBBsPredictor``: L = 0.5 s, abs 1.0, rel 2.0)."""

    step_filter_length: float | Dict[str, float] = 0.5
    merge_threshold_abs: float | Dict[str, float] = 1.0
    merge_threshold_rel: float | Dict[str, float] = 2.0

    def per_class(self, classes: Sequence[str]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(L, abs, rel) per class, checked: L finite > 0; thresholds > 0 (inf: that test off)."""
        out = []
        for name in PARAM_KEYS:
            value = getattr(self, name)
            if isinstance(value, dict):
                missing = [c for c in classes if c not in value]
                if missing:
                    raise InputError(f"SEBB {name}: no value for class {missing[0]}")
                values = np.array([float(value[c]) for c in classes])
            else:
                values = np.full(len(classes), float(value))
            if np.isnan(values).any() or (values <= 0).any() or (name == "step_filter_length"
                                                                 and not np.isfinite(values).all()):
                bad = values[np.isnan(values) | (values <= 0) | ~np.isfinite(values)][0]
                raise InputError(f"SEBB {name} {bad:g}: must be > 0" + (" and finite" if name == "step_filter_length"
                                                                          else " (inf: off)"))
            out.append(values)
        return tuple(out)

    def to_dict(self, classes: Sequence[str]) -> Dict[str, Dict[str, float]]:
        """Per class: ``{class: {step_filter_length, merge_threshold_abs, merge_threshold_rel}}``."""
        values = self.per_class(classes)
        return {c: {name: float(v[i]) for name, v in zip(PARAM_KEYS, values)} for i, c in enumerate(classes)}

    @classmethod
    def from_dict(cls, table: Dict[str, Dict[str, float]]) -> "SEBBParams":
        bad = [c for c, row in table.items() if not isinstance(row, dict) or set(row) != set(PARAM_KEYS)]
        if bad:
            raise InputError(f"SEBB parameters of class {bad[0]}: expected the keys {', '.join(PARAM_KEYS)}")
        return cls(**{name: {c: float(row[name]) for c, row in table.items()} for name in PARAM_KEYS})


@dataclass
class SEBBs:
    """Boxes of all clips: ``onset``, ``offset``, ``confidence``, ``label`` (index into ``classes``) and ``file``
    (index into ``files``), clip by clip, class by class within a clip, in time order within a class."""

    onset: np.ndarray
    offset: np.ndarray
    confidence: np.ndarray
    label: np.ndarray
    file: np.ndarray
    classes: List[str]
    files: List[str]

    def __len__(self) -> int:
        return int(self.onset.shape[0])

    def rows(self, audio_ext: str = ".wav", threshold: float | np.ndarray | None = None):
        """(filename, onset, offset, label, confidence) per box; with ``threshold`` (one, or one per class),
        the boxes whose confidence is > it (sebbs' detection_thresholding)."""
        keep = np.ones(len(self), bool)
        if threshold is not None:
            keep = self.confidence > np.broadcast_to(np.asarray(threshold, dtype=np.float64),
                                                     (len(self.classes),))[self.label]
        return [(self.files[f] + audio_ext, a, b, self.classes[c], s) for f, a, b, c, s in
                zip(self.file[keep].tolist(), self.onset[keep].tolist(), self.offset[keep].tolist(),
                    self.label[keep].tolist(), self.confidence[keep].tolist())]


def predict_sebbs(timestamps: Sequence[np.ndarray], scores: Sequence[np.ndarray], classes: Sequence[str],
                  files: Sequence[str], params: SEBBParams, jobs: int = 1) -> SEBBs:
    """cSEBBs (module doc) of clips given as per-clip ``timestamps`` (T + 1, from 0) and ``scores`` (T, K) of
    ``classes``; ``jobs`` threads over blocks of clips (the same boxes for any number)."""
    return predict_sebbs_grid(timestamps, scores, classes, files, [params], jobs=jobs)[0]


def predict_sebbs_grid(timestamps: Sequence[np.ndarray], scores: Sequence[np.ndarray], classes: Sequence[str],
                       files: Sequence[str], settings: Sequence[SEBBParams], jobs: int = 1) -> List[SEBBs]:
    """:func:`predict_sebbs` for each of ``settings``, in their order. Settings with the same step filter
    lengths share one change detection (step 1 of the module doc) and differ only in the merging, so a tuning
    grid (:func:`tune_grid`: 3 lengths x 6 merge settings) detects changes 3 times, not 18."""
    from sedkit.postprocess import _kernels

    per_class = [p.per_class(classes) for p in settings]
    for name, stamps in zip(files, timestamps):
        if not np.all(np.diff(stamps) > 0):
            raise InputError(f"{name}: frame timestamps must increase")
    groups: Dict[tuple, List[int]] = {}  # the settings of each step filter length (per class), in order
    for i, (lengths, _, _) in enumerate(per_class):
        groups.setdefault(tuple(lengths.tolist()), []).append(i)
    kernel_args = [(np.array(lengths), np.stack([per_class[i][1] for i in members]),
                    np.stack([per_class[i][2] for i in members])) for lengths, members in groups.items()]
    order = [i for members in groups.values() for i in members]  # the settings as the blocks return them

    def block(bounds):  # clips lo .. hi - 1: each setting's columns, in ``order``
        lo, hi = bounds
        stamps = np.concatenate(timestamps[lo:hi])
        values = np.ascontiguousarray(np.concatenate(scores[lo:hi]), dtype=np.float64)
        clip_start = np.concatenate(([0], np.cumsum([len(t) for t in timestamps[lo:hi]])))
        frame_start = np.concatenate(([0], np.cumsum([len(s) for s in scores[lo:hi]])))
        found = []
        for lengths, merge_abs, merge_rel in kernel_args:
            *columns, setting_start = _kernels.sebbs_all(stamps, clip_start, values, frame_start, lengths,
                                                         merge_abs, merge_rel, EPS, DECIMALS)
            columns[4] += lo
            found += [[column[a:b] for column in columns] for a, b in zip(setting_start[:-1], setting_start[1:])]
        return found

    parts = thread_map(block, contiguous_blocks(len(files), jobs), jobs)
    empty = [np.empty(0), np.empty(0), np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)]
    out: List[SEBBs | None] = [None] * len(settings)
    for k, i in enumerate(order):
        columns = [np.concatenate(column) for column in zip(*(part[k] for part in parts))] if parts else empty
        out[i] = SEBBs(*columns, list(classes), list(files))
    return out


def sebbs_to_frames(boxes: SEBBs, durations: Sequence[float]):
    """The boxes as frame scores (sebbs' ``sed_scores_from_sebbs``, the detection scores of the SEBB paper),
    all clips at once: per clip, frames between consecutive box boundaries from 0 to its duration, each class's
    score the confidence of its box there and -inf elsewhere. Returns (start, end, file, scores (frames,
    classes)) with frames in clip order, as :func:`sedkit.metrics.psds_scores.read_score_folder` gives them."""
    n_files, n_classes = len(boxes.files), len(boxes.classes)
    point_file = np.concatenate((np.arange(n_files), np.arange(n_files), boxes.file, boxes.file))
    point_time = np.concatenate((np.zeros(n_files), np.asarray(durations, dtype=np.float64), boxes.onset,
                                 boxes.offset))
    order = np.lexsort((point_time, point_file))
    sorted_file, sorted_time = point_file[order], point_time[order]
    first = np.ones(order.shape[0], bool)  # the first of equal (file, time) points
    first[1:] = (sorted_file[1:] != sorted_file[:-1]) | (sorted_time[1:] != sorted_time[:-1])
    kept_file, kept_time = sorted_file[first], sorted_time[first]
    index = np.empty(order.shape[0], np.int64)
    index[order] = np.cumsum(first) - 1  # each point's position among the kept ones
    same = kept_file[1:] == kept_file[:-1]  # a frame between consecutive points of one clip
    start, end, file = kept_time[:-1][same], kept_time[1:][same], kept_file[:-1][same]
    # the frame starting at kept point k is frame k - (its clip's number): each earlier clip has one last point
    n_boxes = len(boxes)
    a = index[2 * n_files:2 * n_files + n_boxes] - boxes.file
    b = index[2 * n_files + n_boxes:] - boxes.file
    scores = np.full((start.shape[0], n_classes), -np.inf)
    span = b - a
    rows = np.repeat(a, span) + np.arange(int(span.sum())) - np.repeat(np.cumsum(span) - span, span)
    scores[rows, np.repeat(boxes.label, span)] = np.repeat(boxes.confidence, span)
    return start, end, file, scores


def tune_grid(step_filter_lengths: Sequence[float] = DEFAULT_GRID["step_filter_length"],
              merge_thresholds_abs: Sequence[float] = DEFAULT_GRID["merge_threshold_abs"],
              merge_thresholds_rel: Sequence[float] = DEFAULT_GRID["merge_threshold_rel"]) -> List[SEBBParams]:
    """sebbs' tuning grid, in its order: per step filter length, each absolute merge threshold (relative off),
    then each relative one (absolute off)."""
    grid = []
    for length in step_filter_lengths:
        grid += [SEBBParams(length, float(a), math.inf) for a in merge_thresholds_abs]
        grid += [SEBBParams(length, math.inf, float(r)) for r in merge_thresholds_rel]
    return grid


def best_per_class(grid: Sequence[SEBBParams], values: Sequence[Dict[str, float]], classes: Sequence[str]
                   ) -> Tuple[SEBBParams, Dict[str, float], Dict[str, int]]:
    """Per class, the grid setting with the highest value (the first of equal ones, as sebbs' selection):
    (the per-class SEBBParams, each class's best value, the index of its setting in the grid)."""
    best, chosen = {}, {}
    for i, per_class in enumerate(values):
        for c in classes:
            if c not in best or per_class[c] > best[c]:
                best[c], chosen[c] = per_class[c], i
    params = SEBBParams(**{name: {c: getattr(grid[chosen[c]], name) for c in classes} for name in PARAM_KEYS})
    return params, best, chosen


def write_sebb_params(path, params: SEBBParams, classes: Sequence[str], comment: str,
                      thresholds: Dict[str, float] | None = None) -> None:
    """Per class ``{step_filter_length, merge_threshold_abs, merge_threshold_rel[, detection_threshold]}`` as
    YAML (``.inf``: a merge test that is off), with a comment line saying where they come from."""
    from sedkit.io import atomic_write

    def number(value: float) -> str:
        return ".inf" if value == math.inf else "-.inf" if value == -math.inf else repr(float(value))

    table = params.to_dict(classes)
    with atomic_write(path) as handle:
        handle.write(f"# {comment}\n")
        for c in classes:
            values = {**table[c], **({"detection_threshold": thresholds[c]} if thresholds else {})}
            handle.write(f"{c}: {{{', '.join(f'{k}: {number(v)}' for k, v in values.items())}}}\n")


def read_sebb_params(path, classes: Sequence[str]) -> Tuple[SEBBParams, Dict[str, float] | None]:
    """(parameters, detection thresholds or None) from :func:`write_sebb_params`'s YAML; every class of the
    scores must be there with the three parameters (and all or none with a detection threshold)."""
    from sedkit.postprocess.median import read_class_mapping

    data = read_class_mapping(path, classes, "SEBB parameters")
    for c in classes:
        row = data[c]
        if not isinstance(row, dict) or not set(PARAM_KEYS) <= set(row) <= {*PARAM_KEYS, "detection_threshold"}:
            raise InputError(f"{path}: {c}: expected {{{', '.join(PARAM_KEYS)}[, detection_threshold]}}")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row.values()):
            raise InputError(f"{path}: {c}: parameters must be numbers")
    with_threshold = [c for c in classes if "detection_threshold" in data[c]]
    if with_threshold and len(with_threshold) != len(classes):
        raise InputError(f"{path}: detection_threshold for some classes only")
    params = SEBBParams.from_dict({c: {k: data[c][k] for k in PARAM_KEYS} for c in classes})
    params.per_class(classes)  # checks the values
    thresholds = {c: float(data[c]["detection_threshold"]) for c in classes} if with_threshold else None
    return params, thresholds
