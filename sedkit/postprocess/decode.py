"""Frame scores -> events: threshold (global or per class), per-class median filter, runs -> events.

The one decoder of sedkit: validation during training, ``sedkit infer`` and ``sedkit postprocess`` all build a
:class:`Decoder` and call :meth:`Decoder.events`; frame boundaries of a model's output come from
:func:`frame_timestamps` (frame ``t`` spans ``[t * hop, (t + 1) * hop)`` after the recording's start).

A frame is active when its score is strictly greater than the threshold (as DESED's baseline and
sed_scores_eval's ``scores_to_event_list``). After the median filter, each run of active frames
[first, last] becomes an event from ``timestamps[first]`` to ``timestamps[last + 1]`` (frame onset of the
first, frame offset of the last), i.e. ``first * hop`` to ``(last + 1) * hop`` for regular frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.postprocess.median import median_filter_decisions, window_frames

__all__ = ["PostprocessConfig", "Decoder", "frame_timestamps", "decode_clip", "decisions_to_events",
           "decode_score_folder"]


@dataclass
class PostprocessConfig:
    """Decoding settings.

    Attributes:
        threshold: decision threshold for every class (frames with score > threshold are active).
        median_window_s: fixed median window in seconds for every class (0.45 s ~ the DCASE baseline's 7
            frames of 64 ms); ignored when per-class windows are given.
        adaptive_fraction: window = this fraction of the mean training event duration per class
            (MMT-DA paper: 1/3) when adaptive windows are used.
    """

    threshold: float = 0.5
    median_window_s: float = 0.45
    adaptive_fraction: float = 1 / 3


def frame_timestamps(n_frames: int, frame_hop_s: float, start_s: float = 0.0) -> np.ndarray:
    """The ``n_frames + 1`` boundaries of a model's output frames in seconds: ``start_s + t * frame_hop_s``."""
    return start_s + np.arange(n_frames + 1) * float(frame_hop_s)


@dataclass(frozen=True)
class Decoder:
    """Per-class thresholds and median windows (seconds) of ``classes``, in their order."""

    classes: Tuple[str, ...]
    thresholds: np.ndarray
    windows_s: np.ndarray

    @classmethod
    def from_settings(cls, classes: Sequence[str], thresholds: Dict[str, float] | float,
                      windows_s: Dict[str, float] | float) -> "Decoder":
        """A decoder from one value for every class or a class -> value mapping (each)."""
        return cls(tuple(classes), _per_class(thresholds, classes, "threshold"),
                   _per_class(windows_s, classes, "median window"))

    def events(self, timestamps: np.ndarray, scores: np.ndarray) -> List[Tuple[float, float, str]]:
        """(onset, offset, label) of one clip or recording from its frame scores ``(n_frames, n_classes)``."""
        return decode_clip(timestamps, scores, self.classes, self.thresholds, self.windows_s)


def decisions_to_events(active: np.ndarray, timestamps: np.ndarray, classes: Sequence[str]
                        ) -> List[Tuple[float, float, str]]:
    """Runs of active frames ``(n_frames, n_classes)`` -> (onset, offset, label), sorted by onset."""
    padded = np.zeros((active.shape[0] + 2, active.shape[1]), dtype=np.int8)
    padded[1:-1] = active
    change = np.diff(padded, axis=0)
    events = []
    for c, name in enumerate(classes):
        starts = np.flatnonzero(change[:, c] == 1)
        stops = np.flatnonzero(change[:, c] == -1)
        events += [(float(timestamps[a]), float(timestamps[b]), name) for a, b in zip(starts, stops)]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return events


def decode_clip(timestamps: np.ndarray, scores: np.ndarray, classes: Sequence[str], thresholds: np.ndarray,
                windows_s: np.ndarray) -> List[Tuple[float, float, str]]:
    """Events of one clip from its frame scores, per-class thresholds and median windows (seconds)."""
    hop = (timestamps[-1] - timestamps[0]) / scores.shape[0]
    frames = [window_frames(w, hop) for w in windows_s]
    active = median_filter_decisions(scores > thresholds[None, :], frames)
    return decisions_to_events(active, timestamps, classes)


def decode_score_folder(scores_dir: str | Path, thresholds: Dict[str, float] | float,
                        windows_s: Dict[str, float] | float, audio_ext: str = ".wav",
                        progress: Optional[bool] = None) -> Tuple[List[Tuple[str, float, float, str]], List[str]]:
    """Decode every ``<clip>.tsv`` in ``scores_dir``; returns (event rows, clip filenames).

    Filenames are ``<clip><audio_ext>`` (DCASE tables name audio files; score files drop the extension).
    """
    from tqdm import tqdm

    from sedkit.io import read_scores

    folder = Path(scores_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such score folder")
    paths = sorted(folder.glob("*.tsv"))
    if not paths:
        raise InputError(f"{folder}: no <clip>.tsv score files")
    rows, clips, columns = [], [], None
    decoder = None
    for path in tqdm(paths, desc="decode", unit="clip", disable=None if progress is None else not progress,
                     leave=False):
        timestamps, classes, scores = read_scores(path)
        if columns is None:
            columns = classes
            decoder = Decoder.from_settings(classes, thresholds, windows_s)
        elif classes != columns:
            raise InputError(f"{path}:1: columns differ from {paths[0].name} ({', '.join(columns)})")
        filename = path.stem + audio_ext
        clips.append(filename)
        rows += [(filename, onset, offset, label)
                 for onset, offset, label in decoder.events(timestamps, scores)]
    return rows, clips


def _per_class(values, classes: Sequence[str], what: str) -> np.ndarray:
    if isinstance(values, dict):
        missing = [c for c in classes if c not in values]
        if missing:
            raise InputError(f"no {what} for {', '.join(missing)}")
        return np.array([values[c] for c in classes], dtype=np.float64)
    return np.full(len(classes), float(values))
