"""sedkit's compiled loops (numba, a librosa dependency; cached on disk after the first compilation): the
median filter sweep of :mod:`sedkit.metrics.medfilt` and the nearest-smaller search of
:mod:`sedkit.metrics.psds_scores`. Imported only where they run, so that ``sedkit`` starts without numba."""
import numba
import numpy as np

from sedkit.compiled import merge_sorted, round_to



@numba.njit(cache=True, nogil=True)
def find(values, n, value):
    """Leftmost index of ``values[:n]`` (sorted, distinct) that is >= value."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def sweep(edges, scores, breaks, length, eps, out_t, out_v, out_k, count, k):
    """One class of one clip: append its change points (time, value, class k) from ``count`` on.
    ``edges``: (n + 3) frame boundaries with -inf / +inf at both ends; ``scores``: (n + 2) with -inf at
    both ends; ``breaks``: the sorted breakpoints. Returns the new count, or -1 when the output arrays are
    full (the caller grows them and calls again)."""
    half = length / 2.0
    values = np.empty(scores.shape[0])  # the window's distinct values, sorted, and their covered time
    cover = np.empty(scores.shape[0])
    n_values = 1
    values[0] = -np.inf
    cover[0] = length
    first, stop = 0, 1  # the window spans segments first .. stop - 1
    median, low, up = -np.inf, 0.0, length
    for i in range(1, breaks.shape[0]):
        t = breaks[i]
        dt = t - breaks[i - 1]
        if dt < eps:
            continue
        if edges[first + 1] < t - half - eps:  # the left edge moved on: drop a value no longer covered
            at = find(values, n_values, scores[first])
            if cover[at] < eps:
                n_values -= 1
                for j in range(at, n_values):
                    values[j] = values[j + 1]
                    cover[j] = cover[j + 1]
            first += 1
        at = find(values, n_values, scores[first])
        cover[at] -= dt
        if edges[stop] < t + half - eps:  # the right edge entered the next segment
            stop += 1
            value = scores[stop - 1]
            at = find(values, n_values, value)
            if at == n_values or values[at] != value:
                for j in range(n_values, at, -1):
                    values[j] = values[j - 1]
                    cover[j] = cover[j - 1]
                values[at] = value
                cover[at] = 0.0
                n_values += 1
        else:
            at = find(values, n_values, scores[stop - 1])
        cover[at] += dt
        if stop == first + 1:  # the window inside one segment: nothing moves
            continue
        leaving, entering = scores[first], scores[stop - 1]
        if leaving < median:
            low -= dt
            up -= dt
        elif leaving == median:
            up -= dt
        if entering < median:
            low += dt
            up += dt
        elif entering == median:
            up += dt
        if up < half - eps:  # the middle left the median's part upwards
            total, j = 0.0, 0
            while total < half - eps:
                before = total
                total += cover[j]
                if total > up + eps:
                    if values[j] > median:
                        if count == out_t.shape[0]:
                            return -1
                        out_t[count], out_v[count], out_k[count] = t - (half - before), values[j], k
                        count += 1
                    if total >= half - eps:
                        median, up, low = values[j], total, before
                j += 1
        if low >= half - eps:  # ... downwards (the bar read from the top)
            total, j = 0.0, n_values - 1
            while total <= half - eps:
                before = total
                total += cover[j]
                if total > length - up + eps:
                    if values[j] < median:
                        if count == out_t.shape[0]:
                            return -1
                        out_t[count], out_v[count], out_k[count] = t - (half - before), values[j], k
                        count += 1
                    if total >= half - eps:
                        median, up, low = values[j], length - before, length - total
                j -= 1
    return count


@numba.njit(cache=True, nogil=True)
def filter_clip(timestamps, scores, lengths, eps, decimals):
    """One clip (timestamps (n + 1,), scores (n, K)) -> (segment starts, ends, rows): the change points of
    every class (times rounded), stably sorted, and one row per pair of consecutive change times holding
    each class's value from its last change at or before the start (-inf before its first)."""
    n, n_classes = scores.shape
    edges = np.empty(n + 3)
    edges[0], edges[n + 2] = -np.inf, np.inf
    edges[1:n + 2] = timestamps
    column = np.empty(n + 2)
    column[0], column[n + 1] = -np.inf, -np.inf
    capacity = 4 * (n + 2) * n_classes + 16
    while True:
        out_t, out_v = np.empty(capacity), np.empty(capacity)
        out_k = np.empty(capacity, dtype=np.int64)
        count = 0
        for c in range(n_classes):
            column[1:n + 1] = scores[:, c]
            first = count
            if lengths[c] == 0.0:  # unfiltered: its own change points
                if count + n + 1 > capacity:
                    count = -1
                    break
                for i in range(n + 1):
                    out_t[count], out_v[count] = edges[i + 1], column[i + 1]
                    count += 1
            else:
                half = lengths[c] / 2.0  # the sorted breakpoints t_i -+ L/2, rounded
                breaks = merge_sorted(round_to(timestamps - half, decimals + 2),
                                      round_to(timestamps + half, decimals + 2))
                count = sweep(edges, column, breaks, lengths[c], eps, out_t, out_v, out_k, count, c)
                if count < 0:
                    break
            out_k[first:count] = c
        if count >= 0:
            break
        capacity *= 2  # more change points than room: grow and redo the clip
    times = round_to(out_t[:count], decimals)
    order = np.argsort(times, kind="mergesort")  # stable: a class's later change at the same time wins
    starts = np.empty(count)
    rows = np.empty((count, n_classes))
    state = np.full(n_classes, -np.inf)
    m, current = 0, -np.inf
    for i in order:
        if times[i] > current + eps:
            starts[m] = times[i]
            rows[m] = state  # the values since the previous change time (the first row: all -inf)
            m += 1
            current = times[i]
        state[out_k[i]] = out_v[i]
    return starts[:m], rows[1:m]


