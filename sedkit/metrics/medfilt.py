"""The continuous-time median filter of sed_scores_eval (Ebbers, Haeb-Umbach & Serizel, "Post-Processing
Independent Evaluation of Sound Event Detection Systems", DCASE Workshop 2023, Sec. 3), which piPSDS sweeps.

A clip's scores of one class are a step function s(x): frame i = [t_i, t_{i+1}) holds s_i, and s = -inf
outside the clip. The filtered score at time t is the median of s over the window [t - L/2, t + L/2], each
value weighted by the time it covers there. Picture the window's values as a bar stacked in score order,
each value as high as the time it covers: the median is the value whose part of the bar holds the middle
height L/2. Between two *breakpoints* (times where a window edge crosses a frame boundary, t_i -+ L/2) the
bar of the value the window leaves shrinks and that of the value it enters grows, both at rate 1, so the
time at which the middle passes into another value's part is found exactly.

sedkit sweeps the breakpoints in order keeping the window's distinct values sorted with their covered time,
and the current median with its part [low, up] of the bar. When the middle leaves that part (up < L/2: the
median rises; low >= L/2: it falls), the new median and the time it took over are read off the bar. Times
compare with a tolerance of 1e-7 s and the change times are rounded to 6 decimals, as sed_scores_eval's
sweep does (``cy_medfilt``), so the output is the same to the last bit, including its behaviour on ties: where
the middle lies exactly on the border of two values' parts (L an even number of frames over flat regions),
the median stays the value it was. The output of a clip is one segment per pair of consecutive change times
of any class. The sweep is compiled with numba (a librosa dependency), one call for all clips and classes.
tests/metrics/test_pipsds.py compares it with sed_scores_eval on random and tie-heavy inputs.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.parallel import contiguous_blocks, thread_map

__all__ = ["median_filter_scores", "median_filter_frames"]

DECIMALS = 6
EPS = 10.0 ** (-DECIMALS - 1)


def _check_lengths(lengths, n_classes: int) -> np.ndarray:
    per_class = np.broadcast_to(np.asarray(lengths, dtype=np.float64), (n_classes,))
    if np.any(~np.isfinite(per_class)) or np.any(per_class < 0):
        raise InputError(f"median filter lengths must be finite and >= 0 seconds, got {per_class.tolist()}")
    return per_class


def median_filter_scores(timestamps: np.ndarray, scores: np.ndarray, lengths: float | Sequence[float]
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """One clip: (timestamps (T + 1,), scores (T, K)) -> the same after the continuous median filter (module
    doc) of ``lengths`` seconds (one for all classes or one per class; 0 leaves a class as it is). Returns
    (timestamps (M + 1,), scores (M, K)), as sed_scores_eval's ``cy_medfilt`` with 6 time decimals."""
    timestamps = np.asarray(timestamps, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or timestamps.shape != (scores.shape[0] + 1,):
        raise InputError(f"scores of shape (T, K) with T + 1 timestamps, got {scores.shape} and {timestamps.shape}")
    start, end, _, filtered = median_filter_frames(timestamps[:-1], timestamps[1:], np.zeros(scores.shape[0], int),
                                                   scores, lengths)
    return np.append(start, end[-1]), filtered


def median_filter_frames(start: np.ndarray, end: np.ndarray, file: np.ndarray, scores: np.ndarray,
                         lengths: float | Sequence[float], jobs: int = 1):
    """All clips at once, on :func:`sedkit.metrics.psds_scores.read_score_folder`'s arrays (frames of a file
    contiguous and in time order, each file's frames in one block): returns the same four arrays after the
    filter of ``lengths`` seconds (as in :func:`median_filter_scores`), in compiled passes over ``jobs``
    threads (consecutive blocks of clips; the same result for any number)."""
    scores = np.asarray(scores, dtype=np.float64)
    per_class = _check_lengths(lengths, scores.shape[1])
    if start.shape[0] == 0 or (np.ndim(lengths) == 0 and per_class.size and per_class[0] == 0):
        return start, end, file, scores  # as the reference: a single length of 0 leaves the scores as they are
    from sedkit.metrics._kernels import filter_all  # compiled; imported here, not at start-up

    bounds = np.flatnonzero(file[1:] != file[:-1]) + 1
    frame_start = np.concatenate(([0], bounds, [file.shape[0]]))
    n_clips = frame_start.shape[0] - 1
    # each clip's timestamps: its frame starts and its last frame's end
    clip_start = frame_start + np.arange(n_clips + 1)
    timestamps = np.empty(file.shape[0] + n_clips)
    is_last = np.zeros(timestamps.shape[0], bool)
    is_last[clip_start[1:] - 1] = True
    timestamps[~is_last] = start
    timestamps[is_last] = end[frame_start[1:] - 1]
    scores = np.ascontiguousarray(scores)
    per_class = per_class.copy()

    def block(bounds):  # clips lo .. hi - 1
        lo, hi = bounds
        seg_start, seg_end, seg_clip, table = filter_all(
            timestamps[clip_start[lo]:clip_start[hi]], clip_start[lo:hi + 1] - clip_start[lo],
            scores[frame_start[lo]:frame_start[hi]], frame_start[lo:hi + 1] - frame_start[lo], per_class, EPS,
            DECIMALS)
        return seg_start, seg_end, seg_clip + lo, table

    parts = thread_map(block, contiguous_blocks(n_clips, jobs), jobs)
    seg_start, seg_end, seg_clip, table = (np.concatenate(column) for column in zip(*parts))
    return seg_start, seg_end, file[frame_start[:-1]][seg_clip], table
