"""Clip classification experiments on the shared trainer: config, task, metrics.

``sedkit train --config conf.yaml`` with ``task: classification`` trains a registered classifier
(``model_name: cnn | cpresnet``, ``model:`` its config fields, typed by the model registry) with a registered
criterion (``criterion.name``: ``ce | lsr | tfkd | lsr_os | lsr_os_tc | mrkd | cutnmix | unikd``, the method's
options under ``criterion.<section>``; :mod:`sedkit.training.criteria`) on feature folders listed by
``filename  label [group]`` tables. The task names no method: it builds the network and the criterion, feeds
the criterion batches, and validates the networks the criterion reports. Validation reports clip accuracy,
clip error and group ("song") error, the group decision being the mean of its clips' probabilities
(``group_decision: mean``, the paper's table) or a majority vote with ties broken by the mean probability
(``vote``, the paper's text).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional

import numpy as np
import torch
from torch import nn

from sedkit.config import from_dict, resolve_chosen_fields
from sedkit.data.augment import DistortionConfig, distort
from sedkit.data.datasets import ClipTable
from sedkit.errors import InputError
from sedkit.metrics.classification import group_decisions
from sedkit.models.registry import model_config_types
from sedkit.training.checkpoint import (checkpoint_statistics, feature_config, network_weights, read_checkpoint,
                                       run_statistics)
from sedkit.training.criteria import CriterionContext, build_criterion, criterion_class, criterion_config_class
from sedkit.training.trainer import OptimConfig, RunConfig

__all__ = ["ClassificationDataConfig", "ClassificationExperimentConfig", "ClassificationTask", "group_decisions",
           "load_classifier", "evaluate_checkpoint", "clip_probabilities"]


@dataclass
class ClassificationDataConfig:
    classes: Optional[List[str]] = None  # null: sorted labels of the training table
    train_features: Optional[str] = None
    train_labels: Optional[str] = None
    valid_features: Optional[str] = None
    valid_labels: Optional[str] = None
    unlabeled_features: Optional[str] = None  # UniKD: clips whose labels are not used
    unlabeled_labels: Optional[str] = None  # a filename [label] table of them
    stats: Optional[str] = None
    batch_size: int = 32
    clip_frames: Optional[int] = None
    group_decision: Literal["mean", "vote"] = "mean"
    mixup_alpha: float = 0.0  # > 0: mixup (Zhang et al. 2018) with lambda ~ Beta(alpha, alpha) on every batch
    distort: bool = False  # the base augmentation of Cut^nMix's views (time shift and masks, ``distortion``)
    #                        on every batch of the other criteria, for Table 1's CE row
    distortion: DistortionConfig = field(default_factory=DistortionConfig)


@dataclass
class ClassificationExperimentConfig:
    """``model`` is typed by ``model_name`` (the registry's config class; ``n_classes`` is set from the
    classes), ``criterion`` by the registered criteria (``name`` and one section per method family)."""

    task: Literal["classification"] = "classification"
    model_name: str = "cnn"
    model: Any = None  # the config class of model_name
    data: ClassificationDataConfig = field(default_factory=ClassificationDataConfig)
    criterion: Any = None  # criterion_config_class()
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(optimizer="sgd", lr=0.005, weight_decay=5e-4,
                                                                   schedule="constant"))
    run: RunConfig = field(default_factory=lambda: RunConfig(epochs=30))

    @staticmethod
    def config_field_types(data: dict) -> dict:
        """Types of the fields chosen by a registry (for :func:`sedkit.config.from_dict`)."""
        return {"model": model_config_types(data.get("model_name", "cnn")), "criterion": criterion_config_class()}

    def __post_init__(self):
        resolve_chosen_fields(self)


def clip_probabilities(net: nn.Module, table: ClipTable, stats, device: torch.device) -> np.ndarray:
    """Softmax outputs (clips, classes) of ``net`` (put in eval mode) on every clip of ``table``."""
    net.eval()
    with torch.no_grad():
        return np.stack([torch.softmax(net(torch.from_numpy(stats.normalise(table.matrix(i))[None]).to(device))
                                       ["logits"], dim=1)[0].cpu().numpy() for i in range(len(table.labels))])


def _build_network(config: ClassificationExperimentConfig, n_classes: int) -> nn.Module:
    from sedkit.models.registry import get

    model_class, _ = get(config.model_name)
    return model_class(dataclasses.replace(config.model, n_classes=n_classes))


class ClassificationTask:
    """The classification task for :class:`~sedkit.training.trainer.Trainer`."""

    def __init__(self, config: ClassificationExperimentConfig, exp_dir: str | Path):
        self.config, self.exp_dir = config, Path(exp_dir)
        d = config.data
        if not (d.train_features and d.train_labels):
            raise InputError("data.train_features and data.train_labels are required")
        self.train = ClipTable(d.train_features, d.train_labels, d.clip_frames)
        self.classes = d.classes or sorted(set(self.train.labels))
        self.index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted(set(self.train.labels) - set(self.index))
        if unknown:
            raise InputError(f"{d.train_labels}: label {unknown[0]!r} is not in data.classes")
        self.y = np.array([self.index[label] for label in self.train.labels])
        has_valid = d.valid_features and d.valid_labels
        self.valid = ClipTable(d.valid_features, d.valid_labels, d.clip_frames) if has_valid else None
        if self.valid is not None:
            # refused before training rather than scored as wrong at every validation
            unknown = sorted(set(self.valid.labels) - set(self.index))
            if unknown:
                raise InputError(f"{d.valid_labels}: label {unknown[0]!r} is not one of the training classes "
                                 f"({len(self.classes)}: data.classes or the training table's labels)")
        # Computed from the training clips only: the folder may hold every split (no test statistics leak in).
        self.features = feature_config([d.train_features] + ([d.valid_features] if has_valid else []))
        self.stats = run_statistics(d.stats, [d.train_features], self.features, self.exp_dir,
                                    filenames=self.train.subset.filenames)
        torch.manual_seed(config.run.seed)

        def build() -> nn.Module:
            return _build_network(config, len(self.classes))

        net = build()
        self.criterion = build_criterion(config.criterion, CriterionContext(
            net=net, build_network=build, classes=self.classes, data=d, run=config.run, train=self.train,
            stats=self.stats, steps_per_epoch=self.steps_per_epoch(), exp_dir=self.exp_dir))
        self.modules = nn.ModuleDict({"net": net, **self.criterion.modules()})

    def no_weight_decay(self) -> List[nn.Parameter]:
        return self.criterion.no_weight_decay()

    @property
    def model(self) -> nn.Module:
        return self.modules

    def steps_per_epoch(self) -> int:
        return max(1, len(self.y) // self.config.data.batch_size)

    def batches(self, epoch: int, rank: int = 0, world_size: int = 1):
        d = self.config.data
        order = np.random.default_rng([self.config.run.seed, epoch]).permutation(len(self.y))
        for step in range(self.steps_per_epoch()):
            rows = order[step * d.batch_size:(step + 1) * d.batch_size][rank::world_size]
            x = np.stack([self.stats.normalise(self.train.matrix(i)) for i in rows])
            if d.distort:
                x = distort(x, np.random.default_rng([self.config.run.seed, epoch, step, 19]), d.distortion)
            yield self.criterion.prepare_batch({"x": x, "y": self.y[rows], "rows": rows}, epoch, step)

    def training_step(self, batch, epoch: float, progress: float, device: torch.device) -> Dict[str, torch.Tensor]:
        return self.criterion.loss(batch, device)

    def after_optimizer_step(self, step: int) -> None:
        self.criterion.after_optimizer_step(step)

    def checkpoint_extra(self) -> dict:
        return {"classes": self.classes, "stats_mean": self.stats.mean, "stats_std": self.stats.std}

    def validate(self, device: torch.device) -> Dict[str, float]:
        """Accuracy, clip and group error of the scored network; where the criterion reports several
        networks (peers), also each one's accuracy (``accuracy_peer<j>``), the score being their mean."""
        if self.valid is None:
            return {}
        truth = np.array([self.index[label] for label in self.valid.labels])
        peer_probs = [clip_probabilities(net, self.valid, self.stats, device)
                      for net in self.criterion.scored_networks()]
        probs = peer_probs[0]  # the scored network ("net") decides the groups
        accuracy = float((probs.argmax(axis=1) == truth).mean())
        extra = {}
        if len(peer_probs) > 1:  # every peer; the score is their mean accuracy
            extra = {f"accuracy_peer{j + 1}": float((p.argmax(1) == truth).mean()) for j, p in enumerate(peer_probs)}
            accuracy = float(np.mean(list(extra.values())))
        decided = group_decisions(probs, self.valid.groups, self.config.data.group_decision)
        group_truth = {g: t for g, t in zip(self.valid.groups, truth)}
        group_error = float(np.mean([decided[g] != group_truth[g] for g in decided]))
        return {"score": accuracy, "accuracy": accuracy, "clip_error": 1 - accuracy, "group_error": group_error,
                **extra}


