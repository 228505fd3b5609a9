"""Post-processing independent PSDS (piPSDS; Ebbers, Haeb-Umbach & Serizel, "Post-Processing Independent
Evaluation of Sound Event Detection Systems", DCASE Workshop 2023, Sec. 3), equal to sed_scores_eval's
``intersection_based.postprocessing_independent_psds`` with median filters as the post-processings.

A system's PSDS depends on its median filter as much as on its scores. piPSDS takes a set of filter lengths
L_1 .. L_M: the frame scores are median-filtered with each (:mod:`sedkit.metrics.medfilt`, the continuous
filter of the paper, Sec. 3.1), each filtered set gives every class its threshold-free ROC
(:mod:`sedkit.metrics.psds_scores`), and each class's pi-ROC joins the operating points of all M ROCs: at
each eFPR, the best TPR any filter reaches (its upper staircase, Sec. 3.2). The pi-PSD-ROC and its
normalised area follow from the class pi-ROCs as PSDS does from class ROCs (mean minus alpha_st x standard
deviation, area up to max_efpr / max_efpr). With one length it is that filter's PSDS; with L = 0 in the set,
the unfiltered scores take part.

The JSON keeps, per class, each pi-ROC point's threshold and the filter length it comes from, and the PSDS
of every length alone (``psds_per_filter_length``).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import List, Sequence

import numpy as np

from sedkit.errors import InputError
from sedkit.metrics.criteria import PSDSCriteria
from sedkit.metrics.psds import GroundTruth, PSDSResult, no_reference_result
from sedkit.metrics.psds_scores import (_class_roc, _psds_from_rocs, _require_scores_criteria, _unique_cummax_sort,
                                        class_statistics, read_score_folder)

__all__ = ["pipsds_from_scores", "check_filter_lengths"]

METHOD = "post-processing independent (piPSDS over median filter lengths, sed_scores_eval)"


def check_filter_lengths(lengths: Sequence[float]) -> List[float]:
    """The filter lengths in seconds: at least one, each finite and >= 0, no repeats (an InputError)."""
    lengths = [float(v) for v in lengths]
    if not lengths:
        raise InputError("--median-filter-lengths: give at least one length in seconds")
    bad = [v for v in lengths if not math.isfinite(v) or v < 0]
    if bad:
        raise InputError(f"--median-filter-lengths: lengths must be finite and >= 0 seconds, got {bad[0]:g}")
    if len(set(lengths)) != len(lengths):
        raise InputError("--median-filter-lengths: a length is given twice")
    return lengths


def _merge(rocs_per_length: Sequence[Sequence[tuple]], lengths: Sequence[float], max_efpr: float):
    """Per class: the pi-ROC (efpr, tpr, thresholds, filter length of each point) of its ROCs, one per length."""
    merged = []
    for c in range(len(rocs_per_length[0])):
        parts = [rocs[c] for rocs in rocs_per_length]
        efpr = np.concatenate([p[0] for p in parts])
        tpr = np.concatenate([p[1] for p in parts])
        thresholds = np.concatenate([p[2] for p in parts])
        origin = np.concatenate([np.full(p[0].shape[0], lengths[m]) for m, p in enumerate(parts)])
        tpr, efpr, thresholds, origin = _unique_cummax_sort(tpr, efpr, max_efpr, thresholds, origin)
        merged.append((efpr, tpr, thresholds, origin))
    return merged


def _filtered(arrays, length: float, jobs: int):
    from sedkit.metrics.medfilt import median_filter_frames

    return median_filter_frames(*arrays, length, jobs=jobs) if length > 0 else arrays


def pipsds_from_scores(gt: GroundTruth, scores_dir: str | Path, criteria: PSDSCriteria,
                       median_filter_lengths: Sequence[float], *, all_classes: Sequence[str] | None = None,
                       bootstrap_weights: np.ndarray | None = None, jobs: int = 1, progress: bool | None = None
                       ) -> PSDSResult:
    """piPSDS (module doc) of the score folder over ``median_filter_lengths`` (seconds; 0 = unfiltered).
    ``bootstrap_weights`` ((resamples, files) multiplicities in sorted filename order): the piPSDS of each
    resample in ``result.extra["bootstrap_values"]`` (each file's counts under every filter summed with its
    multiplicity, as :func:`sedkit.metrics.psds_scores.psds_bootstrap`). ``jobs``: threads over the classes."""
    from tqdm import tqdm

    _require_scores_criteria(criteria)
    lengths = check_filter_lengths(median_filter_lengths)
    parameters = {**criteria.to_json(), "median_filter_lengths": lengths}
    arrays = read_score_folder(scores_dir, gt, all_classes, threads=jobs)
    if not gt.classes:
        return no_reference_result(parameters, METHOD, 0)
    n_classes = len(gt.classes)
    cttc = criteria.cross_trigger_tolerance
    keep_deltas = bootstrap_weights is not None

    def roc(c, deltas):
        counts = deltas.counts(ref_duration=gt.ref_duration)
        kept = _class_roc(counts, gt.n_ref[c], gt.total_duration, n_classes, criteria.alpha_ct, criteria.max_efpr)
        return kept, counts[0].shape[0], deltas if keep_deltas else None

    rocs_per_length, deltas_per_length, n_thresholds = [], [], 0
    for length in tqdm(lengths, desc="piPSDS filters", unit="length", leave=False,
                       disable=None if progress is None else not progress):
        kept = class_statistics(*_filtered(arrays, length, jobs), gt, criteria.dtc, criteria.gtc, cttc, jobs=jobs,
                                reduce=roc)
        rocs_per_length.append([r for r, _, _ in kept])
        deltas_per_length.append([d for _, _, d in kept])
        n_thresholds += sum(n for _, n, _ in kept)
    per_length = [_psds_from_rocs(rocs, gt.classes, criteria.alpha_st, criteria.max_efpr)[0]
                  for rocs in rocs_per_length]
    merged = _merge(rocs_per_length, lengths, criteria.max_efpr)
    value, x, etpr, class_roc, class_thresholds = _psds_from_rocs([m[:3] for m in merged], gt.classes,
                                                                  criteria.alpha_st, criteria.max_efpr)
    result = PSDSResult(value if math.isfinite(value) else math.nan, x, etpr, list(gt.classes), class_roc,
                        parameters, METHOD, n_thresholds)
    result.extra["psds_per_filter_length"] = [{"median_filter_length": length, "psds": float(v)}
                                              for length, v in zip(lengths, per_length)]
    result.extra["per_class_roc"] = {
        c: {"threshold": [float(t) if math.isfinite(t) else None for t in class_thresholds[c].tolist()],
            "median_filter_length": merged[i][3].tolist(),
            "tpr": class_roc[c][1].tolist(), "efpr_per_hour": class_roc[c][0].tolist()}
        for i, c in enumerate(gt.classes)}
    if bootstrap_weights is not None:
        result.extra["bootstrap_values"] = _bootstrap(gt, deltas_per_length, lengths, bootstrap_weights, criteria,
                                                      jobs, progress)
    return result


def _bootstrap(gt: GroundTruth, deltas_per_length, lengths, weights: np.ndarray, criteria: PSDSCriteria, jobs: int,
               progress: bool | None) -> np.ndarray:
    from sedkit.metrics.bootstrap import weights_in_order
    from sedkit.metrics.psds_scores import resample_totals
    from sedkit.parallel import thread_map

    weights = weights_in_order(weights, gt.files)
    n_classes = len(gt.classes)
    values = np.empty(weights.shape[0])
    for b, (w, n_ref, ref_duration, total) in enumerate(resample_totals(gt, weights, "piPSDS bootstrap", progress)):
        def rocs(deltas):
            return [_class_roc(d.counts(w, ref_duration), n_ref[c], total, n_classes, criteria.alpha_ct,
                               criteria.max_efpr) for c, d in enumerate(deltas)]

        merged = _merge(thread_map(rocs, deltas_per_length, jobs), lengths, criteria.max_efpr)
        values[b] = _psds_from_rocs([m[:3] for m in merged], gt.classes, criteria.alpha_st, criteria.max_efpr)[0]
    return values
