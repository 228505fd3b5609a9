"""What event- and segment-based metrics share: encoding tables into arrays, and sed_eval's formulas.

Formulas (sed_eval 0.2.1), for counts of true positives ``tp``, system outputs ``n_est`` and reference
items ``n_ref``:

- precision = tp / n_est; where n_est == 0 it is 0 under ``empty_system_output='zero_score'`` and NaN
  under sed_eval's default (``empty_system_output_handling=None``, written ``'default'`` here);
  recall = NaN if n_ref == 0 else tp / n_ref;
- F1 = 0 if precision == recall == 0 else 2 P R / (P + R), so NaN whenever precision or recall is NaN;
- substitution / deletion / insertion rate = S / (n_ref + eps), D / (n_ref + eps), I / (n_ref + eps),
  eps = numpy.spacing(1) (so a class with no reference events but false alarms has a huge insertion rate,
  exactly as sed_eval reports it); error rate = S + D + I (class-wise: D + I, with D = fn and I = fp);
- with true negatives ``tn`` (segment-based): sensitivity = tp / (tp + fn + eps), specificity =
  tn / (tn + fp + eps), balanced accuracy = (sensitivity + specificity) / 2, accuracy =
  (tp + tn) / (tp + tn + fn + fp + eps);
- macro ("class-wise average") = NaN-ignoring mean over the class list, so a class whose value is NaN is
  left out; micro ("overall") = the formulas on counts summed over classes (and files).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from sedkit.errors import InputError
from sedkit.io import EventTable, lookup

__all__ = ["EncodedEvents", "encode_events", "evaluated_files", "resolve_classes", "MetricResult",
           "rates_from_counts", "file_pairs", "encode_pair", "check_empty_system_output", "expand_ranges",
           "intersecting_pairs", "frame_event_ranges"]

EPS = float(np.spacing(1))
EMPTY_SYSTEM_OUTPUT = ("default", "zero_score")
JSON_KEYS = ("f1", "precision", "recall", "error_rate", "substitution_rate", "deletion_rate", "insertion_rate",
             "sensitivity", "specificity", "balanced_accuracy", "accuracy", "average_precision", "roc_auc")
MACRO_KEYS = ("f1", "precision", "recall", "error_rate", "deletion_rate", "insertion_rate", "sensitivity",
              "specificity", "balanced_accuracy", "accuracy")


@dataclass
class EncodedEvents:
    """Events as arrays, stably sorted by file (row order within a file is kept)."""

    file: np.ndarray  # int64 index into the evaluated file list
    label: np.ndarray  # int64 index into the class list
    onset: np.ndarray  # float64 seconds
    offset: np.ndarray  # float64 seconds

    def __len__(self) -> int:
        return int(self.file.shape[0])

    def take(self, rows: np.ndarray) -> "EncodedEvents":
        """The events ``rows`` (in that order)."""
        return EncodedEvents(self.file[rows], self.label[rows], self.onset[rows], self.offset[rows])


def resolve_classes(reference: EventTable, classes: Optional[Sequence[str]]) -> List[str]:
    """The class list: ``classes`` when given (duplicates are an error), else sorted reference labels."""
    if classes:
        duplicates = sorted({c for c in classes if list(classes).count(c) > 1})
        if duplicates:
            raise InputError(f"--classes lists {', '.join(duplicates)} more than once")
        return list(classes)
    labels = reference.labels
    if not labels:
        raise InputError(f"{reference.path}: no events, and no --classes given")
    return labels


def evaluated_files(reference: EventTable, durations: Optional[Dict[str, float]] = None,
                    durations_path: str = "durations") -> List[str]:
    """Every reference filename, plus those of the durations table (each reference file needs one)."""
    files = list(reference.files)
    if durations is not None:
        missing = [f for f in files if f not in durations]
        if missing:
            raise InputError(f"{durations_path}: no duration for {missing[0]}"
                             f"{f' (and {len(missing) - 1} more reference files)' if len(missing) > 1 else ''}")
        known = set(files)
        files += [f for f in durations if f not in known]
    return files


def encode_files(table: EventTable, file_index: Dict[str, int], role: str) -> np.ndarray:
    """Each event's file index; a file not in ``file_index`` is an :class:`InputError` naming file and row."""
    names, codes, _, _ = table.codes()
    file = lookup(names, file_index)[codes]
    if (file < 0).any():
        row = int(np.flatnonzero(file < 0)[0])
        raise InputError(f"{table.path}:{table.row_numbers[row]}: {role} file {table.filename[row]} "
                         "is not in the reference (nor in the durations)")
    return file


