"""Median filters with windows given in seconds, fixed or adaptive per class.

The MMT-DA paper (Sec. 4.3) smooths each class's binary decisions with a median filter whose window is
one third of the mean duration of that class's events ("adaptive"). Windows live in configs and files in
seconds; they become frame counts only here, by one rule (:func:`window_frames`).
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["window_frames", "median_filter_decisions", "adaptive_windows", "write_windows", "read_class_values"]


def window_frames(window_s: float, frame_hop_s: float) -> int:
    """Odd number of frames nearest to ``window_s / frame_hop_s`` (halves round up), at least 1.

    Examples at the paper's pooled hop of 0.0782 s: 0.45 s -> 5.76 -> 5 frames; 0.1 s -> 1 frame;
    an exact even ratio such as 6.0 rounds up to 7. The ratio is rounded to 9 decimals first, so that
    decimal seconds behave as written (0.6 s / 0.1 s is 6, not 5.999999999999999).
    """
    if window_s < 0 or not frame_hop_s > 0:
        raise InputError(f"median window must be >= 0 s and the frame hop > 0 s (got {window_s}, {frame_hop_s})")
    ratio = round(window_s / frame_hop_s, 9)  # 0.6 / 0.1 is 5.999999999999999 in floating point
    return max(1, 2 * int(math.floor((ratio - 1) / 2 + 0.5)) + 1)


def median_filter_decisions(decisions: np.ndarray, frames: Sequence[int]) -> np.ndarray:
    """Per-class median filter of binary decisions ``(n_frames, n_classes)`` with ``frames[c]`` taps.

    Uses :func:`scipy.ndimage.median_filter` along time (mode ``reflect``, as the DCASE baselines do);
    a window of 1 leaves the class unchanged.
    """
    from scipy.ndimage import median_filter

    decisions = np.asarray(decisions, dtype=np.uint8)
    out = decisions.copy()
    for c, size in enumerate(frames):
        if size > 1:
            out[:, c] = median_filter(decisions[:, c], size=int(size), mode="reflect")
    return out.astype(bool)


def adaptive_windows(strong_labels, classes: Sequence[str], fraction: float = 1 / 3,
                     fallback_s: float | None = None) -> Dict[str, float]:
    """Per-class window in seconds: ``fraction`` x mean event duration of the class in ``strong_labels``.

    ``strong_labels`` is an :class:`~sedkit.io.EventTable` of *training* labels (never the evaluated set).
    A class without events there gets ``fallback_s`` with a warning, or is an error when none is given.
    """
    durations = strong_labels.offset - strong_labels.onset
    windows = {}
    for name in classes:
        mask = np.array([label == name for label in strong_labels.label], dtype=bool)
        if mask.any():
            windows[name] = float(fraction * durations[mask].mean())
        elif fallback_s is not None:
            warnings.warn(f"{strong_labels.path}: no {name} events; median window {fallback_s} s")
            windows[name] = float(fallback_s)
        else:
            raise InputError(f"{strong_labels.path}: no {name} events to derive its median window from")
    return windows


def write_windows(path: str | Path, windows: Dict[str, float], comment: str) -> None:
    """Write ``class: seconds`` as YAML with a comment line saying where the values come from."""
    from sedkit.io import atomic_write

    with atomic_write(path) as handle:
        handle.write(f"# {comment}\n")
        for name, seconds in windows.items():
            handle.write(f"{name}: {seconds:.6f}\n")


def read_class_mapping(path: str | Path, classes: Sequence[str], what: str) -> dict:
    """A YAML mapping with exactly the ``classes`` as keys (any values), each missing or unknown class an
    InputError naming the file: what per-class post-processing files (thresholds, windows, SEBB parameters)
    share."""
    from sedkit.config import load_yaml

    data = load_yaml(path)
    unknown = [k for k in data if k not in classes]
    if unknown:
        raise InputError(f"{path}: {unknown[0]!r} is not a class of the scores ({', '.join(classes)})")
    missing = [c for c in classes if c not in data]
    if missing:
        raise InputError(f"{path}: no {what} for {', '.join(missing)}")
    return data


def read_class_values(path: str | Path, classes: Sequence[str], what: str) -> Dict[str, float]:
    """Read a ``class: number`` YAML mapping (thresholds or windows); every class must be there."""
    data = read_class_mapping(path, classes, what)
    values = {}
    for name in classes:
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{path}: {what} of {name} must be a number, got {value!r}")
        values[name] = float(value)
    return values
