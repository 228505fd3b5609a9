"""The Detector: a model package applied to recordings of any length, in bounded memory.

Windowing rule. A recording is scored in windows of the training clip length (``window_s`` of the package,
10 s for DESED-style models) that start every ``hop_s`` (default: half a window), rounded to a whole number of
output frames so that every window's frames fall on one grid: window ``k`` starts at ``k * H * d`` seconds,
``d`` the output frame hop and ``H = round(hop_s / d)``. Each window's audio is read on its own (soundfile,
only its samples), mixed to mono, resampled to the feature rate and zero-padded to the window length (the last
one), exactly as a training clip; windows go through the network in batches of ``batch_size``, and the
overlapping windows of one batch are read and resampled as one stretch of audio, then cut. Overlapping
frame scores are merged by ``merge``:

- ``mean``: each frame's score is the mean over the windows that contain it;
- ``centre``: each frame is taken from the one window whose centre part holds it (the first window also keeps
  its start, the last its end), so no frame is scored near a window edge unless the recording's own edge.

The recording gets ``ceil(duration / d)`` frames, frame ``t`` spanning ``[t d, (t + 1) d)`` seconds of the
recording's own time (:func:`sedkit.postprocess.decode.frame_timestamps`). A recording no longer than one
window is one window: the scores equal those of the whole-clip path of earlier sedkit versions.

Memory: a batch of windows (audio, features, the network's activations) plus the recording's frame scores
(4 bytes x classes per frame): it does not grow with the recording's length beyond the scores.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Literal, Optional, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.inference.package import ModelPackage, read_package
from sedkit.postprocess.decode import Decoder, frame_timestamps

__all__ = ["WindowConfig", "Detector", "Scored"]


@dataclass
class WindowConfig:
    """How recordings longer than a window are scored (module docstring)."""

    hop_s: Optional[float] = None  # None: half the window
    merge: Literal["mean", "centre"] = "mean"
    batch_size: int = 8

    def __post_init__(self):
        if self.hop_s is not None and self.hop_s <= 0:
            raise InputError(f"window hop {self.hop_s}: must be positive")
        if self.merge not in ("mean", "centre"):
            raise InputError(f"merge {self.merge!r}: mean or centre")
        if self.batch_size < 1:
            raise InputError(f"batch size {self.batch_size}: at least 1")


@dataclass
class Scored:
    """Frame scores of one recording: ``timestamps`` (n + 1 boundaries, s), ``scores`` (n, classes), its
    ``duration_s`` and, when asked for, ``features`` (n, mels): the log-mel averaged over each output frame."""

    timestamps: np.ndarray
    scores: np.ndarray
    duration_s: float
    features: Optional[np.ndarray] = None


class _TorchBackend:
    def __init__(self, package: ModelPackage, device: str):
        import torch

        self.torch, self.device = torch, torch.device(device)
        self.network = package.build_network().to(self.device)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self.network(self.torch.from_numpy(x).to(self.device))["frame"].float().cpu().numpy()


class Detector:
    """A trained detector: ``Detector.load(path)`` then :meth:`score_file`, :meth:`scores` and :meth:`events`.

    Example::

        from sedkit.inference import Detector
        detector = Detector.load("exp/bank_seed1/detector.pt")
        scored = detector.score_file("my_recording.wav")          # any length
        for onset, offset, label in detector.events(scored):
            print(f"{onset:.2f}\\t{offset:.2f}\\t{label}")
    """

    def __init__(self, package: ModelPackage, device: str = "cpu", window: Optional[WindowConfig] = None,
                 backend: Optional[Callable[[np.ndarray], np.ndarray]] = None):
        from sedkit.features.logmel import LogMelExtractor

        self.package = package
        self.window = window or WindowConfig()
        self.features = package.feature_config().replace(clip_duration_s=package.window_s)
        self._span = self.features.replace(clip_duration_s=None)  # a batch's stretch of audio, read once
        self.extractor = LogMelExtractor(self.features)
        self._forward = backend or _TorchBackend(package, device)
        self._std = np.maximum(package.stats_std, 1e-8)
        # seconds spent in each step since construction (benchmarks/infer.py reports the shares)
        self.timings: Dict[str, float] = {"read and resample": 0.0, "features": 0.0, "network": 0.0, "merge": 0.0}

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu", window: Optional[WindowConfig] = None) -> "Detector":
        """A model package (``sedkit export``) or its ONNX export (needs onnxruntime: ``pip install sedkit[onnx]``)."""
        if Path(path).suffix.lower() == ".onnx":
            from sedkit.inference.onnx import load_onnx

            package, backend = load_onnx(path)
            return cls(package, device, window, backend)
        return cls(read_package(path), device, window)

    @property
    def classes(self) -> List[str]:
        return list(self.package.classes)

    @property
    def frame_hop_s(self) -> float:
        return self.package.frame_hop_s

    def decoder(self, thresholds: Optional[Dict[str, float] | float] = None,
                median_windows_s: Optional[Dict[str, float] | float] = None) -> Decoder:
        """The package's thresholds and median windows, or these."""
        return Decoder.from_settings(self.classes, self.package.thresholds if thresholds is None else thresholds,
                                     self.package.median_windows_s if median_windows_s is None else median_windows_s)

    def events(self, scored: Scored, thresholds: Optional[Dict[str, float] | float] = None,
               median_windows_s: Optional[Dict[str, float] | float] = None) -> List[Tuple[float, float, str]]:
        """(onset, offset, label) in the recording's time (:mod:`sedkit.postprocess.decode`)."""
        return self.decoder(thresholds, median_windows_s).events(scored.timestamps, scored.scores)

    def scores(self, audio: np.ndarray, sample_rate: int, with_features: bool = False,
               progress: Optional[bool] = False) -> Scored:
        """Frame scores of samples ``(n,)`` or ``(n, channels)`` at ``sample_rate``."""
        from sedkit.features.extract import prepare_audio

        audio = np.asarray(audio)
        if audio.shape[0] == 0:
            raise InputError("audio: no samples")

        def read(start_s: float, duration_s: float) -> np.ndarray:
            first = int(round(start_s * sample_rate))
            return prepare_audio(audio[first:first + int(round(duration_s * sample_rate))], sample_rate,
                                 self._span, "audio")

        return self._score(read, audio.shape[0] / sample_rate, with_features, progress, "audio")

    def score_file(self, path: str | Path, with_features: bool = False, progress: Optional[bool] = False,
                   start_s: float = 0.0, duration_s: Optional[float] = None) -> Scored:
        """Frame scores of an audio file (or its segment), read window by window."""
        from sedkit.features.extract import audio_info, load_audio

        info = audio_info(path)
        total = info.frames / info.samplerate - start_s
        duration = total if duration_s is None else min(duration_s, total)
        if info.frames == 0 or duration <= 0:
            raise InputError(f"{path}: empty audio (0 samples)")
        return self._score(lambda s, d: load_audio(path, self._span, start_s + s, d), duration, with_features,
                           progress, Path(path).name)

    def _starts(self, duration_s: float) -> Tuple[List[int], int]:
        """Window starts in output frames, and the recording's number of output frames."""
        d = self.frame_hop_s
        hop = max(1, int(round((self.window.hop_s or self.package.window_s / 2) / d)))
        total = max(1, math.ceil(duration_s / d - 1e-9))
        count = 1 + max(0, math.ceil((duration_s - self.package.window_s) / (hop * d) - 1e-9))
        return [k * hop for k in range(count)], total

    def _batches(self, read, starts: List[int]) -> Iterator[Tuple[List[int], np.ndarray, np.ndarray]]:
        import time

        import torch

        for first in range(0, len(starts), self.window.batch_size):
            chunk = starts[first:first + self.window.batch_size]
            began = time.perf_counter()
            # The batch's windows overlap: their stretch of audio is read and resampled once, then cut.
            rate = self.features.sample_rate
            hop = int(round(self.frame_hop_s * rate))  # samples per output frame at the feature rate
            width = int(round(self.package.window_s * rate))
            block = read(chunk[0] * self.frame_hop_s, (chunk[-1] - chunk[0]) * self.frame_hop_s + self.package.window_s)
            audio = np.zeros((len(chunk), width), dtype=np.float32)
            for row, start in enumerate(chunk):
                piece = block[(start - chunk[0]) * hop:(start - chunk[0]) * hop + width]
                audio[row, :piece.shape[0]] = piece
            read_at = time.perf_counter()
            with torch.no_grad():
                logmel = self.extractor(torch.from_numpy(audio)).numpy()
            normalised = ((logmel - self.package.stats_mean) / self._std).astype(np.float32)
            features_at = time.perf_counter()
            frames = self._forward(normalised)
            done = time.perf_counter()
            self.timings["read and resample"] += read_at - began
            self.timings["features"] += features_at - read_at
            self.timings["network"] += done - features_at
            yield chunk, logmel, frames

    def _score(self, read, duration_s: float, with_features: bool, progress: Optional[bool], name: str) -> Scored:
        from tqdm import tqdm

        starts, total = self._starts(duration_s)
        n_classes = len(self.classes)
        width = None
        sums = counts = feature_sums = None
        bar = tqdm(total=len(starts), desc=f"infer {name}", unit="window", leave=False,
                   disable=None if progress is None else not progress)
        import time

        for chunk, logmel, frames in self._batches(read, starts):
            began = time.perf_counter()
            if sums is None:
                width = frames.shape[1]
                hop = starts[1] - starts[0] if len(starts) > 1 else width
                if hop > width:
                    raise InputError(f"window hop {hop} frames is longer than a window ({width} frames)")
                size = starts[-1] + width
                sums, counts = np.zeros((size, n_classes)), np.zeros(size)
                feature_sums = np.zeros((size, logmel.shape[2])) if with_features else None
            pool = logmel.shape[1] // width
            for start, probs, mel in zip(chunk, frames, logmel):
                low, high = self._kept(start, starts, width)
                sums[start + low:start + high] += probs[low:high]
                counts[start + low:start + high] += 1
                if feature_sums is not None:
                    pooled = mel[:pool * width].reshape(width, pool, -1).mean(axis=1)
                    feature_sums[start + low:start + high] += pooled[low:high]
            self.timings["merge"] += time.perf_counter() - began
            bar.update(len(chunk))
        bar.close()
        counts = np.maximum(counts[:total], 1)[:, None]
        features = None if feature_sums is None else (feature_sums[:total] / counts).astype(np.float32)
        return Scored(frame_timestamps(total, self.frame_hop_s), (sums[:total] / counts).astype(np.float32),
                      float(duration_s), features)

    def _kept(self, start: int, starts: List[int], width: int) -> Tuple[int, int]:
        """Frames [low, high) of the window at ``start`` that count (all for ``mean``; the centre part)."""
        if self.window.merge == "mean" or len(starts) == 1:
            return 0, width
        hop = starts[1] - starts[0]
        margin = (width - hop) // 2
        low = 0 if start == starts[0] else margin
        high = width if start == starts[-1] else margin + hop
        return low, high
