"""Clip classification experiments on the shared trainer: config, task, metrics.

``sedkit train --config conf.yaml`` with ``task: classification`` trains a registered classifier
(``model_name: cnn | cpresnet``, ``model:`` its config fields) with a pluggable criterion
(``criterion.name: ce | lsr | tfkd | lsr_os | lsr_os_tc | mrkd``) on feature folders listed by
``filename  label [group]`` tables. Validation reports clip accuracy, clip error and group ("song") error,
the group decision being the mean of its clips' probabilities (``group_decision: mean``, the paper's table)
or a majority vote with ties broken by the mean probability (``vote``, the paper's text).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional

import numpy as np
import torch
from torch import nn

from sedkit.config import from_dict
from sedkit.errors import InputError
from sedkit.metrics.classification import group_decisions
from sedkit.training.checkpoint import (checkpoint_statistics, feature_config, network_weights, read_checkpoint,
                                       run_statistics)
from sedkit.training.distill import cutnmix as cnm
from sedkit.training.distill.lsr import LSRConfig, lsr_family_loss
from sedkit.training.distill.mrkd import MrKD, MrKDConfig
from sedkit.training.distill.unikd import FrozenEnsemble, UniKDConfig, renormalisation, unikd_step_loss
from sedkit.training.trainer import OptimConfig, RunConfig

__all__ = ["ClassificationDataConfig", "CriterionConfig", "ClassificationExperimentConfig", "ClassificationTask",
           "group_decisions"]


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
    distort: bool = False  # the base augmentation of Cut^nMix's views (criterion.cutnmix's shift and masks)
    #                        on every batch of the other criteria, for Table 1's CE row


@dataclass
class CriterionConfig:
    name: Literal["ce", "lsr", "tfkd", "lsr_os", "lsr_os_tc", "mrkd", "cutnmix", "unikd"] = "ce"
    lsr: LSRConfig = field(default_factory=LSRConfig)
    mrkd: MrKDConfig = field(default_factory=MrKDConfig)
    cutnmix: cnm.CutnMixConfig = field(default_factory=cnm.CutnMixConfig)
    unikd: UniKDConfig = field(default_factory=UniKDConfig)


@dataclass
class ClassificationExperimentConfig:
    task: Literal["classification"] = "classification"
    model_name: Literal["cnn", "cpresnet"] = "cnn"
    model: Dict[str, Any] = field(default_factory=dict)
    data: ClassificationDataConfig = field(default_factory=ClassificationDataConfig)
    criterion: CriterionConfig = field(default_factory=CriterionConfig)
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(optimizer="sgd", lr=0.005, weight_decay=5e-4,
                                                                   schedule="constant"))
    run: RunConfig = field(default_factory=lambda: RunConfig(epochs=30))


def clip_probabilities(net: nn.Module, table: "_Table", stats, device: torch.device) -> np.ndarray:
    """Softmax outputs (clips, classes) of ``net`` (put in eval mode) on every clip of ``table``."""
    net.eval()
    with torch.no_grad():
        return np.stack([torch.softmax(net(torch.from_numpy(stats.normalise(table.matrix(i))[None]).to(device))
                                       ["logits"], dim=1)[0].cpu().numpy() for i in range(len(table.labels))])


class _Table:
    def __init__(self, features: str, labels: str, frames: Optional[int], need_label: bool = True):
        from sedkit.data.datasets import FeatureSubset
        from sedkit.io import read_tsv

        rows = read_tsv(labels, ("filename", "label") if need_label else ("filename",))
        if not rows:
            raise InputError(f"{labels}: no rows")
        self.labels = [row.get("label", "") for row in rows]
        self.groups = [row.get("group") or row["filename"] for row in rows]
        self.subset = FeatureSubset(Path(labels).stem, features, frames or 10 ** 9, [row["filename"] for row in rows])
        self.frames = frames

    def matrix(self, index: int) -> np.ndarray:
        return np.load(self.subset.paths[index]) if self.frames is None else self.subset.matrix(index)


class ClassificationTask:
    """The classification task for :class:`~sedkit.training.trainer.Trainer`."""

    def __init__(self, config: ClassificationExperimentConfig, exp_dir: str | Path):
        from sedkit.models.registry import get

        self.config, self.exp_dir = config, Path(exp_dir)
        d = config.data
        if not (d.train_features and d.train_labels):
            raise InputError("data.train_features and data.train_labels are required")
        self.train = _Table(d.train_features, d.train_labels, d.clip_frames)
        self.classes = d.classes or sorted(set(self.train.labels))
        self.index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted(set(self.train.labels) - set(self.index))
        if unknown:
            raise InputError(f"{d.train_labels}: label {unknown[0]!r} is not in data.classes")
        self.y = np.array([self.index[label] for label in self.train.labels])
        has_valid = d.valid_features and d.valid_labels
        self.valid = _Table(d.valid_features, d.valid_labels, d.clip_frames) if has_valid else None
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
        model_class, model_config_class = get(config.model_name)
        model_config = from_dict(model_config_class, {**config.model, "n_classes": len(self.classes)}, where="model")
        torch.manual_seed(config.run.seed)
        net = model_class(model_config)
        modules = {"net": net}
        if config.criterion.name == "cutnmix":
            # Peers: "net" is peer 1 (what `sedkit classify` scores), then "peer2", ...; g on their features.
            c = config.criterion.cutnmix
            for index in range(2, c.peers + 1):
                modules[f"peer{index}"] = model_class(model_config)
            with torch.no_grad():
                dim = net(torch.zeros(1, *self.train.matrix(0).shape))["features"].shape[1]
            modules["peer_teacher"] = cnm.PeerTeacher(c.peers, dim, len(self.classes))
        if config.criterion.name == "unikd":
            u = config.criterion.unikd
            if not u.teacher_checkpoints:
                raise InputError("criterion.unikd.teacher_checkpoints: give the frozen teachers' checkpoints")
            # Each teacher with its own normalisation statistics (from its checkpoint), not the student's.
            loaded = [load_classifier(p, self.classes) for p in u.teacher_checkpoints]
            modules["teachers"] = FrozenEnsemble(
                [net for net, _ in loaded],
                [renormalisation(self.stats, checkpoint_statistics(state)) for _, state in loaded])
            self.unlabeled, self.teacher_cache = None, {}
            if u.unlabeled != "none":
                if not (d.unlabeled_features and d.unlabeled_labels):
                    raise InputError("UniKD on unlabelled data needs data.unlabeled_features and data.unlabeled_labels")
                self.unlabeled = _Table(d.unlabeled_features, d.unlabeled_labels, d.clip_frames, need_label=False)
        if d.mixup_alpha > 0 and config.criterion.name in ("cutnmix", "unikd"):
            raise InputError(f"data.mixup_alpha: criterion {config.criterion.name} makes its own batches; "
                             f"mixup applies to ce, the LSR family and mrkd")
        if d.distort and config.criterion.name == "unikd":
            raise InputError("data.distort: UniKD's cached teacher outputs need unaugmented batches")
        c = config.criterion.cutnmix
        if c.mixing not in ("cutnmix", "cutmix", "none") or c.distortion not in ("per_peer", "shared", "none"):
            raise InputError(f"criterion.cutnmix: mixing must be cutnmix, cutmix or none and distortion per_peer, "
                             f"shared or none; got {c.mixing!r}, {c.distortion!r}")
        if config.criterion.name == "mrkd":
            mrkd = config.criterion.mrkd
            kappa_epochs = mrkd.kappa_epochs if mrkd.kappa_epochs is not None else config.run.epochs / 8
            modules["criterion"] = MrKD(net, len(self.classes), mrkd, round(kappa_epochs * self.steps_per_epoch()))
        self.modules = nn.ModuleDict(modules)

    def no_weight_decay(self) -> List[nn.Parameter]:
        """MrKD's FCN phi is trained without weight decay whatever optim.weight_decay says (sedkit's choice:
        the paper regularises the student, phi only combines its backups)."""
        criterion = self.modules["criterion"] if "criterion" in self.modules else None
        fcn = getattr(criterion, "fcn", None)
        return list(fcn.parameters()) if fcn is not None else []

    @property
    def model(self) -> nn.Module:
        return self.modules

    def steps_per_epoch(self) -> int:
        return max(1, len(self.y) // self.config.data.batch_size)

    def batches(self, epoch: int, rank: int = 0, world_size: int = 1):
        size = self.config.data.batch_size
        order = np.random.default_rng([self.config.run.seed, epoch]).permutation(len(self.y))
        for step in range(self.steps_per_epoch()):
            rows = order[step * size:(step + 1) * size][rank::world_size]
            x = np.stack([self.stats.normalise(self.train.matrix(i)) for i in rows])
            if self.config.data.distort and self.config.criterion.name != "cutnmix":
                distortion = np.random.default_rng([self.config.run.seed, epoch, step, 19])
                x = cnm.distort(x, distortion, self.config.criterion.cutnmix)
            batch = {"x": x, "y": self.y[rows], "rows": rows}
            if self.config.criterion.name == "cutnmix":
                batch = self._peer_views(batch, epoch, step)
            elif self.config.criterion.name == "unikd" and self.unlabeled is not None:
                pick = np.random.default_rng([self.config.run.seed, epoch, step, 17]).integers(
                    0, len(self.unlabeled.subset), len(rows))
                batch["x_u"] = np.stack([self.stats.normalise(self.unlabeled.matrix(int(i))) for i in pick])
                batch["rows_u"] = pick
            elif self.config.data.mixup_alpha > 0:
                mix = np.random.default_rng([self.config.run.seed, epoch, step, 11])
                lam = float(mix.beta(self.config.data.mixup_alpha, self.config.data.mixup_alpha))
                partner = mix.permutation(len(rows))
                batch = {"x": (lam * x + (1 - lam) * x[partner]).astype(np.float32), "y": batch["y"],
                         "y_b": batch["y"][partner], "lam": np.float32(lam)}
            yield batch

    def _teacher_probs(self, part: str, rows: np.ndarray, x: torch.Tensor) -> torch.Tensor:
        """UniKD's teacher probabilities (B, N, C) of the clips ``rows`` of ``part`` (labeled / unlabeled):
        looked up in a per-run cache filled on first use, or computed from ``x`` when caching is off."""
        teachers = self.modules["teachers"]
        if not self.config.criterion.unikd.cache_teachers:
            return teachers(x)
        if part not in self.teacher_cache:
            table = self.train if part == "labeled" else self.unlabeled
            size, chunks = self.config.data.batch_size, []
            for start in range(0, len(table.subset), size):
                block = np.stack([self.stats.normalise(table.matrix(i))
                                  for i in range(start, min(start + size, len(table.subset)))])
                chunks.append(teachers(torch.from_numpy(block).to(x.device)))
            self.teacher_cache[part] = torch.cat(chunks)
        return self.teacher_cache[part][torch.from_numpy(np.asarray(rows)).to(x.device)]

    def _peers(self) -> List[nn.Module]:
        peers = self.config.criterion.cutnmix.peers
        return [self.modules["net"]] + [self.modules[f"peer{i}"] for i in range(2, peers + 1)]

    def _peer_views(self, batch: dict, epoch: int, step: int) -> dict:
        """Each peer's distorted copy, then Cut^nMix (shared lambda and partners, a box per peer)."""
        c = self.config.criterion.cutnmix
        rng = np.random.default_rng([self.config.run.seed, epoch, step, 13])
        if c.distortion == "per_peer":
            views = [torch.from_numpy(cnm.distort(batch["x"], rng, c)) for _ in range(c.peers)]
        else:
            shared = cnm.distort(batch["x"], rng, c) if c.distortion == "shared" else batch["x"]
            views = [torch.from_numpy(shared.copy()) for _ in range(c.peers)]
        perm, lam = np.arange(len(batch["y"])), 0.0
        if c.mixing != "none":
            if c.mixing == "cutmix":  # one box for every peer: the same rectangle cut from each view
                mixed, perm_t, lam, boxes = cnm.cutnmix(views[:1], rng, c.beta_alpha)
                top, left, h, w = boxes[0]
                for view in views:
                    view[:, top:top + h, left:left + w] = view[perm_t, top:top + h, left:left + w]
            else:
                views, perm_t, lam, _ = cnm.cutnmix(views, rng, c.beta_alpha)
            perm = perm_t.numpy()
        return {"x": np.stack([v.numpy() for v in views]), "y": batch["y"], "perm": perm, "lam": np.float32(lam)}

    def _cutnmix_step(self, batch, device) -> Dict[str, torch.Tensor]:
        c = self.config.criterion.cutnmix
        y = torch.from_numpy(batch["y"]).to(device)
        perm, lam = torch.from_numpy(batch["perm"]).to(device), float(batch["lam"])
        outs = [peer(torch.from_numpy(batch["x"][j]).to(device)) for j, peer in enumerate(self._peers())]
        logits, features = [o["logits"] for o in outs], [o["features"] for o in outs]
        terms: Dict[str, torch.Tensor] = {}
        ce = [cnm.mixed_cross_entropy(z, y, perm, lam) for z in logits]
        dml = cnm.dml_losses(logits, c.tau) if c.peers > 1 else [torch.zeros((), device=device)] * c.peers
        total = sum(ce) + c.alpha * sum(dml)
        terms["ce"], terms["dml"] = sum(ce) / c.peers, sum(dml) / c.peers
        if c.mmd and c.peers > 1:
            mmd = cnm.mmd_losses(features)
            terms["mmd"] = sum(mmd) / c.peers
            total = total + c.beta * sum(mmd)
        if c.peer_teacher:
            z_pt = self.modules["peer_teacher"](features)
            terms["pt_ce"] = cnm.mixed_cross_entropy(z_pt, y, perm, lam)
            pt = cnm.peer_teacher_losses(z_pt, logits, c.tau)
            terms["pt"] = sum(pt) / c.peers
            total = total + c.gamma * sum(pt) + terms["pt_ce"]
        terms["loss"] = total
        return terms

    def training_step(self, batch, epoch: float, progress: float, device: torch.device) -> Dict[str, torch.Tensor]:
        if self.config.criterion.name == "cutnmix":
            return self._cutnmix_step(batch, device)
        if self.config.criterion.name == "unikd":
            x, y = torch.from_numpy(batch["x"]).to(device), torch.from_numpy(batch["y"]).to(device)
            net = self.modules["net"]
            x_u = torch.from_numpy(batch["x_u"]).to(device) if "x_u" in batch else None
            return unikd_step_loss(self.config.criterion.unikd, net(x)["logits"],
                                   self._teacher_probs("labeled", batch["rows"], x), y,
                                   None if x_u is None else net(x_u)["logits"],
                                   None if x_u is None else self._teacher_probs("unlabeled", batch["rows_u"], x_u))
        x, y = torch.from_numpy(batch["x"]).to(device), torch.from_numpy(batch["y"]).to(device)
        logits = self.modules["net"](x)["logits"]
        y_b = torch.from_numpy(batch["y_b"]).to(device) if "y_b" in batch else None
        lam = float(batch.get("lam", 1.0))
        if "criterion" in self.modules:
            return self.modules["criterion"](logits, y, x, y_b, lam)
        terms = lsr_family_loss(self.config.criterion.name, logits, y, self.config.criterion.lsr)
        if y_b is None:
            return terms
        # Mixup: every criterion here is linear in its target, so the mixed loss is the mixture of losses.
        other = lsr_family_loss(self.config.criterion.name, logits, y_b, self.config.criterion.lsr)
        return {key: lam * terms[key] + (1 - lam) * other[key] for key in terms}

    def after_optimizer_step(self, step: int) -> None:
        if "criterion" in self.modules:
            self.modules["criterion"].maybe_rotate(self.modules["net"], step + 1)

    def checkpoint_extra(self) -> dict:
        return {"classes": self.classes, "stats_mean": self.stats.mean, "stats_std": self.stats.std}

    def validate(self, device: torch.device) -> Dict[str, float]:
        if self.valid is None:
            return {}
        truth = np.array([self.index[label] for label in self.valid.labels])
        nets = self._peers() if self.config.criterion.name == "cutnmix" else [self.modules["net"]]
        peer_probs = [clip_probabilities(net, self.valid, self.stats, device) for net in nets]
        probs = peer_probs[0]  # peer 1 (what `sedkit classify` scores) decides the groups
        extra = {}
        if self.config.criterion.name == "cutnmix":  # every peer; the score is their mean accuracy
            extra = {f"accuracy_peer{j + 1}": float((p.argmax(1) == truth).mean()) for j, p in enumerate(peer_probs)}
        accuracy = float((probs.argmax(axis=1) == truth).mean())
        if extra:
            accuracy = float(np.mean(list(extra.values())))
        decided = group_decisions(probs, self.valid.groups, self.config.data.group_decision)
        group_truth = {g: t for g, t in zip(self.valid.groups, truth)}
        group_error = float(np.mean([decided[g] != group_truth[g] for g in decided]))
        return {"score": accuracy, "accuracy": accuracy, "clip_error": 1 - accuracy, "group_error": group_error,
                **extra}


