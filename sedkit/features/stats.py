"""Per-mel-bin normalisation statistics of a feature folder.

``stats.npz`` lies beside the features it was computed from (never in the working directory) and
records the digest of their feature config, so statistics of other features are refused instead of
silently used (a stale scaler cache is a classic DCASE baseline pitfall).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from sedkit.config import config_digest
from sedkit.errors import InputError
from sedkit.io import atomic_write

__all__ = ["FeatureStats", "compute_stats", "save_stats", "load_stats", "STATS_FILE"]

STATS_FILE = "stats.npz"


@dataclass
class FeatureStats:
    """Mean and standard deviation per mel bin over all frames of the clips, and how many frames."""

    mean: np.ndarray  # (n_mels,) float64
    std: np.ndarray  # (n_mels,) float64
    n_frames: int
    n_clips: int
    config_digest: str

    def normalise(self, features: np.ndarray, eps: float = 1e-8) -> np.ndarray:
        """(features - mean) / max(std, eps), float32."""
        return ((features - self.mean) / np.maximum(self.std, eps)).astype(np.float32)


def compute_stats(feature_dirs: Sequence[str | Path], progress: bool | None = None,
                  filenames: Optional[Sequence[str]] = None) -> FeatureStats:
    """Mean/std per mel bin over every clip listed in the ``feats.tsv`` of each folder (only ``filenames``
    when given: e.g. the training clips of a folder that holds every split).

    All folders must share one feature config. Sums are accumulated in float64 (exact enough for
    log-mel values over millions of frames).
    """
    from tqdm import tqdm

    from sedkit.features.extract import read_feature_config, read_feature_table

    digests = {}
    files = []
    for folder in map(Path, feature_dirs):
        digests[str(folder)] = config_digest(read_feature_config(folder))
        rows = read_feature_table(folder)
        if filenames is not None:
            wanted = set(filenames)
            rows = [row for row in rows if row["filename"] in wanted]
        files += [folder / row["path"] for row in rows]
    if len(set(digests.values())) > 1:
        raise InputError("feature folders were made with different configs: " + ", ".join(digests))
    if not files:
        raise InputError(f"{', '.join(map(str, feature_dirs))}: feats.tsv lists no clips")
    total = total_sq = None
    count = 0
    for path in tqdm(files, desc="stats", unit="clip", disable=None if progress is None else not progress,
                     leave=False):
        try:
            features = np.load(path, mmap_mode="r").astype(np.float64)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read features: {exc}") from None
        if total is None:
            total = np.zeros(features.shape[1])
            total_sq = np.zeros(features.shape[1])
        elif features.shape[1] != total.shape[0]:
            raise InputError(f"{path}: {features.shape[1]} mel bins, expected {total.shape[0]}")
        total += features.sum(axis=0)
        total_sq += np.square(features).sum(axis=0)
        count += features.shape[0]
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0.0))
    return FeatureStats(mean, std, count, len(files), next(iter(digests.values())))


def save_stats(stats: FeatureStats, path: str | Path) -> None:
    with atomic_write(path, "wb") as handle:
        np.savez(handle, mean=stats.mean, std=stats.std, n_frames=stats.n_frames, n_clips=stats.n_clips,
                 config_digest=stats.config_digest)


def load_stats(path: str | Path, expected_config=None) -> FeatureStats:
    """Read ``stats.npz``; when ``expected_config`` is given, refuse stats of another feature config."""
    try:
        with np.load(path) as data:
            stats = FeatureStats(data["mean"], data["std"], int(data["n_frames"]), int(data["n_clips"]),
                                 str(data["config_digest"]))
    except FileNotFoundError:
        raise InputError(f"{path}: no such stats file (run `sedkit features stats`)") from None
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: not a sedkit stats file: {exc}") from None
    if expected_config is not None and config_digest(expected_config) != stats.config_digest:
        raise InputError(f"{path}: statistics were computed from features with another config; "
                         "recompute them with `sedkit features stats`")
    return stats
