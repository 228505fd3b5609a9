"""What SED and classification training share around a run: the feature statistics a run normalises with,
and reading its checkpoints back. One function each, used by both tasks.

- :func:`run_statistics`: ``data.stats`` when given — refused when it was computed from features of another
  config than the run's feature folders (the stale-statistics pitfall of a scaler cached across feature
  changes) — else computed from the training folders and saved as ``<exp>/stats.npz``.
- :func:`read_checkpoint`, :func:`network_weights`, :func:`checkpoint_statistics`: a checkpoint file, one of
  its networks' weights, and the statistics the run normalised with (inference must use those, not others).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["feature_config", "run_statistics", "read_checkpoint", "network_weights", "checkpoint_statistics"]


def feature_config(folders: Sequence[str | Path]):
    """The one feature config (``features.yaml``) of ``folders``; folders made with different configs are an
    error."""
    from sedkit.config import config_digest
    from sedkit.features.extract import read_feature_config

    configs = {str(folder): read_feature_config(folder) for folder in folders}
    if len({config_digest(c) for c in configs.values()}) > 1:
        raise InputError(f"feature folders were made with different configs: {', '.join(configs)}")
    return next(iter(configs.values()))


def run_statistics(stats_path: Optional[str], train_folders: Sequence[str | Path], features, exp_dir: Path,
                   filenames: Optional[Sequence[str]] = None):
    """The run's feature statistics (see the module doc); ``filenames`` limits the computed ones to the
    training clips of folders that hold other splits too."""
    from sedkit.features.stats import STATS_FILE, compute_stats, load_stats, save_stats

    if stats_path:
        return load_stats(stats_path, features)
    stats = compute_stats(list(train_folders), progress=False, filenames=filenames)
    exp_dir.mkdir(parents=True, exist_ok=True)
    save_stats(stats, exp_dir / STATS_FILE)
    return stats


def read_checkpoint(path: str | Path) -> dict:
    """A sedkit checkpoint (``config``, ``model``, ``extra``...) read on the CPU, or an :class:`InputError`."""
    import torch

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # a truncated or foreign file
        raise InputError(f"{path}: not a sedkit checkpoint ({exc.__class__.__name__})") from None
    if not isinstance(state, dict) or "config" not in state or "model" not in state:
        raise InputError(f"{path}: not a sedkit checkpoint")
    return state


def network_weights(state: dict, prefix: str, path: str | Path) -> dict:
    """The weights under ``prefix`` (e.g. ``nets.da_teacher.``, ``net.``), prefix removed."""
    weights = {k[len(prefix):]: v for k, v in state["model"].items() if k.startswith(prefix)}
    if not weights:
        parts = prefix.rstrip(".").count(".") + 1
        available = sorted({".".join(k.split(".")[:parts]) for k in state["model"]})
        raise InputError(f"{path}: no network {prefix.rstrip('.')!r}; it has {', '.join(available)}")
    return weights


def checkpoint_statistics(state: dict):
    """The feature statistics the checkpoint's run normalised with."""
    from sedkit.features.stats import FeatureStats

    extra = state.get("extra", {})
    return FeatureStats(np.asarray(extra["stats_mean"]), np.asarray(extra["stats_std"]), 0, 0, "")
