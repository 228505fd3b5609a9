"""Label smoothing and its teacher-free relatives (Wang et al., Applied Sciences 2021).

Notation: logits z, ``p(z; tau) = softmax(z / tau)``, one-hot target q, M classes, u = uniform 1/M,
``KL(P || Q) = sum_m P_m log(P_m / Q_m)`` with the target first, summed over classes and averaged over the
batch. CE is always at tau = 1.

- ``ce``: CE(p(1), q).
- ``lsr`` (Eqs. 3-4): CE(p(1), q') with q' = (1 - alpha) q + alpha u; equals (1 - alpha) CE + alpha KL(u || p(1))
  plus the constant alpha log M (Eq. 7 writes "="; the gradients are equal — tested).
- ``tfkd`` (Eqs. 8-9, teacher-free KD): (1 - alpha) CE + alpha tau_student^2 multiplier
  KL(softmax(p' / tau_teacher) || p(z; tau_student)), with the hand-made teacher p'_m = gamma on the true
  class and (1 - gamma) / (M - 1) elsewhere. The paper's subscripts disagree between its text and Eq. 8; sedkit
  names them ``tau_teacher`` (>= 20 in the paper) and ``tau_student``, and the tau^2 factor uses tau_student.
- ``lsr_os`` (Eq. 10): (1 - alpha) CE + alpha tau^2 KL(u || p(z; tau)).
- ``lsr_os_tc`` (Eq. 11): (1 - alpha) CE + alpha **tau** KL(p' || p(z; tau)), p' of Eq. 9 used as it is (no
  softmax). Eq. 11 prints KL(p(tau) || p'), but its gradient (Eq. 14), (1/tau)(p_m(tau) - p'_m), is that of
  KL(p' || p(tau)): sedkit puts the target first. The gradient on the logits is alpha (p(tau) - p').
  ``tc_factor: tau2`` multiplies the KL by tau^2 instead of tau (the paper's Fig. 8 compares the two).

Defaults where the paper gives none (sedkit's choices, listed in docs/papers.md): alpha 0.1; tau 2; gamma 0.25
for M = 10 (keep gamma > 1/M); Tf-KD tau_teacher 20, tau_student 1, gamma 0.9, multiplier 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Literal

import torch
import torch.nn.functional as F

from sedkit.training.criteria import Criterion, register

__all__ = ["LSRConfig", "kl_div", "handmade_teacher", "lsr_family_loss", "LSRFamily"]


@dataclass
class LSRConfig:
    alpha: float = 0.1
    tau: float = 2.0
    gamma: float = 0.25
    tau_teacher: float = 20.0
    tau_student: float = 1.0
    tfkd_gamma: float = 0.9
    multiplier: float = 1.0
    tc_factor: Literal["tau", "tau2"] = "tau"  # LSR-OS-TC's factor on its KL term (Eq. 11: tau; Fig. 8: tau^2)


def kl_div(target: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """KL(target || q) summed over classes, mean over the batch (target probabilities, q as log-probs)."""
    return F.kl_div(log_q, target, reduction="batchmean")


def handmade_teacher(labels: torch.Tensor, n_classes: int, gamma: float) -> torch.Tensor:
    """Eq. 9: gamma on the true class, (1 - gamma) / (M - 1) on the others."""
    teacher = torch.full((labels.shape[0], n_classes), (1.0 - gamma) / (n_classes - 1), device=labels.device)
    return teacher.scatter(1, labels[:, None], gamma)


def lsr_family_loss(name: Literal["ce", "lsr", "tfkd", "lsr_os", "lsr_os_tc"], logits: torch.Tensor,
                    labels: torch.Tensor, config: LSRConfig) -> Dict[str, torch.Tensor]:
    """The named loss (see module doc) with its terms: ``ce``, ``kd`` (when there is one), ``loss``."""
    n_classes = logits.shape[1]
    ce = F.cross_entropy(logits, labels)
    a = config.alpha
    if name == "ce":
        return {"ce": ce, "loss": ce}
    if name == "lsr":
        smoothed = (1 - a) * F.one_hot(labels, n_classes).float() + a / n_classes
        loss = -(smoothed * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
        return {"ce": ce, "loss": loss}
    if name == "tfkd":
        teacher = F.softmax(handmade_teacher(labels, n_classes, config.tfkd_gamma) / config.tau_teacher, dim=1)
        kd = kl_div(teacher, F.log_softmax(logits / config.tau_student, dim=1))
        return {"ce": ce, "kd": kd, "loss": (1 - a) * ce + a * config.tau_student ** 2 * config.multiplier * kd}
    log_p_tau = F.log_softmax(logits / config.tau, dim=1)
    if name == "lsr_os":
        uniform = torch.full_like(logits, 1.0 / n_classes)
        kd = kl_div(uniform, log_p_tau)
        return {"ce": ce, "kd": kd, "loss": (1 - a) * ce + a * config.tau ** 2 * kd}
    if name == "lsr_os_tc":
        kd = kl_div(handmade_teacher(labels, n_classes, config.gamma), log_p_tau)
        factor = config.tau if config.tc_factor == "tau" else config.tau ** 2
        return {"ce": ce, "kd": kd, "loss": (1 - a) * ce + a * factor * kd}
    raise ValueError(f"unknown criterion {name!r}")




@register("ce", "lsr", "tfkd", "lsr_os", "lsr_os_tc", section="lsr", config_class=LSRConfig)
class LSRFamily(Criterion):
    """CE and the LSR family: a loss of the network's logits and the labels alone. With mixup (``y_b``,
    ``lam``) the loss of the mixed target is the mixture of the two labels' losses, every criterion here being
    linear in its target."""

    def loss(self, batch, device) -> Dict[str, torch.Tensor]:
        x, y = self.tensors(batch, device, "x", "y")
        logits = self.context.net(x)["logits"]
        terms = lsr_family_loss(self.name, logits, y, self.config)
        if "y_b" not in batch:
            return terms
        other = lsr_family_loss(self.name, logits, self.tensors(batch, device, "y_b")[0], self.config)
        lam = float(batch["lam"])
        return {key: lam * terms[key] + (1 - lam) * other[key] for key in terms}
