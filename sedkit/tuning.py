"""Tuning post-processing on a development set: the cSEBB parameters (and detection thresholds) per class.

cSEBBs (:mod:`sedkit.postprocess.sebbs`; Ebbers et al., Interspeech 2024, Sec. 4) have three parameters per
class. As the authors' ``sebbs.csebbs.tune``, :func:`tune_sebbs` computes the boxes of every setting of a grid
(:func:`sedkit.postprocess.sebbs.tune_grid`) on a development set's frame scores, scores each class's boxes
(as detection scores: :func:`sedkit.postprocess.sebbs.sebbs_to_frames`) with

- ``"psds"``: the class's own threshold-free PSDS (its ROC's area up to max_efpr; sebbs' ``select_best_psds``), or
- ``"cbf"``: its best collar-based F1 over all thresholds (sebbs' ``select_best_cbf``), which also gives the
  class's detection threshold,

and keeps per class the best setting (the first of equal ones). Tune on a development set and apply the
parameters to the set you report (``sedkit postprocess --sebbs-tune`` then ``--sebb-params``); never tune on
the reported set.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["SEBBTuning", "tune_sebbs"]


@dataclass
class SEBBTuning:
    """The tuned per-class parameters, each class's value with them, and (``cbf``) its detection threshold;
    ``table``: every setting's per-class values, in grid order."""

    params: object  # SEBBParams
    values: Dict[str, float]
    thresholds: Optional[Dict[str, float]]
    selection: str
    table: List[Dict[str, float]] = field(default_factory=list)


def tune_sebbs(timestamps: Sequence[np.ndarray], scores: Sequence[np.ndarray], classes: Sequence[str], gt,
               grid: Sequence, selection: str = "psds", criteria=None, onset_collar: float = 0.2,
               offset_collar: float = 0.2, offset_collar_rate: float = 0.2, jobs: int = 1,
               progress: bool | None = None) -> SEBBTuning:
    """Per class, the best cSEBB setting of ``grid`` (module doc) on the clips of ``gt`` (a
    :class:`~sedkit.metrics.psds.GroundTruth` with ``merge_touching``; ``timestamps`` / ``scores`` per clip in
    ``gt.files`` order, columns ``classes``). ``selection``: ``"psds"`` (with ``criteria``, a PSDSCriteria) or
    ``"cbf"`` (with the collars). ``jobs``: threads for the boxes and the classes."""
    from tqdm import tqdm

    from sedkit.postprocess.sebbs import best_per_class, predict_sebbs_grid, sebbs_to_frames

    if selection not in ("psds", "cbf"):
        raise InputError(f"SEBB tuning: unknown selection {selection!r}: psds or cbf")
    if selection == "psds" and criteria is None:
        raise InputError("SEBB tuning on psds needs the PSDS criteria")
    lacking = [c for c in classes if c not in gt.classes]
    if lacking:
        raise InputError(f"SEBB tuning: no reference events of {lacking[0]} in the development set")
    names = [os.path.splitext(f)[0] for f in gt.files]
    durations = gt.durations.tolist()
    take = [list(classes).index(c) for c in gt.classes]
    table, thresholds_of = [], []
    all_boxes = predict_sebbs_grid(timestamps, scores, classes, names, grid, jobs=jobs)
    for boxes in tqdm(all_boxes, desc="SEBB settings", unit="setting", leave=False,
                      disable=None if progress is None else not progress):
        start, end, file, values = sebbs_to_frames(boxes, durations)
        values = values[:, take]
        if selection == "psds":
            from sedkit.metrics.psds_scores import class_psds_from_arrays

            table.append(class_psds_from_arrays(start, end, file, values, gt, criteria, jobs=jobs))
            thresholds_of.append(None)
        else:
            from sedkit.metrics.collar_scores import best_f1_thresholds, collar_statistics

            best = best_f1_thresholds(collar_statistics(start, end, file, values, gt, onset_collar, offset_collar,
                                                        offset_collar_rate, jobs=jobs), gt.classes)
            table.append(dict(best.f1))
            thresholds_of.append(dict(best.threshold))  # -inf where the best F1 needs every box
    params, values, chosen = best_per_class(grid, table, list(classes))
    thresholds = None if selection == "psds" else {c: thresholds_of[chosen[c]][c] for c in classes}
    return SEBBTuning(params, values, thresholds, selection, table)
