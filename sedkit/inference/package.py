"""The model package: one file holding exactly what inference needs, loaded without running any code.

A package (``sedkit export``, or stage 5 of the SED recipes) holds one network and nothing of its training:

| key | what |
|---|---|
| ``format`` / ``version`` | ``"sedkit-detector"`` and :data:`FORMAT_VERSION` (a reader refuses other versions) |
| ``weights`` | the network's state dict (tensors only) |
| ``stats_mean`` / ``stats_std`` | the per-mel normalisation the network was trained with (tensors) |
| ``metadata`` | a JSON string: ``model_name`` and ``model`` (the registry name and its typed config), ``features``
  (the LogMelConfig), ``classes``, ``frame_hop_s`` (output frame hop), ``window_s`` (the training clip length),
  ``thresholds`` and ``median_windows_s`` (per class), ``provenance`` (system, network, step, epoch, selection
  set and score, corpus, sedkit version, source checkpoint) |

The file is written with :func:`torch.save` and read with ``torch.load(weights_only=True)``: only tensors,
strings and numbers are unpickled, never code (a crafted file fails to load instead of running). Anything
else — another format or version, a truncated or corrupt file, missing keys, weights that do not fit the model
config — is an :class:`~sedkit.errors.InputError` naming the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from sedkit.errors import InputError

__all__ = ["ModelPackage", "FORMAT", "FORMAT_VERSION", "read_package", "write_package"]

FORMAT = "sedkit-detector"
FORMAT_VERSION = 1
_METADATA_KEYS = ("model_name", "model", "features", "classes", "frame_hop_s", "window_s", "thresholds",
                  "median_windows_s", "provenance")


@dataclass
class ModelPackage:
    """Everything a :class:`~sedkit.inference.detector.Detector` needs (see the module docstring)."""

    model_name: str
    model: Dict[str, Any]
    features: Dict[str, Any]
    classes: List[str]
    frame_hop_s: float
    window_s: float
    thresholds: Dict[str, float]
    median_windows_s: Dict[str, float]
    stats_mean: np.ndarray
    stats_std: np.ndarray
    weights: Dict[str, Any] = field(repr=False)
    provenance: Dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> Dict[str, Any]:
        return {key: getattr(self, key) for key in _METADATA_KEYS}

    def feature_config(self):
        from sedkit.config import from_dict
        from sedkit.features.logmel import LogMelConfig

        return from_dict(LogMelConfig, self.features, "features")

    def build_network(self):
        """The network in eval mode with the package's weights (an InputError if they do not fit)."""
        from sedkit.config import from_dict
        from sedkit.models.registry import get

        model_class, config_class = get(self.model_name)
        network = model_class(from_dict(config_class, self.model, "model"))
        try:
            network.load_state_dict(self.weights)
        except RuntimeError as exc:
            raise InputError(f"model package: weights do not fit the {self.model_name} config "
                             f"({str(exc).splitlines()[0]})") from None
        return network.eval()


def write_package(package: ModelPackage, path: str | Path) -> Path:
    """Write ``package`` to ``path`` atomically; returns the path."""
    import torch

    from sedkit.io import atomic_write

    path = Path(path)
    document = {"format": FORMAT, "version": FORMAT_VERSION, "metadata": json.dumps(package.metadata(), sort_keys=True),
                "weights": {k: v.detach().cpu().contiguous() for k, v in package.weights.items()},
                "stats_mean": torch.as_tensor(np.asarray(package.stats_mean, dtype=np.float64)),
                "stats_std": torch.as_tensor(np.asarray(package.stats_std, dtype=np.float64))}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        torch.save(document, handle)
    return path


def read_package(path: str | Path) -> ModelPackage:
    """Read a package safely (``weights_only``); every problem is one InputError naming the file."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such model package")
    import pickle

    try:
        document = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # objects other than tensors, numbers and strings: never unpickled
        raise InputError(f"{path}: not a sedkit model package: it holds objects that cannot be read safely "
                         "(a training checkpoint? make a package with sedkit export)") from None
    except Exception as exc:  # truncated or corrupt
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise InputError(f"{path}: not a sedkit model package (unreadable: {reason[:100]})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"{path}: not a sedkit model package (a training checkpoint? make one with sedkit export)")
    if document.get("version") != FORMAT_VERSION:
        raise InputError(f"{path}: model package format version {document.get('version')!r}; this sedkit reads "
                         f"version {FORMAT_VERSION} (export the checkpoint again with this sedkit)")
    try:
        metadata = json.loads(document["metadata"])
        missing = [k for k in _METADATA_KEYS if k not in metadata]
        if missing:
            raise KeyError(missing[0])
        mean = np.asarray(document["stats_mean"].numpy(), dtype=np.float64)
        std = np.asarray(document["stats_std"].numpy(), dtype=np.float64)
        weights = dict(document["weights"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{path}: malformed model package (missing or bad {exc})") from None
    classes = [str(c) for c in metadata["classes"]]
    for key in ("thresholds", "median_windows_s"):
        if set(metadata[key]) != set(classes):
            raise InputError(f"{path}: malformed model package ({key} does not list the package's classes)")
    return ModelPackage(model_name=metadata["model_name"], model=metadata["model"], features=metadata["features"],
                        classes=classes, frame_hop_s=float(metadata["frame_hop_s"]),
                        window_s=float(metadata["window_s"]),
                        thresholds={k: float(v) for k, v in metadata["thresholds"].items()},
                        median_windows_s={k: float(v) for k, v in metadata["median_windows_s"].items()},
                        stats_mean=mean, stats_std=std, weights=weights, provenance=metadata["provenance"])
