"""The compiled loops of :mod:`sedkit.postprocess.sebbs` (numba, a librosa dependency; cached on disk after the
first compilation). Imported only when SEBBs are computed, so that ``sedkit`` starts without numba."""
import numba
import numpy as np

from sedkit.compiled import merge_sorted, round_to


@numba.njit(cache=True, nogil=True)
def change_points(timestamps, scores, length, eps, decimals):
    """One class of one clip (timestamps (n + 1,) from 0, scores (n,)): the step filter's candidate segments.

    The filter output at time c is delta(c) = (mean score over [c, c + L/2]) - (mean over [c - L/2, c]), the
    clip padded with 0; it is piecewise linear between breakpoints (c, or c -+ L/2, on a frame boundary), so
    its local extrema lie on breakpoints, which are visited in order. A local maximum of delta opens an event
    candidate (onset), the next local minimum closes it (offset). Returns (bounds: 0, onset_1, offset_1, ...,
    clip end; and per segment between consecutive bounds the summed score x time, min and max score)."""
    n = scores.shape[0]
    half = length / 2.0
    edges = np.empty(n + 3)
    edges[0], edges[n + 2] = -np.inf, np.inf
    edges[1:n + 2] = timestamps
    padded = np.zeros(n + 2)
    padded[1:n + 1] = scores
    # breakpoints: frame boundaries under the filter's centre, left end or right end (rounded, sorted)
    breaks = merge_sorted(merge_sorted(round_to(timestamps - half, decimals + 2), round_to(timestamps, decimals + 2)),
                          round_to(timestamps + half, decimals + 2))
    capacity = breaks.shape[0] + 3
    cuts = np.empty(capacity)  # onset, offset, onset, ... times
    total = np.zeros(capacity)
    low = np.full(capacity, np.inf)
    high = np.zeros(capacity)
    n_cuts = 0
    first, centre, last = 0, 1, 1
    centre_time, left, right = 0.0, 0.0, 0.0
    while edges[last + 1] <= half:
        right += padded[last] * (edges[last + 1] - edges[last])
        last += 1
    right += padded[last] * (half - edges[last])
    d1 = 2 * (right - left) / length  # the latest delta; d2, d3 the two before
    d2 = d3 = 0.0
    n_deltas = 1
    for i in range(breaks.shape[0]):
        t = breaks[i]
        dt = t - breaks[i - 1]  # i = 0: against the last breakpoint, negative: skipped
        if t < eps or dt < eps or t > edges[n + 1]:
            continue
        left -= dt * padded[first]
        left += dt * padded[centre]
        right -= dt * padded[centre]
        right += dt * padded[last]
        centre_time += dt
        d3, d2, d1 = d2, d1, 2 * (right - left) / length
        n_deltas += 1
        opened = n_cuts % 2 == 1
        if not opened and d1 <= d2 and (n_deltas == 2 or d2 > d3):  # the previous delta: a local maximum
            cuts[n_cuts] = breaks[i - 1]
            n_cuts += 1
        elif opened and d1 > d2 and d2 <= d3:  # a local minimum
            cuts[n_cuts] = breaks[i - 1]
            n_cuts += 1
        s = padded[centre]
        total[n_cuts] += dt * s
        low[n_cuts] = min(low[n_cuts], s)
        high[n_cuts] = max(high[n_cuts], s)
        if edges[centre + 1] - centre_time < eps:
            centre += 1
        if edges[first + 1] - (centre_time - half) < eps:
            first += 1
        if edges[last + 1] - (centre_time + half) < eps:
            last += 1
    if n_cuts % 2 == 1:  # an event still open at the end of the clip
        cuts[n_cuts] = edges[n + 1]
        n_cuts += 1
        low[n_cuts] = 0.0
    bounds = np.empty(n_cuts + 2)
    bounds[0], bounds[n_cuts + 1] = 0.0, timestamps[n]
    bounds[1:n_cuts + 1] = cuts[:n_cuts]
    low = low[:n_cuts + 1].copy()
    for j in range(n_cuts + 1):
        if low[j] == np.inf:
            low[j] = 0.0
    low[0] = low[n_cuts] = 0.0
    return bounds, total[:n_cuts + 1].copy(), low, high[:n_cuts + 1].copy()