@numba.njit(cache=True, nogil=True)
def filter_all(timestamps, clip_start, scores, frame_start, lengths, eps, decimals):
    """Every clip: clip f has timestamps[clip_start[f]:clip_start[f + 1]] and frames from frame_start[f].
    Returns (segment start, end, clip, rows) concatenated; a clip without any change keeps one -inf
    segment over its own span (unrounded), as the reference."""
    n_clips = clip_start.shape[0] - 1
    results = []
    total = 0
    for f in range(n_clips):
        n = clip_start[f + 1] - clip_start[f] - 1
        starts, rows = filter_clip(timestamps[clip_start[f]:clip_start[f + 1]],
                                   scores[frame_start[f]:frame_start[f] + n], lengths, eps, decimals)
        results.append((starts, rows))
        total += max(rows.shape[0], 1)
    seg_start, seg_end = np.empty(total), np.empty(total)
    seg_clip = np.empty(total, dtype=np.int64)
    table = np.empty((total, scores.shape[1]))
    m = 0
    for f in range(n_clips):
        starts, rows = results[f]
        if rows.shape[0] == 0:
            seg_start[m], seg_end[m] = timestamps[clip_start[f]], timestamps[clip_start[f + 1] - 1]
            seg_clip[m] = f
            table[m] = -np.inf
            m += 1
            continue
        for j in range(rows.shape[0]):
            seg_start[m], seg_end[m] = round_to(starts[j] + eps, decimals), round_to(starts[j + 1] + eps, decimals)
            seg_clip[m] = f
            table[m] = rows[j]
            m += 1
    return seg_start, seg_end, seg_clip, table


@numba.njit(cache=True, nogil=True)
def nearest_smaller(values, step, barrier, or_equal):
    """Index of the nearest strictly smaller (``or_equal``: smaller or equal) value in direction ``step`` (-1:
    to the left, +1: to the right) within each series, -1 where none; ``barrier`` marks each series' first
    (step -1) or last (step +1) frame. One pass with a stack of candidates (each index pushed and popped once)."""
    n = values.shape[0]
    pointer = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for m in range(n):
        i = m if step < 0 else n - 1 - m
        if barrier[i]:
            top = 0
        v = values[i]
        if or_equal:
            while top > 0 and values[stack[top - 1]] > v:
                top -= 1
        else:
            while top > 0 and values[stack[top - 1]] >= v:
                top -= 1
        pointer[i] = stack[top - 1] if top > 0 else -1
        stack[top] = i
        top += 1
    return pointer
