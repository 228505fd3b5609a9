"""PSDS of a set in one call, as ``sedkit eval psds`` computes it: what the command line does, for Python users.

:func:`evaluate_psds` takes the reference table, the clip durations and either a folder of frame scores
(sed_scores_eval's threshold-free PSDS) or detection tables at operating points (psds_eval's PSDS), the
criteria, and optionally bootstrap weights; it prepares the ground truth (classes: ``classes`` or the
reference's labels), reads the detections once for both the value and the resamples, and returns the
:class:`~sedkit.metrics.psds.PSDSResult` with ``extra["bootstrap_values"]`` when resampled.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from sedkit.io import EventTable
from sedkit.metrics.criteria import PSDSCriteria
from sedkit.metrics.psds import PSDSResult

__all__ = ["evaluate_psds"]


def evaluate_psds(reference: EventTable, durations: Dict[str, float], criteria: PSDSCriteria, *,
                  scores_dir: Optional[str | Path] = None, operating_points: Optional[Sequence[EventTable]] = None,
                  names: Optional[Sequence[str]] = None, classes: Optional[Sequence[str]] = None,
                  bootstrap_weights: Optional[np.ndarray] = None, jobs: int = 1,
                  error_rate: bool = False, error_rate_threshold: Optional[float] = None,
                  median_filter_lengths: Optional[Sequence[float]] = None) -> PSDSResult:
    """PSDS from ``scores_dir`` or ``operating_points`` (exactly one; ``names`` name the points). With
    ``median_filter_lengths`` (scores only), the post-processing independent PSDS over those median filters
    (:func:`sedkit.metrics.pipsds.pipsds_from_scores`), bootstrapped with the same weights. Operating
    points are matched one at a time (never all held) unless they are resampled too. With ``error_rate``
    (scores only), the intersection-based error rates from the same statistics (DTC / GTC of ``criteria``) at
    ``error_rate_threshold`` or each class's best, in ``result.extra["error_rate"]`` (an
    :class:`~sedkit.metrics.error_rates.ErrorRates`, bootstrapped with the same weights)."""
    from sedkit.errors import InputError
    from sedkit.metrics import psds as psds_module

    if (scores_dir is None) == (operating_points is None):
        raise InputError("PSDS: give frame scores or operating points (one of the two)")
    if error_rate and scores_dir is None:
        raise InputError("--error-rate: from frame scores (--scores) only")
    if median_filter_lengths is not None and scores_dir is None:
        raise InputError("--median-filter-lengths (piPSDS): from frame scores (--scores) only")
    if median_filter_lengths is not None and error_rate:
        raise InputError("--error-rate is not defined for piPSDS: drop --median-filter-lengths for error rates")
    gt = psds_module.prepare_ground_truth(reference, durations, classes, merge_touching=scores_dir is not None)
    if median_filter_lengths is not None:
        from sedkit.metrics.pipsds import pipsds_from_scores

        return pipsds_from_scores(gt, scores_dir, criteria, median_filter_lengths, all_classes=classes,
                                  bootstrap_weights=bootstrap_weights, jobs=jobs)
    if operating_points is not None:
        all_classes = list(classes or reference.labels)
        encoded = (psds_module.encode_detections(table, gt, all_classes) for table in operating_points)
        detections = list(encoded) if bootstrap_weights is not None else encoded
        result = psds_module.psds_from_operating_points(gt, detections, criteria, names=names)
        if bootstrap_weights is not None:
            result.extra["bootstrap_values"] = psds_module.psds_bootstrap_operating_points(
                gt, detections, bootstrap_weights, criteria)
    else:
        from sedkit.metrics.psds_scores import psds_bootstrap, psds_from_scores, score_deltas

        # Without classes the score files' columns are the class list. Read once for the bootstrap and the error
        # rates, which need every class's count changes; alone, PSDS keeps one class's at a time.
        deltas = (score_deltas(gt, scores_dir, criteria, all_classes=classes, jobs=jobs)
                  if bootstrap_weights is not None or error_rate else None)
        result = psds_from_scores(gt, scores_dir, criteria, all_classes=classes, deltas=deltas, jobs=jobs)
        if bootstrap_weights is not None:
            result.extra["bootstrap_values"] = psds_bootstrap(gt, scores_dir, bootstrap_weights, criteria,
                                                              all_classes=classes, deltas=deltas, jobs=jobs)
        if error_rate:
            from sedkit.metrics.bootstrap import weights_in_order
            from sedkit.metrics.error_rates import intersection_error_rates

            weights = None if bootstrap_weights is None else weights_in_order(bootstrap_weights, gt.files)
            result.extra["error_rate"] = intersection_error_rates(gt, deltas, error_rate_threshold, weights)
    return result