def encode_events(table: EventTable, file_index: Dict[str, int], class_index: Dict[str, int],
                  role: str) -> EncodedEvents:
    """Map filenames and labels to indices; unknown ones are :class:`InputError` naming file and row."""
    file = encode_files(table, file_index, role)
    _, _, labels, codes = table.codes()
    label = lookup(labels, class_index)[codes]
    if (label < 0).any():
        row = int(np.flatnonzero(label < 0)[0])
        raise InputError(f"{table.path}:{table.row_numbers[row]}: label {table.label[row]!r} is not in the "
                         f"class list ({', '.join(class_index)})")
    order = np.argsort(file, kind="stable")
    return EncodedEvents(file[order], label[order], table.onset[order], table.offset[order])


def encode_pair(reference: EventTable, estimated: EventTable, classes: Optional[Sequence[str]],
                durations: Optional[Dict[str, float]]):
    """Class list, evaluated files, and both tables encoded against them (see :func:`encode_events`)."""
    class_list = resolve_classes(reference, classes)
    files = evaluated_files(reference, durations)
    file_index = {name: i for i, name in enumerate(files)}
    class_index = {name: i for i, name in enumerate(class_list)}
    ref = encode_events(reference, file_index, class_index, "reference")
    est = encode_events(estimated, file_index, class_index, "estimated")
    return class_list, files, ref, est


def expand_ranges(first: np.ndarray, stop: np.ndarray):
    """Every (i, j) with ``first[i] <= j < stop[i]`` (empty where stop <= first), i-major, j ascending."""
    count = np.maximum(stop - first, 0)
    i = np.repeat(np.arange(first.shape[0]), count)
    j = np.arange(i.shape[0]) + (first - (np.cumsum(count) - count))[i]
    return i, j


def _key_span(*latest: float) -> float:
    """A power of two above twice the latest time: keys ``file * span + time`` keep (file, time) order."""
    return 2.0 ** math.ceil(math.log2(2.0 * max(latest) + 2.0))


def frame_event_ranges(starts: np.ndarray, ends: np.ndarray, files: np.ndarray, ref) -> tuple:
    """For frames sorted by (file, time) and events ``ref`` sorted by (file, onset): per frame f, (first[f],
    stop[f]) such that a run of frames f..g can intersect only events first[f]:stop[g] (:func:`intersecting_pairs`'
    ranges, found by searching the events among the frames once, for any number of runs)."""
    size = starts.shape[0] + 1
    if not ref.file.shape[0]:
        return np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
    span = _key_span(float(ref.offset.max()), float(ends.max()))
    ref_base, grid_base = ref.file * span, files * span
    reach = np.maximum.accumulate(ref_base + ref.offset)  # latest reference offset so far (within the file)
    # per frame: events with reach < its start key (first), with onset key <= its end key (stop)
    first = np.cumsum(np.bincount(np.searchsorted(grid_base + starts, reach, side="right"), minlength=size))
    stop = np.cumsum(np.bincount(np.searchsorted(grid_base + ends, ref_base + ref.onset, side="left"), minlength=size))
    return first, stop


