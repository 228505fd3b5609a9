"""Mean-teacher pieces: EMA teachers, the sigmoid ramp-up, consistency losses (MMT-DA paper Eqs. 1, 4, 5).

- EMA (Tarvainen & Valpola 2017; the paper gives no value): after every optimiser step
  ``teacher <- a teacher + (1 - a) student`` with ``a = min(1 - 1 / (step + 1), decay)``, decay 0.999
  (DCASE baseline). The warm-up term makes the teacher a plain average early on. Buffers (BatchNorm
  statistics) are averaged the same way.
- Ramp-up (paper: lr and consistency weight over the first 20 epochs; shape from the mean-teacher code):
  ``r(t) = exp(-5 (1 - t / T)^2)`` for t < T, else 1, with t in fractional epochs.
- Consistency (Eq. 1): ``J_mse(f_sed_student, sg f_sed_teacher) + J_mse(f_at_student, sg f_at_teacher)``,
  mean squared error over all elements; the teacher side never gets gradients. The hard-label variant
  (Table 2 "hard") uses BCE against ``1[teacher >= threshold]``.
"""
from __future__ import annotations

import copy
import math
from typing import Dict

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["sigmoid_rampup", "make_teacher", "ema_update", "consistency_loss"]


def sigmoid_rampup(epoch: float, rampup_epochs: float) -> float:
    """exp(-5 (1 - t/T)^2) for t < T, else 1 (0 at t = 0 is exp(-5) = 0.0067)."""
    if rampup_epochs <= 0 or epoch >= rampup_epochs:
        return 1.0
    phase = 1.0 - max(epoch, 0.0) / rampup_epochs
    return float(math.exp(-5.0 * phase * phase))


def make_teacher(student: nn.Module) -> nn.Module:
    """A frozen copy of ``student`` (no gradients) to be updated by :func:`ema_update`."""
    teacher = copy.deepcopy(student)
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    return teacher


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, decay: float, step: int) -> None:
    """teacher <- a teacher + (1 - a) student, a = min(1 - 1/(step + 1), decay); buffers likewise."""
    alpha = min(1.0 - 1.0 / (step + 1), decay)
    for t_param, s_param in zip(teacher.parameters(), student.parameters()):
        t_param.mul_(alpha).add_(s_param.detach(), alpha=1.0 - alpha)
    for t_buffer, s_buffer in zip(teacher.buffers(), student.buffers()):
        if t_buffer.dtype.is_floating_point:
            t_buffer.mul_(alpha).add_(s_buffer, alpha=1.0 - alpha)
        else:
            t_buffer.copy_(s_buffer)


def consistency_loss(student: Dict[str, torch.Tensor], teacher: Dict[str, torch.Tensor], hard: bool = False,
                     threshold: float = 0.5) -> torch.Tensor:
    """Frame + clip consistency between student and (detached) teacher outputs, MSE or hard-label BCE."""
    total = student["frame"].new_zeros(())
    for key in ("frame", "clip"):
        target = teacher[key].detach()
        if hard:
            total = total + F.binary_cross_entropy(student[key], (target >= threshold).float())
        else:
            total = total + F.mse_loss(student[key], target)
    return total