@numba.njit(cache=True, nogil=True)
def merge(bounds, total, low, high, merge_abs, merge_rel, eps):
    """Candidate segments -> SEBBs (onsets, offsets, confidences): two candidates are merged across the gap
    between them when both their maxima exceed the gap's minimum by less than ``merge_abs`` and by a factor
    less than ``merge_rel`` (scores + 1e-3); a SEBB's confidence is its mean score."""
    m = bounds.shape[0] - 1  # segments
    length = np.maximum(bounds[1:] - bounds[:-1], eps)
    mean = total / length
    if bounds.shape[0] < 6:  # at most one candidate: nothing to merge
        k = (m - 1) // 2
        onsets, offsets, confidence = np.empty(k), np.empty(k), np.empty(k)
        for e in range(k):
            onsets[e], offsets[e], confidence[e] = bounds[1 + 2 * e], bounds[2 + 2 * e], mean[1 + 2 * e]
        return onsets, offsets, confidence
    n_events = (m - 1) // 2
    keep = np.empty(2 * n_events + 2, dtype=np.int64)  # the bounds kept
    keep[0], keep[1] = 0, 1
    n_keep = 2
    for g in range(n_events - 1):  # the gap after event g
        event_a, event_b = high[1 + 2 * g] + 1e-3, high[3 + 2 * g] + 1e-3
        gap = low[2 + 2 * g] + 1e-3
        if not (event_a / gap < merge_rel and event_b / gap < merge_rel and event_a - gap < merge_abs
                and event_b - gap < merge_abs):
            keep[n_keep], keep[n_keep + 1] = 2 + 2 * g, 3 + 2 * g
            n_keep += 2
    keep[n_keep], keep[n_keep + 1] = bounds.shape[0] - 2, bounds.shape[0] - 1
    n_keep += 2
    seglen = bounds[1:] - bounds[:-1]
    k = (n_keep - 2) // 2
    onsets, offsets, confidence = np.empty(k), np.empty(k), np.empty(k)
    for e in range(k):
        lo, hi = keep[1 + 2 * e], keep[2 + 2 * e]  # the event's segments lo .. hi - 1
        weight, covered = 0.0, 0.0
        for j in range(lo, hi):
            weight += seglen[j] * mean[j]
            covered += seglen[j]
        onsets[e], offsets[e] = bounds[lo], bounds[hi]
        confidence[e] = 0.0 if covered == 0.0 else weight / (covered + 1e-6)
    return onsets, offsets, confidence


@numba.njit(cache=True, nogil=True)
def sebbs_all(timestamps, clip_start, scores, frame_start, lengths, merge_abs, merge_rel, eps, decimals):
    """Every clip and class, for each of S merge settings (``merge_abs``, ``merge_rel``: (S, classes)) with one
    step filter length per class: the change detection runs once per clip and class, the merging once per
    setting. Returns SEBBs as (onset, offset, confidence, class, clip), setting by setting, within a setting
    clip by clip and class by class, and ``setting_start`` (S + 1,): setting s holds rows setting_start[s] ..
    setting_start[s + 1] - 1. Clip f has timestamps[clip_start[f]:clip_start[f + 1]] and frames from
    frame_start[f]."""
    n_clips = clip_start.shape[0] - 1
    n_settings = merge_abs.shape[0]
    parts = []
    counts = np.zeros(n_settings, dtype=np.int64)
    for f in range(n_clips):
        stamps = timestamps[clip_start[f]:clip_start[f + 1]]
        n = stamps.shape[0] - 1
        for c in range(scores.shape[1]):
            column = np.ascontiguousarray(scores[frame_start[f]:frame_start[f] + n, c])
            bounds, summed, low, high = change_points(stamps, column, lengths[c], eps, decimals)
            for s in range(n_settings):
                onsets, offsets, confidence = merge(bounds, summed, low, high, merge_abs[s, c], merge_rel[s, c], eps)
                parts.append((onsets, offsets, confidence, c, f, s))
                counts[s] += onsets.shape[0]
    setting_start = np.zeros(n_settings + 1, dtype=np.int64)
    setting_start[1:] = np.cumsum(counts)
    total = setting_start[n_settings]
    onset, offset, confidence = np.empty(total), np.empty(total), np.empty(total)
    label, clip = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    at = setting_start[:n_settings].copy()  # the next free row of each setting
    for onsets, offsets, conf, c, f, s in parts:
        k = onsets.shape[0]
        i = at[s]
        onset[i:i + k], offset[i:i + k], confidence[i:i + k] = onsets, offsets, conf
        label[i:i + k], clip[i:i + k] = c, f
        at[s] += k
    return onset, offset, confidence, label, clip, setting_start