def intersecting_pairs(det, ref, grid: Optional[tuple] = None):
    """(det index, ref index) of every detection / reference pair of one file whose intervals intersect
    (``on_d < off_g`` and ``on_g < off_d``). Both are anything with ``file``, ``onset`` and ``offset`` arrays
    (:class:`EncodedEvents`, runs of frames); ``ref`` sorted by (file, onset), ``det`` in any order. Pairs
    come detection-major, reference events ascending.

    Each detection's candidates are a range of ``ref`` found by binary search on keys ``file * span + time``
    (``span`` a power of two above twice the latest time): rounding keeps such keys in order, so the range
    holds every intersecting event, and only events of the detection's file (other files' keys lie at least
    ``span / 2`` away); the exact test then keeps those that do intersect.

    ``grid`` = (first, stop, first frames, last frames) when the detections are runs of frames: the ranges
    :func:`frame_event_ranges` found per frame, taken at each run's first and last frame, instead of searched
    once per detection (cheaper when detections far outnumber events, and shared by every set of runs).
    """
    if not det.file.shape[0] or not ref.file.shape[0]:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if grid is None:
        span = _key_span(float(ref.offset.max()), float(det.offset.max()))
        ref_base, det_base = ref.file * span, det.file * span
        reach = np.maximum.accumulate(ref_base + ref.offset)  # latest reference offset so far (within the file)
        first = np.searchsorted(reach, det_base + det.onset, side="left")
        stop = np.searchsorted(ref_base + ref.onset, det_base + det.offset, side="right")
    else:
        frame_first, frame_stop, first_frame, last_frame = grid
        first, stop = frame_first[first_frame], frame_stop[last_frame]
    pair_det, pair_ref = expand_ranges(first, stop)
    meet = (det.onset[pair_det] < ref.offset[pair_ref]) & (ref.onset[pair_ref] < det.offset[pair_det])
    return pair_det[meet], pair_ref[meet]


def file_pairs(ref: EncodedEvents, est: EncodedEvents, n_files: int):
    """Every (ref, est) index pair within the same file, ref-major then est order (as ``numpy.where``)."""
    est_count = np.bincount(est.file, minlength=n_files)
    est_start = np.concatenate(([0], np.cumsum(est_count)[:-1]))
    first = est_start[ref.file]
    return expand_ranges(first, first + est_count[ref.file])


def check_empty_system_output(value: str) -> str:
    if value not in EMPTY_SYSTEM_OUTPUT:
        raise InputError(f"empty system output handling must be one of {', '.join(EMPTY_SYSTEM_OUTPUT)}, "
                         f"got {value!r}")
    return value


def _precision(tp: float, n_est: float, empty_system_output: str) -> float:
    if n_est == 0:
        return 0.0 if empty_system_output == "zero_score" else math.nan
    return float(tp / float(n_est))


def _recall(tp: float, n_ref: float) -> float:
    return math.nan if n_ref == 0 else float(tp / float(n_ref))


def _f1(precision: float, recall: float) -> float:
    if precision == 0 and recall == 0:
        return 0.0
    return float(2.0 * precision * recall / (precision + recall))


def rates_from_counts(tp: float, n_est: float, n_ref: float, deletions: float, insertions: float,
                      substitutions: Optional[float] = None, tn: Optional[float] = None,
                      empty_system_output: str = "zero_score") -> Dict[str, float]:
    """F1, precision, recall, error rates (and with ``tn`` the accuracies), as sed_eval computes them."""
    precision, recall = _precision(tp, n_est, empty_system_output), _recall(tp, n_ref)
    deletion_rate = float(deletions / (n_ref + EPS))
    insertion_rate = float(insertions / (n_ref + EPS))
    result = {"f1": _f1(precision, recall), "precision": precision, "recall": recall}
    if substitutions is None:
        result["error_rate"] = float(0.0 + deletion_rate + insertion_rate)
    else:
        substitution_rate = float(substitutions / (n_ref + EPS))
        result["error_rate"] = float(substitution_rate + deletion_rate + insertion_rate)
        result["substitution_rate"] = substitution_rate
    result["deletion_rate"] = deletion_rate
    result["insertion_rate"] = insertion_rate
    if tn is not None:
        fn, fp = n_ref - tp, n_est - tp
        sensitivity = float(tp / (tp + fn + EPS))
        specificity = float(tn / (tn + fp + EPS))
        result.update(sensitivity=sensitivity, specificity=specificity,
                      balanced_accuracy=float(0.5 * sensitivity + 0.5 * specificity),
                      accuracy=float((tp + tn) / (tp + tn + fn + fp + EPS)))
    return result