def load_classifier(checkpoint: str | Path, classes: Optional[List[str]] = None, module: str = "net"):
    """(network in eval mode, checkpoint state) of a classification checkpoint; ``classes`` must match.
    ``module``: which network of the checkpoint (``net``; Cut^nMix peers 2..J are ``peer2``, ...)."""
    from sedkit.models.registry import get

    path = Path(checkpoint)
    state = read_checkpoint(path)
    try:
        config = from_dict(ClassificationExperimentConfig, state["config"])
    except InputError:
        raise InputError(f"{path}: not a sedkit classification checkpoint") from None
    own = state.get("extra", {}).get("classes")
    if classes is not None and own != list(classes):
        raise InputError(f"{path}: trained on other classes ({', '.join(own or [])})")
    model_class, model_config_class = get(config.model_name)
    net = model_class(from_dict(model_config_class, {**config.model, "n_classes": len(own)}))
    net.load_state_dict(network_weights(state, f"{module}.", path))
    return net.eval(), state


def evaluate_checkpoint(checkpoint, features: str | Path, labels: str | Path, out: str | Path,
                        group_rule: Optional[str] = None, device: str = "auto") -> Dict:
    """Score a labelled table with a trained classifier, or with the ensemble (mean probabilities) of
    several (``checkpoint`` a list): ``out/{probabilities.tsv, metrics.json, confusion.png}``.

    A single Cut^nMix checkpoint is scored with peer 1 (``net``), as validation decides groups; metrics.json
    then also holds ``peers``: each peer's clip accuracy (``accuracy``, peer 1 first) and their mean
    (``mean_accuracy``), the paper's "mean of peers" figure."""
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
            table = _Table(str(features), str(labels), config.data.clip_frames)
            index = {c: i for i, c in enumerate(classes)}
            unknown = sorted(set(table.labels) - set(index))
            if unknown:
                raise InputError(f"{labels}: label {unknown[0]!r} is not one of the model's classes")
        own = clip_probabilities(net, table, stats, target)
        probs = own if probs is None else probs + own
    probs = probs / len(checkpoints)
    truth = [index[label] for label in table.labels]
    metrics = classification_metrics(probs, truth, table.groups, classes, group_rule or config.data.group_decision)
    if len(checkpoints) == 1 and config.criterion.name == "cutnmix" and config.criterion.cutnmix.peers > 1:
        accuracies = [float(metrics["accuracy"])]
        for j in range(2, config.criterion.cutnmix.peers + 1):
            peer, _ = load_classifier(checkpoints[0], classes, f"peer{j}")
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