def load_classifier(checkpoint: str | Path, classes: Optional[List[str]] = None, module: str = "net"):
    """(network in eval mode, checkpoint state) of a classification checkpoint; ``classes`` must match.
    ``module``: which network of the checkpoint (``net``; Cut^nMix peers 2..J are ``peer2``, ...)."""
    path = Path(checkpoint)
    state = read_checkpoint(path)
    try:
        config = from_dict(ClassificationExperimentConfig, state["config"])
    except InputError:
        raise InputError(f"{path}: not a sedkit classification checkpoint") from None
    own = state.get("extra", {}).get("classes")
    if classes is not None and own != list(classes):
        raise InputError(f"{path}: trained on other classes ({', '.join(own or [])})")
    net = _build_network(config, len(own))
    net.load_state_dict(network_weights(state, f"{module}.", path))
    return net.eval(), state


def evaluate_checkpoint(checkpoint, features: str | Path, labels: str | Path, out: str | Path,
                        group_rule: Optional[str] = None, device: str = "auto") -> Dict:
    """Score a labelled table with a trained classifier, or with the ensemble (mean probabilities) of
    several (``checkpoint`` a list): ``out/{probabilities.tsv, metrics.json, confusion.png}``.

    A single checkpoint whose criterion reports several networks (Cut^nMix's peers) is scored with ``net``
    (peer 1), as validation decides groups; metrics.json then also holds ``peers``: each one's clip accuracy
    (``accuracy``, ``net`` first) and their mean (``mean_accuracy``), the paper's "mean of peers" figure."""
    import json

    from sedkit.io import atomic_write, write_tsv
    from sedkit.metrics.classification import classification_metrics, plot_confusion
    from sedkit.training.trainer import resolve_device

    checkpoints = [checkpoint] if isinstance(checkpoint, (str, Path)) else list(checkpoint)
    target = resolve_device(device)
    probs, classes, config, table = None, None, None, None
    for path in checkpoints:
        net, state = load_classifier(path, classes)
        config = from_dict(ClassificationExperimentConfig, state["config"])
        extra = state.get("extra", {})
        classes = extra["classes"]
        net.to(target)
        stats = checkpoint_statistics(state)
        if table is None:
            table = ClipTable(features, labels, config.data.clip_frames)
            index = {c: i for i, c in enumerate(classes)}
            unknown = sorted(set(table.labels) - set(index))
            if unknown:
                raise InputError(f"{labels}: label {unknown[0]!r} is not one of the model's classes")
        own = clip_probabilities(net, table, stats, target)
        probs = own if probs is None else probs + own
    probs = probs / len(checkpoints)
    truth = [index[label] for label in table.labels]
    metrics = classification_metrics(probs, truth, table.groups, classes, group_rule or config.data.group_decision)
    cls, section = criterion_class(config.criterion.name)
    scored = cls.scored_modules(getattr(config.criterion, section))
    if len(checkpoints) == 1 and len(scored) > 1:
        accuracies = [float(metrics["accuracy"])]
        for module in scored[1:]:
            peer, _ = load_classifier(checkpoints[0], classes, module)
            own = clip_probabilities(peer.to(target), table, stats, target)
            accuracies.append(float((own.argmax(axis=1) == np.asarray(truth)).mean()))
        metrics["peers"] = {"accuracy": accuracies, "mean_accuracy": float(np.mean(accuracies))}
    out = Path(out)
    write_tsv(out / "probabilities.tsv", ("filename", "label", "group", *classes),
              [(f, label, g, *(f"{p:.6f}" for p in row))
               for f, label, g, row in zip(table.subset.filenames, table.labels, table.groups, probs)])
    with atomic_write(out / "metrics.json") as handle:
        json.dump(metrics, handle, indent=2)
    plot_confusion(metrics, out / "confusion.png")
    return metrics
