"""SED experiments: the config, the training task for :class:`~sedkit.training.trainer.Trainer`, inference.

``sedkit train --config conf.yaml`` loads :class:`SEDExperimentConfig` (sections ``data``, ``model``,
``system``, ``optim``, ``run``, ``postprocess``), builds the networks of ``system.name``, and validates
every epoch with the scoring code: the evaluated network's frame probabilities on the validation features
-> threshold -> adaptive median filter (1/3 of the mean event duration per class in the training strong
labels, never the validation set) -> events -> event-based macro F1 (collar 0.2 s, offset 20 %).
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional

import numpy as np
import torch

from sedkit.config import to_dict
from sedkit.data.augment import AugmentConfig
from sedkit.data.datasets import DataConfig, FeatureSubset, SEDTrainData
from sedkit.data.encoder import LabelEncoder
from sedkit.errors import InputError
from sedkit.models.crnn import CRNNConfig
from sedkit.models.registry import get as get_model
from sedkit.models.registry import model_config_types
from sedkit.postprocess.decode import PostprocessConfig
from sedkit.training.checkpoint import (checkpoint_statistics, feature_config, network_weights, read_checkpoint,
                                       run_statistics)
from sedkit.training.mmt_da import SystemConfig, build_system
from sedkit.training.trainer import OptimConfig, RunConfig

__all__ = ["SEDExperimentConfig", "SEDTask", "load_sed_network", "predict_frame_probs", "checkpoint_networks"]


@dataclass
class SEDExperimentConfig:
    task: Literal["sed"] = "sed"
    model_name: str = "crnn"  # a registered SED network (sedkit.models.registry) keeping the contract of
    #                           sedkit.models.contract
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: Any = field(default_factory=CRNNConfig)  # the config class of model_name
    system: SystemConfig = field(default_factory=SystemConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)

    @staticmethod
    def config_field_types(data: dict) -> dict:
        """``model`` is typed by ``model_name`` (the registry's config class; for :func:`sedkit.config.from_dict`)."""
        return {"model": model_config_types(data.get("model_name", "crnn"))}

    def __post_init__(self):
        from sedkit.config import resolve_chosen_fields

        resolve_chosen_fields(self)

    @staticmethod
    def config_migrations(data: dict) -> dict:
        """``model.domain_hidden`` / ``model.domain_dropout`` moved to ``system.*`` (2026-12-04): the domain
        classifier is the system's, not the network's (:mod:`sedkit.models.contract`)."""
        model = data.get("model")
        if isinstance(model, dict) and ("domain_hidden" in model or "domain_dropout" in model):
            model = dict(model)
            system = dict(data.get("system") or {})
            for key in ("domain_hidden", "domain_dropout"):
                if key in model:
                    system.setdefault(key, model.pop(key))
            data["model"], data["system"] = model, system
        return data

    def build_network(self):
        """A new network of ``model_name`` with ``model``, checked against the SED network contract."""
        from sedkit.models.contract import check_sed_network

        network = get_model(self.model_name)[0](self.model)
        check_sed_network(network, self.model_name)
        return network


def predict_frame_probs(network: torch.nn.Module, matrices, device: torch.device,
                        batch_size: int = 16) -> List[np.ndarray]:
    """Frame probabilities (T', C) of each normalised (frames, mels) matrix, in order."""
    network.eval()
    outputs, batch = [], []

    def flush():
        with torch.no_grad():
            x = torch.from_numpy(np.stack(batch)).to(device)
            outputs.extend(network(x)["frame"].float().cpu().numpy())
        batch.clear()

    for matrix in matrices:
        if batch and matrix.shape != batch[0].shape:
            flush()
        batch.append(matrix)
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    return outputs


class SEDTask:
    """The SED training task: data, system, validation (see :mod:`sedkit.training.trainer`)."""

    def __init__(self, config: SEDExperimentConfig, exp_dir: str | Path):
        from sedkit.io import read_durations, read_events
        from sedkit.postprocess.median import adaptive_windows

        self.config, self.exp_dir = config, Path(exp_dir)
        d = config.data
        train_folders = [f for f in (d.synth_features, d.weak_features, d.unlabel_features) if f]
        if not train_folders:
            raise InputError("data: no training feature folders given")
        self.features = feature_config(train_folders + ([d.validation_features] if d.validation_features else []))
        if config.model.n_mels != self.features.n_mels:
            raise InputError(f"model.n_mels {config.model.n_mels} differs from the features' n_mels "
                             f"{self.features.n_mels}")
        if config.model.n_classes != len(d.classes):
            raise InputError(f"model.n_classes {config.model.n_classes} differs from data.classes ({len(d.classes)})")
        self.stats = run_statistics(d.stats, train_folders, self.features, self.exp_dir)
        if config.system.mmt_da.ssl_strong_labels and not d.unlabel_strong_labels:
            raise InputError("system.mmt_da.ssl_strong_labels needs data.unlabel_strong_labels (the unlabelled "
                             "clips' strong labels)")
        teacher = None
        if config.system.needs_teacher:
            fixed = config.system.fixed_teacher
            if not fixed.checkpoint:
                raise InputError(f"system.fixed_teacher.checkpoint is required for {config.system.name}")
            teacher = load_sed_network(fixed.checkpoint, fixed.network)[0]
        torch.manual_seed(config.run.seed)  # the initial weights depend on the seed only
        self.system = build_system(config.system, config.build_network, teacher)
        network = self.system.evaluated()  # the contract (sedkit.models.contract): output frames and their hop
        self.n_out = network.output_frames(d.clip_frames)
        self.encoder = LabelEncoder(d.classes, network.frame_pooling * self.features.frame_hop_s)
        self.data = SEDTrainData(d, self.encoder, self.n_out, self.stats, config.run.seed, config.augment,
                                 self.features.frame_hop_s)
        median_source = d.median_labels or d.synth_labels
        self.median_windows = None
        if median_source:
            self.median_windows = adaptive_windows(read_events(median_source), d.classes,
                                                   config.postprocess.adaptive_fraction,
                                                   fallback_s=config.postprocess.median_window_s)
        self.validation = None
        if d.validation_features and d.validation_labels:
            reference = read_events(d.validation_labels)
            subset = FeatureSubset("validation", d.validation_features, d.clip_frames, reference.files)
            if d.in_memory:
                subset.load(self.stats)
            self.validation = (subset, reference,
                               read_durations(d.validation_durations) if d.validation_durations else None)

    @property
    def model(self) -> torch.nn.Module:
        return self.system

    def steps_per_epoch(self) -> int:
        return self.data.steps_per_epoch()

    def batches(self, epoch: int, rank: int = 0, world_size: int = 1):
        return self.data.batches(epoch, rank, world_size)

    def training_step(self, batch, epoch: float, progress: float, device: torch.device) -> Dict[str, torch.Tensor]:
        tensors = {k: torch.from_numpy(v).to(device) for k, v in batch.items()}
        return self.system.losses(tensors, epoch, progress)

    def after_optimizer_step(self, step: int) -> None:
        self.system.after_optimizer_step(step)

    def windows_s(self) -> Dict[str, float]:
        if self.median_windows is not None:
            return self.median_windows
        return {c: self.config.postprocess.median_window_s for c in self.config.data.classes}

    def checkpoint_extra(self) -> dict:
        return {"features": to_dict(self.features), "stats_mean": self.stats.mean, "stats_std": self.stats.std,
                "median_windows_s": self.windows_s(), "frame_hop_s": self.encoder.frame_hop_s,
                "evaluated_network": self.config.system.evaluated_network}

    def validate(self, device: torch.device) -> Dict[str, float]:
        if self.validation is None:
            return {}
        from sedkit.metrics.event_based import event_based_metrics
        from sedkit.metrics.segment_based import segment_based_metrics
        from sedkit.postprocess.decode import Decoder, frame_timestamps
        from sedkit.io import EventTable

        subset, reference, durations = self.validation
        normalised = (subset.matrix(i) if subset.cache is not None else self.stats.normalise(subset.matrix(i))
                      for i in range(len(subset)))
        probs = predict_frame_probs(self.system.evaluated(), normalised, device, batch_size=32)
        classes = self.config.data.classes
        decoder = Decoder.from_settings(classes, self.config.postprocess.threshold, self.windows_s())
        rows = []
        for name, prob in zip(subset.filenames, probs):
            events = decoder.events(frame_timestamps(prob.shape[0], self.encoder.frame_hop_s), prob)
            rows += [(name, on, off, label) for on, off, label in events]
        estimated = EventTable("validation predictions", sorted({r[0] for r in rows}), [r[0] for r in rows],
                               np.array([r[1] for r in rows], dtype=float), np.array([r[2] for r in rows], dtype=float),
                               [r[3] for r in rows], list(range(len(rows))))
        event = event_based_metrics(reference, estimated, classes=classes, durations=durations)
        segment = segment_based_metrics(reference, estimated, classes=classes, durations=durations)
        f1 = event.macro["f1"]
        return {"score": 0.0 if np.isnan(f1) else f1, "event_macro_f1": f1, "event_micro_f1": event.micro["f1"],
                "segment_macro_f1": segment.macro["f1"]}


def checkpoint_networks(checkpoint: str | Path) -> List[str]:
    """The SED networks a checkpoint holds that can be scored (students and teachers; not the domain
    classifier nor a frozen pretrained teacher), the one the experiment evaluated first."""
    from sedkit.config import from_dict

    state = read_checkpoint(checkpoint)
    evaluated = (state.get("extra", {}).get("evaluated_network")
                 or from_dict(SEDExperimentConfig, state["config"]).system.evaluated_network)
    names = sorted({k.split(".")[1] for k in state["model"] if k.startswith("nets.")} - {"domain", "fixed_teacher"})
    return [evaluated] + [n for n in names if n != evaluated]


def load_sed_network(checkpoint: str | Path, network: Optional[str] = None):
    """(network in eval mode, checkpoint dict) for inference or as a fixed teacher.

    ``network`` defaults to the one the experiment evaluated (e.g. ``da_teacher`` for MMT-DA).
    """
    from sedkit.config import from_dict

    path = Path(checkpoint)
    state = read_checkpoint(path)
    config = from_dict(SEDExperimentConfig, state["config"])
    name = network or state.get("extra", {}).get("evaluated_network") or config.system.evaluated_network
    weights = network_weights(state, f"nets.{name}.", path)
    net = config.build_network()
    net.load_state_dict(weights)
    net.eval()
    return net, state


def write_model_card(path: Path, checkpoint: str | Path, network: str, state: dict,
                     size: Optional[dict] = None) -> None:
    """``model.yaml`` beside decoded outputs: which checkpoint and network made them, after how many steps,
    and how that checkpoint was chosen (its validation score and set); ``size``: the network's parameters and
    MACs per second of audio (:func:`sedkit.models.complexity.complexity`) and the decoding energy."""
    from sedkit.config import dump_yaml
    from sedkit.io import atomic_write

    config = state["config"]
    card = {"checkpoint": Path(checkpoint).name, "network": network, "epoch": int(state.get("epoch", 0)),
            "step": int(state.get("step", 0)), "system": config.get("system", {}).get("name"),
            "validation_set": config.get("data", {}).get("validation_labels"),
            "best_validation_score": (float(state["best_score"]) if math.isfinite(state.get("best_score", math.nan))
                                      else None), **(size or {})}
    with atomic_write(path) as handle:
        handle.write(dump_yaml(card))


def infer(checkpoint: str | Path, out_dir: str | Path, features_dir: str | Path | None = None,
          audio: str | Path | None = None, network: Optional[str] = None, device: str = "auto",
          threshold: Optional[float] = None, batch_size: int = 16, progress: Optional[bool] = None,
          scores_only: bool = False) -> dict:
    """Score the clips of a feature folder with a trained network and decode them; returns a summary.

    The features must come from the checkpoint's feature config. Writes ``out_dir/scores/<clip>.tsv``
    (sed_scores_eval format), ``out_dir/model.yaml`` and, unless ``scores_only``, ``out_dir/predictions.tsv``
    (threshold + the per-class median windows stored in the checkpoint, through the one decoder) and
    ``out_dir/median_windows.yaml``. ``audio`` (a folder, file or wav.tsv) goes through the windowed
    :class:`~sedkit.inference.detector.Detector` instead, as ``sedkit infer --model`` does.
    """
    from tqdm import tqdm

    from sedkit.config import config_digest, from_dict
    from sedkit.features.extract import read_feature_config, read_feature_table
    from sedkit.features.logmel import LogMelConfig
    from sedkit.io import write_events, write_scores
    from sedkit.postprocess.decode import Decoder, frame_timestamps
    from sedkit.postprocess.median import write_windows
    from sedkit.training.trainer import resolve_device

    if (features_dir is None) == (audio is None):
        raise InputError("give either a feature folder or audio")
    if audio is not None:
        from sedkit.inference.batch import detect_recordings
        from sedkit.inference.detector import Detector, WindowConfig
        from sedkit.training.export import package_from_checkpoint

        detector = Detector(package_from_checkpoint(checkpoint, network), str(resolve_device(device)),
                            WindowConfig(batch_size=batch_size))
        summary = detect_recordings(detector, audio, out_dir, thresholds=threshold, progress=progress)
        return {"clips": summary["recordings"], "events": summary["events"],
                "network": detector.package.provenance["network"],
                "threshold": float(detector.decoder(threshold).thresholds[0])}
    net, state = load_sed_network(checkpoint, network)
    extra = state.get("extra", {})
    config = from_dict(SEDExperimentConfig, state["config"])
    feature_config = from_dict(LogMelConfig, extra["features"])
    stats = checkpoint_statistics(state)
    classes = config.data.classes
    target = resolve_device(device)
    net.to(target)
    if config_digest(read_feature_config(features_dir)) != config_digest(feature_config):
        raise InputError(f"{features_dir}: features made with another config than the checkpoint's")
    rows = read_feature_table(features_dir)
    names = [row["filename"] for row in rows]
    matrices = (stats.normalise(np.load(Path(features_dir) / row["path"])) for row in rows)
    bar = tqdm(total=len(names), desc="infer", unit="clip", disable=None if progress is None else not progress,
               leave=False)

    def counted(iterable):
        for value in iterable:
            bar.update(1)
            yield value

    from sedkit.models.complexity import complexity
    from sedkit.training.energy import EnergyMeter

    meter = EnergyMeter()
    meter.start()
    meter.begin("decoding")
    probs = predict_frame_probs(net, counted(matrices), target, batch_size=batch_size)
    energy = meter.end()
    meter.stop()
    bar.close()
    out_dir = Path(out_dir)
    parameters, macs = complexity(net.cpu(), config.data.clip_frames, feature_config.n_mels,
                                  config.data.clip_frames * feature_config.frame_hop_s)
    size = {"parameters": int(parameters), "macs_per_second": float(macs)}
    if energy is not None:
        size["decoding_energy_kwh"] = energy
    windows = extra["median_windows_s"]
    decoder = Decoder.from_settings(classes, config.postprocess.threshold if threshold is None else threshold,
                                    windows)
    events = []
    for name, prob in zip(names, probs):
        stamps = frame_timestamps(prob.shape[0], extra["frame_hop_s"])
        write_scores(out_dir / "scores" / f"{Path(name).with_suffix('')}.tsv", stamps, classes, prob)
        if not scores_only:
            events += [(name, on, off, label) for on, off, label in decoder.events(stamps, prob)]
    if not scores_only:
        write_events(out_dir / "predictions.tsv", events)
        write_windows(out_dir / "median_windows.yaml", windows, f"median windows in seconds used for {out_dir}")
    network_name = network or extra.get("evaluated_network") or config.system.evaluated_network
    write_model_card(out_dir / "model.yaml", checkpoint, network_name, state, size)
    return {"clips": len(names), "events": len(events), "network": network_name,
            "threshold": float(decoder.thresholds[0])}
