"""Unified ensemble knowledge distillation (UniKD; Wu et al., 2022): the losses.

N frozen teachers give probabilities p_i (no gradient); the student has logits z_s, probabilities p_s.

Labelled data (Eqs. 1-3): teacher task losses ``L_i = CE(p_i, y)``; the ensemble target
``yhat = sum_i w_i p_i``; ``L_d = -sum_c yhat_c log p_s,c``; ``L = L_d / (1 + mean_i L_i) + CE(p_s, y)``.
Eq. 1 as printed weighs teacher i by ``L_i / sum_j L_j`` — a *larger* weight for a *worse* teacher —
while the sentence after it says a higher loss yields a lower importance. sedkit implements the stated
intent (weights that sum to 1 and fall as L_i grows), default ``softmax``: ``w_i = softmax_i(-L_i)``,
which for CE losses equals ``p_i(y) / sum_j p_j(y)`` (each teacher's true-class probability, normalised;
defined for N = 1, no epsilon). Options: ``inverse``, ``w_i ∝ 1 / (L_i + eps)``; ``complement``,
``w_i = (1 - L_i / sum_j L_j) / (N - 1)`` (N >= 2).

Unlabelled data (Eqs. 4-5): ``yhat = mean_i p_i``; ``L_d`` as above; the teachers' disagreement
``L_p = 1 / (N (N - 1)) sum_{i != j} KL(p_i || p_j)`` (ordered pairs, probabilities clamped at 1e-8);
``L = (1 + lambda L_p) L_d`` with lambda 10 (Fig. 4: 10-15). All per sample, then averaged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sedkit.errors import InputError
from sedkit.training.criteria import Criterion, register

__all__ = ["teacher_weights", "unikd_labeled_loss", "unikd_unlabeled_loss", "teacher_disagreement", "UniKDConfig",
           "FrozenEnsemble", "unikd_step_loss", "renormalisation", "UniKD"]


@dataclass
class UniKDConfig:
    """UniKD and the baselines of the paper's Table 2, by what each data part contributes.

    ``labeled``: ``ce`` (student CE only), ``plain`` (CE + soft CE against the plain teacher average:
    KD-Labeled), ``weighted`` (Eq. 3). ``unlabeled``: ``none``, ``plain`` (soft CE against the teacher
    average: KD-Unlabeled), ``weighted`` (Eq. 5). UniKD is ``weighted`` + ``weighted`` (the default).
    ``teacher_weights`` / ``loss_factor`` switch the two weighting mechanisms of Eq. 3 separately (the
    paper's Fig. 3): the per-teacher weights of Eqs. 1-2 (off: the teachers' plain mean) and the factor
    1 / (1 + mean_i L_i) (off: 1).
    ``teacher_checkpoints``: the N frozen teachers (same task, e.g. N seeds on the labelled half).
    ``cache_teachers``: the teachers are frozen and in eval mode and no augmentation touches UniKD's batches
    (no mixup, fixed crops), so each clip's teacher probabilities never change: with ``true`` (default) they
    are computed once per run for every labelled and unlabelled clip and looked up at each step (N teacher
    forwards per clip in all instead of per clip and epoch); ``false`` runs the teachers at every step (same
    numbers up to float rounding; for an augmentation added to these batches one day).
    """

    teacher_checkpoints: List[str] = field(default_factory=list)
    weighting: Literal["softmax", "inverse", "complement"] = "softmax"
    teacher_weights: bool = True  # Eq. 1-2: teachers weighted by their loss (false: plain mean, Fig. 3)
    loss_factor: bool = True  # Eq. 3: L_d divided by 1 + mean_i L_i (false: factor 1, Fig. 3)
    lambda_disagreement: float = 10.0
    labeled: Literal["ce", "plain", "weighted"] = "weighted"
    unlabeled: Literal["none", "plain", "weighted"] = "weighted"
    cache_teachers: bool = True


class FrozenEnsemble(nn.Module):
    """Frozen teachers (always eval mode, no gradients) -> probabilities (B, N, C).

    Each teacher sees the features normalised with the statistics it was trained with: ``renormalise``
    gives, per teacher, (scale, shift) over the mel axis turning the student's normalised input into the
    teacher's, ``x * scale + shift`` with scale = std_student / std_teacher and shift = (mean_student -
    mean_teacher) / std_teacher (:func:`renormalisation`). Without it every teacher gets the input as it is.
    """

    def __init__(self, teachers: List[nn.Module], renormalise: Optional[List[Tuple[np.ndarray, np.ndarray]]] = None):
        super().__init__()
        self.teachers = nn.ModuleList(teachers)
        self.teachers.requires_grad_(False)
        if renormalise is not None:
            self.register_buffer("scale", torch.from_numpy(np.stack([s for s, _ in renormalise])).float())
            self.register_buffer("shift", torch.from_numpy(np.stack([b for _, b in renormalise])).float())
        else:
            self.scale = self.shift = None

    def train(self, mode: bool = True):
        super().train(mode)
        self.teachers.eval()
        return self

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = []
        for index, teacher in enumerate(self.teachers):
            own = x if self.scale is None else x * self.scale[index] + self.shift[index]
            probs.append(torch.softmax(teacher(own)["logits"], dim=1))
        return torch.stack(probs, dim=1)


def renormalisation(student_stats, teacher_stats) -> Tuple[np.ndarray, np.ndarray]:
    """(scale, shift) with ``x_student * scale + shift = (raw - mean_teacher) / std_teacher`` for
    ``x_student = (raw - mean_student) / std_student``."""
    scale = np.asarray(student_stats.std, dtype=np.float64) / np.asarray(teacher_stats.std, dtype=np.float64)
    shift = (np.asarray(student_stats.mean, dtype=np.float64) - np.asarray(teacher_stats.mean, dtype=np.float64)) \
        / np.asarray(teacher_stats.std, dtype=np.float64)
    return scale, shift


def unikd_step_loss(config: UniKDConfig, student_l: torch.Tensor, teachers_l: torch.Tensor, labels: torch.Tensor,
                    student_u: torch.Tensor | None, teachers_u: torch.Tensor | None) -> Dict[str, torch.Tensor]:
    """mean over the labelled batch (Eq. 3 or a baseline) + mean over the unlabelled batch (Eq. 5 or a baseline)."""
    terms: Dict[str, torch.Tensor] = {}
    if config.labeled == "weighted":
        labeled = unikd_labeled_loss(student_l, teachers_l, labels, config.weighting, config.teacher_weights,
                                     config.loss_factor)
        terms["labeled"] = labeled["loss"]
    else:
        terms["labeled"] = F.cross_entropy(student_l, labels)
        if config.labeled == "plain":
            terms["labeled"] = terms["labeled"] - (teachers_l.mean(1) * F.log_softmax(student_l, 1)).sum(1).mean()
    total = terms["labeled"]
    if config.unlabeled != "none" and student_u is not None:
        lam = config.lambda_disagreement if config.unlabeled == "weighted" else 0.0
        terms["unlabeled"] = unikd_unlabeled_loss(student_u, teachers_u, lam)["loss"]
        total = total + terms["unlabeled"]
    terms["loss"] = total
    return terms

EPS = 1e-8


def teacher_weights(losses: torch.Tensor,
                    rule: Literal["softmax", "inverse", "complement"] = "softmax") -> torch.Tensor:
    """Per-sample teacher weights (B, N) from teacher losses (B, N): sum to 1, fall as a loss grows."""
    if rule == "softmax":
        return torch.softmax(-losses, dim=1)
    if rule == "inverse":
        inverse = 1.0 / (losses + EPS)
        return inverse / inverse.sum(dim=1, keepdim=True)
    n = losses.shape[1]
    if n < 2:
        raise ValueError("the complement rule needs at least two teachers")
    return (1.0 - losses / (losses.sum(dim=1, keepdim=True) + EPS)) / (n - 1)


def unikd_labeled_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor, labels: torch.Tensor,
                       rule: str = "softmax", weighted: bool = True, factored: bool = True) -> Dict[str, torch.Tensor]:
    """Eq. 3 on a labelled batch; ``teacher_probs`` (B, N, C). ``weighted`` / ``factored``: the teacher
    weights of Eqs. 1-2 (else the plain mean) and the factor 1 / (1 + mean_i L_i) (else 1)."""
    teacher_probs = teacher_probs.detach()
    n_teachers = teacher_probs.shape[1]
    log_student = F.log_softmax(student_logits, dim=1)
    true = teacher_probs.gather(2, labels[:, None, None].expand(-1, teacher_probs.shape[1], 1)).squeeze(2)
    teacher_losses = -torch.log(true.clamp_min(EPS))  # (B, N)
    weights = teacher_weights(teacher_losses, rule) if weighted else torch.full_like(teacher_losses, 1.0 / n_teachers)
    target = (weights[:, :, None] * teacher_probs).sum(dim=1)
    distill = -(target * log_student).sum(dim=1)
    factor = 1.0 / (1.0 + teacher_losses.mean(dim=1)) if factored else torch.ones_like(distill)
    student_ce = F.nll_loss(log_student, labels, reduction="none")
    return {"L_d": distill.mean(), "L_s": student_ce.mean(), "factor": factor.mean(),
            "loss": (distill * factor + student_ce).mean()}


def teacher_disagreement(teacher_probs: torch.Tensor) -> torch.Tensor:
    """Eq. 4 per sample: mean KL(p_i || p_j) over ordered pairs i != j (0 for a single teacher)."""
    n = teacher_probs.shape[1]
    if n < 2:
        return teacher_probs.new_zeros(teacher_probs.shape[0])
    p = teacher_probs.clamp_min(EPS)
    log_p = p.log()
    # sum_{i,j} KL(p_i || p_j) = sum_{i,j} sum_c p_i (log p_i - log p_j); the i = j terms are 0
    pairwise = (p[:, :, None, :] * (log_p[:, :, None, :] - log_p[:, None, :, :])).sum(dim=3)
    return pairwise.sum(dim=(1, 2)) / (n * (n - 1))


def unikd_unlabeled_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor,
                         lam: float = 10.0) -> Dict[str, torch.Tensor]:
    """Eq. 5 on an unlabelled batch; ``teacher_probs`` (B, N, C)."""
    teacher_probs = teacher_probs.detach()
    target = teacher_probs.mean(dim=1)
    distill = -(target * F.log_softmax(student_logits, dim=1)).sum(dim=1)
    disagreement = teacher_disagreement(teacher_probs)
    return {"L_d": distill.mean(), "L_p": disagreement.mean(), "loss": ((1.0 + lam * disagreement) * distill).mean()}


@register("unikd", section="unikd", config_class=UniKDConfig)
class UniKD(Criterion):
    """UniKD as a classification method: the frozen teachers (checkpoint module ``teachers``, each with its
    own normalisation statistics), an unlabelled clip per labelled one in every batch (``data.unlabeled_*``),
    the teachers' probabilities cached per clip (``cache_teachers``). Makes its own batches: no mixup, no
    ``data.distort`` (the cache needs unaugmented clips)."""

    accepts_mixup = False
    accepts_distort = False

    def __init__(self, name, config: UniKDConfig, context):
        from sedkit.data.datasets import ClipTable
        from sedkit.training.checkpoint import checkpoint_statistics
        from sedkit.training.classification import load_classifier

        super().__init__(name, config, context)
        if not config.teacher_checkpoints:
            raise InputError("criterion.unikd.teacher_checkpoints: give the frozen teachers' checkpoints")
        loaded = [load_classifier(path, context.classes) for path in config.teacher_checkpoints]
        self.teachers = FrozenEnsemble([net for net, _ in loaded],
                                       [renormalisation(context.stats, checkpoint_statistics(state))
                                        for _, state in loaded])
        self.unlabeled, self.cache = None, {}
        if config.unlabeled != "none":
            d = context.data
            if not (d.unlabeled_features and d.unlabeled_labels):
                raise InputError("UniKD on unlabelled data needs data.unlabeled_features and data.unlabeled_labels")
            self.unlabeled = ClipTable(d.unlabeled_features, d.unlabeled_labels, d.clip_frames, need_label=False)

    def modules(self) -> Dict[str, nn.Module]:
        return {"teachers": self.teachers}

    def prepare_batch(self, batch: dict, epoch: int, step: int) -> dict:
        if self.unlabeled is None:
            return batch
        pick = np.random.default_rng([self.context.run.seed, epoch, step, 17]).integers(
            0, len(self.unlabeled), len(batch["rows"]))
        stats = self.context.stats
        return {**batch, "x_u": np.stack([stats.normalise(self.unlabeled.matrix(int(i))) for i in pick]),
                "rows_u": pick}

    def _teacher_probs(self, part: str, rows: np.ndarray, x: torch.Tensor) -> torch.Tensor:
        """Teacher probabilities (B, N, C) of the clips ``rows`` of ``part`` (labeled / unlabeled): looked up
        in a per-run cache filled on first use, or computed from ``x`` when caching is off."""
        if not self.config.cache_teachers:
            return self.teachers(x)
        if part not in self.cache:
            table = self.context.train if part == "labeled" else self.unlabeled
            size, chunks = self.context.data.batch_size, []
            for start in range(0, len(table), size):
                block = np.stack([self.context.stats.normalise(table.matrix(i))
                                  for i in range(start, min(start + size, len(table)))])
                chunks.append(self.teachers(torch.from_numpy(block).to(x.device)))
            self.cache[part] = torch.cat(chunks)
        return self.cache[part][torch.from_numpy(np.asarray(rows)).to(x.device)]

    def loss(self, batch: dict, device) -> Dict[str, torch.Tensor]:
        x, y = self.tensors(batch, device, "x", "y")
        net = self.context.net
        x_u = self.tensors(batch, device, "x_u")[0] if "x_u" in batch else None
        return unikd_step_loss(self.config, net(x)["logits"], self._teacher_probs("labeled", batch["rows"], x), y,
                               None if x_u is None else net(x_u)["logits"],
                               None if x_u is None else self._teacher_probs("unlabeled", batch["rows_u"], x_u))
