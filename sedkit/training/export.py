"""A training checkpoint -> a model package (:mod:`sedkit.inference.package`): the one network inference needs,
its model and feature configs, normalisation, classes, frame hop, thresholds, median windows and provenance."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from sedkit.errors import InputError
from sedkit.inference.package import ModelPackage

__all__ = ["package_from_checkpoint"]


def package_from_checkpoint(checkpoint: str | Path, network: Optional[str] = None,
                            thresholds: Optional[Dict[str, float]] = None,
                            median_windows_s: Optional[Dict[str, float]] = None,
                            corpus: Optional[str] = None) -> ModelPackage:
    """The package of ``network`` (default: the one the experiment evaluated) of a SED checkpoint.

    Thresholds default to the training config's ``postprocess.threshold`` for every class; median windows to
    the per-class windows the run used in validation (adaptive: from its training labels).
    """
    from sedkit import __version__
    from sedkit.config import from_dict, to_dict
    from sedkit.training.checkpoint import checkpoint_statistics
    from sedkit.training.sed import SEDExperimentConfig, load_sed_network

    net, state = load_sed_network(checkpoint, network)
    config = from_dict(SEDExperimentConfig, state["config"])
    extra = state.get("extra", {})
    if "features" not in extra or "frame_hop_s" not in extra:
        raise InputError(f"{checkpoint}: not a SED checkpoint (no feature config in it)")
    classes = list(config.data.classes)
    thresholds = thresholds or {c: float(config.postprocess.threshold) for c in classes}
    windows = median_windows_s or {c: float(v) for c, v in extra["median_windows_s"].items()}
    for name, values in (("thresholds", thresholds), ("median windows", windows)):
        missing = [c for c in classes if c not in values]
        if missing:
            raise InputError(f"{checkpoint}: no {name} for {', '.join(missing)}")
    stats = checkpoint_statistics(state)
    features = dict(extra["features"])
    window_s = features.get("clip_duration_s") or config.data.clip_frames * extra["frame_hop_s"] / \
        config.build_network().frame_pooling
    best = state.get("best_score", math.nan)
    provenance = {"system": config.system.name,
                  "network": network or extra.get("evaluated_network") or config.system.evaluated_network,
                  "epoch": int(state.get("epoch", 0)), "step": int(state.get("step", 0)),
                  "selection_set": config.data.validation_labels,
                  "selection_score": float(best) if math.isfinite(best) else None,
                  "corpus": corpus, "sedkit_version": __version__, "checkpoint": str(checkpoint),
                  "seed": config.run.seed}
    return ModelPackage(model_name=config.model_name, model=to_dict(config.model), features=features,
                        classes=classes, frame_hop_s=float(extra["frame_hop_s"]), window_s=float(window_s),
                        thresholds={c: float(thresholds[c]) for c in classes},
                        median_windows_s={c: float(windows[c]) for c in classes},
                        stats_mean=np.asarray(stats.mean, dtype=np.float64),
                        stats_std=np.asarray(stats.std, dtype=np.float64),
                        weights={k: v.detach().clone() for k, v in net.state_dict().items()}, provenance=provenance)
