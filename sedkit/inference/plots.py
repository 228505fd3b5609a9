"""A picture of one scored recording: log-mel spectrogram, per-class score curves, detected events.

Three panels on one time axis: the log-mel (each output frame's mean over its input frames), the score of each
class with its threshold, and the events as a piano roll (one row per class; optional reference events drawn
thin above them). Long recordings are downsampled to at most ``max_columns`` columns (scores: the maximum over
the merged frames, so a short detection stays visible; log-mel: the mean); the axis is in minutes past 5 min.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

__all__ = ["plot_detection"]


def _pool(values: np.ndarray, factor: int, how: str) -> np.ndarray:
    if factor <= 1:
        return values
    usable = values.shape[0] // factor * factor
    blocks = values[:usable].reshape(usable // factor, factor, -1)
    pooled = blocks.max(axis=1) if how == "max" else blocks.mean(axis=1)
    if usable < values.shape[0]:
        rest = values[usable:]
        pooled = np.concatenate([pooled, (rest.max(axis=0) if how == "max" else rest.mean(axis=0))[None]])
    return pooled


def plot_detection(path: str | Path, scored, classes: Sequence[str], events: Sequence[Tuple[float, float, str]],
                   thresholds: Dict[str, float], title: str = "", max_columns: int = 2000,
                   reference: Optional[Sequence[Tuple[float, float, str]]] = None) -> None:
    """Write the PNG of a :class:`~sedkit.inference.detector.Scored` recording and its events."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sedkit.io import atomic_write

    n = scored.scores.shape[0]
    factor = max(1, int(np.ceil(n / max_columns)))
    scores = _pool(scored.scores, factor, "max")
    hop = (scored.timestamps[-1] - scored.timestamps[0]) / max(n, 1)
    unit, scale = ("min", 60.0) if scored.duration_s > 300 else ("s", 1.0)
    extent_end = scored.timestamps[-1] / scale
    panels = 3 if scored.features is not None else 2
    heights = [2.2, 2.0, 0.28 * len(classes) + 0.6][-panels:]
    fig, axes = plt.subplots(panels, 1, figsize=(14, sum(heights) + 1.0), sharex=True,
                             gridspec_kw={"height_ratios": heights})
    axes = list(np.atleast_1d(axes))
    if scored.features is not None:
        mel = _pool(scored.features, factor, "mean")
        axes[0].imshow(mel.T, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
                       extent=(scored.timestamps[0] / scale, extent_end, 0, mel.shape[1]))
        axes[0].set_ylabel("mel band")
        axes.pop(0).set_title(title or "detection")
    else:
        axes[0].set_title(title or "detection")
    curves, roll = axes
    centres = (scored.timestamps[0] + (np.arange(scores.shape[0]) + 0.5) * hop * factor) / scale
    colours = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for index, name in enumerate(classes):
        curves.plot(centres, scores[:, index], lw=0.9, color=colours(index % colours.N), label=name)
    for value in sorted(set(thresholds.values())):
        curves.axhline(value, color="grey", lw=0.6, ls="--")
    curves.set_ylim(0, 1.02)
    curves.set_ylabel("score")
    curves.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    row = {name: i for i, name in enumerate(classes)}
    for onset, offset, label in events:
        roll.broken_barh([(onset / scale, (offset - onset) / scale)], (row[label] - 0.35, 0.55),
                         color=colours(row[label] % colours.N))
    for onset, offset, label in reference or ():
        if label in row:
            roll.broken_barh([(onset / scale, (offset - onset) / scale)], (row[label] + 0.25, 0.12), color="black")
    roll.set_yticks(range(len(classes)))
    roll.set_yticklabels(classes, fontsize=8)
    roll.set_ylim(-0.6, len(classes) - 0.4)
    roll.invert_yaxis()
    roll.set_xlim(scored.timestamps[0] / scale, extent_end)
    roll.set_xlabel(f"time ({unit})" + (f"; {factor} frames a column" if factor > 1 else ""))
    roll.set_ylabel("events" + (" (black: reference)" if reference else ""))
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=90)
    plt.close(fig)
