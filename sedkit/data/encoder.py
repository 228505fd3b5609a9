"""Seconds <-> model frames: the one place that knows the pooled frame hop.

With log-mel hop ``h`` samples at rate ``sr`` and a network that pools time by ``p``, output frame ``t``
covers ``[t * d, (t + 1) * d)`` seconds with ``d = p * h / sr`` (paper defaults: 4 * 431 / 22050 =
0.0782 s, 128 frames for 10 s). A strong label [onset, offset) makes frame t active iff the two
intervals overlap: ``t * d < offset`` and ``(t + 1) * d > onset``.
"""
from __future__ import annotations

from typing import Iterable, Sequence, Tuple  # frame boundaries: sedkit.postprocess.decode.frame_timestamps

import numpy as np

__all__ = ["LabelEncoder"]


class LabelEncoder:
    def __init__(self, classes: Sequence[str], frame_hop_s: float):
        self.classes = list(classes)
        self.index = {c: i for i, c in enumerate(self.classes)}
        self.frame_hop_s = float(frame_hop_s)

    def strong(self, events: Iterable[Tuple[float, float, str]], n_frames: int) -> np.ndarray:
        """(n_frames, n_classes) float32 0/1 targets from (onset, offset, label) events."""
        target = np.zeros((n_frames, len(self.classes)), dtype=np.float32)
        d = self.frame_hop_s
        for onset, offset, label in events:
            first = max(0, int(np.floor(onset / d)))
            stop = min(n_frames, int(np.ceil(offset / d)))
            if stop > first:
                target[first:stop, self.index[label]] = 1.0
        return target

    def weak(self, labels: Iterable[str]) -> np.ndarray:
        target = np.zeros(len(self.classes), dtype=np.float32)
        for label in labels:
            target[self.index[label]] = 1.0
        return target