@dataclass
class MetricResult:
    """Per-class, macro and micro scores of one evaluation (fractions in [0, 1]; NaN where undefined)."""

    classes: List[str]
    per_class: Dict[str, Dict[str, float]]
    macro: Dict[str, float]
    micro: Dict[str, float]
    n_files: int
    extra: Dict[str, float] = field(default_factory=dict)  # e.g. evaluated length
    parameters: Dict[str, object] = field(default_factory=dict)  # the settings, for the JSON
    clip_counts: Optional[object] = None  # per-clip counts (sedkit.metrics.bootstrap.ClipCounts), for resampling
    clip_counts_in_json: bool = True  # event-based only: what `sedkit results` pairs across systems

    @classmethod
    def from_counts(cls, classes: Sequence[str], tp: np.ndarray, n_est: np.ndarray, n_ref: np.ndarray,
                    micro_counts: Dict[str, float], n_files: int, tn: Optional[np.ndarray] = None,
                    empty_system_output: str = "zero_score") -> "MetricResult":
        """Build from per-class counts (deletions = fn = n_ref - tp, insertions = fp = n_est - tp).

        ``tn`` (per class; segment-based) adds sensitivity, specificity and the accuracies, the micro ones
        from the summed counts; ``micro_counts`` are the keyword arguments of :func:`rates_from_counts`.
        """
        per_class = {}
        for index, name in enumerate(classes):
            t, e, r = float(tp[index]), float(n_est[index]), float(n_ref[index])
            scores = rates_from_counts(t, e, r, r - t, e - t, tn=None if tn is None else float(tn[index]),
                                       empty_system_output=empty_system_output)
            scores.update(n_ref=int(r), n_est=int(e), n_tp=int(t))
            per_class[name] = scores
        macro = {}
        for key in MACRO_KEYS:
            if classes and key in per_class[classes[0]]:
                macro[key] = _nanmean(np.array([per_class[name][key] for name in classes], dtype=np.float64))
        if tn is not None:
            micro_counts = {**micro_counts, "tn": float(np.sum(tn))}
        micro = rates_from_counts(**micro_counts, empty_system_output=empty_system_output)
        micro.update(n_ref=int(micro_counts["n_ref"]), n_est=int(micro_counts["n_est"]),
                     n_tp=int(micro_counts["tp"]))
        result = cls(list(classes), per_class, macro, micro, n_files)
        result.parameters["empty_system_output"] = empty_system_output
        return result

    def to_json(self) -> dict:
        """The ``--json`` document: micro / macro / per_class with the contract's keys; NaN -> None."""
        def clean(value: float):
            return None if value is None or (isinstance(value, float) and math.isnan(value)) else value

        def pick(scores: Dict[str, float]) -> Dict[str, object]:
            return {k: clean(scores[k]) for k in JSON_KEYS if k in scores}

        document = {
            "micro": pick(self.micro),
            "macro": pick(self.macro),
            "per_class": {name: {**pick(scores), "n_ref": scores["n_ref"], "n_est": scores["n_est"]}
                          for name, scores in self.per_class.items()},
            "parameters": dict(self.parameters),
        }
        if "bootstrap" in self.extra:
            document["bootstrap"] = self.extra["bootstrap"]
        if "error_rate_from_scores" in self.extra:  # eval tagging --scores --error-rate
            document["error_rate_from_scores"] = self.extra["error_rate_from_scores"]
        if self.clip_counts is not None and self.clip_counts_in_json:
            document["clip_counts"] = self.clip_counts.to_json()
        return document


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(np.mean(finite)) if finite.size else math.nan
