"""Cut^nMix online distillation (Shen et al., 2022, "Mixed Sample Augmentation for Online Distillation"): the
pieces of the loss.

J peers learn together, each on its own independently distorted copy of the batch.

- Cut^nMix (Eqs. 5-7): one lambda ~ Beta(1, 1) and one partner permutation for the whole batch, shared by
  all peers; each peer pastes a box of its partner's input into its own, the box drawn independently per
  peer. sedkit's mask rule (the paper gives none for boxes): the box is round(H sqrt(lambda)) x
  round(W sqrt(lambda)) on (mel x time), placed uniformly so that it lies inside; its area fraction
  lambda_eff = h w / (H W) is the same for every peer and mixes the targets,
  ``y~ = lambda_eff y_partner + (1 - lambda_eff) y``.
- DML (Eq. 4): ``L_DML^j = 1/(J - 1) sum_{k != j} tau^2 KL(sg p(z^k; tau) || p(z^j; tau))`` (target = the
  detached peer: the standard DML direction; the paper writes the arguments the other way round).
- MMD (Eq. 9, linear kernel): ``L_MMD^j = 1/(J - 1) sum_{k != j} || mean_i f_i^j - sg mean_i f_i^k ||^2`` over
  the peers' pooled penultimate features.
- Peer teacher (Eq. 10): ``z^PT = g(f^1, ..., f^J)`` with g a linear layer on the concatenated (detached)
  features, trained only by its own CE on y~; ``L_PT^j = tau^2 KL(sg p(z^PT; tau) || p(z^j; tau))``.
- Per peer (Eq. 8): ``L^j = CE(z^j, y~) + alpha L_DML^j + beta L_MMD^j + gamma L_PT^j`` with tau^2 inside
  both KL terms (Eq. 4 and Eq. 8 disagree on it), alpha 0.6, beta 0.3, gamma 0.1, tau 3.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sedkit.training.distill.lsr import kl_div

__all__ = ["cutnmix", "mixed_cross_entropy", "dml_losses", "mmd_losses", "PeerTeacher", "peer_teacher_losses",
           "CutnMixConfig", "distort"]


def _box(rng: np.random.Generator, lam: float, height: int, width: int) -> Tuple[int, int, int, int]:
    h, w = int(round(height * math.sqrt(lam))), int(round(width * math.sqrt(lam)))
    top = int(rng.integers(0, height - h + 1))
    left = int(rng.integers(0, width - w + 1))
    return top, left, h, w


def cutnmix(inputs: Sequence[torch.Tensor], rng: np.random.Generator, alpha: float = 1.0):
    """Mix each peer's batch (B, H, W) with a shared lambda and partner order and its own box.

    Returns (mixed inputs, partner permutation, lambda_eff, boxes): the fraction lambda_eff of every
    peer's input comes from the partner ``perm[i]``.
    """
    batch, height, width = inputs[0].shape
    lam = float(rng.beta(alpha, alpha))
    perm = torch.from_numpy(rng.permutation(batch)).to(inputs[0].device)
    boxes, mixed = [], []
    for x in inputs:
        top, left, h, w = _box(rng, lam, height, width)
        out = x.clone()
        out[:, top:top + h, left:left + w] = x[perm, top:top + h, left:left + w]
        boxes.append((top, left, h, w))
        mixed.append(out)
    top, left, h, w = boxes[0]
    return mixed, perm, h * w / (height * width), boxes


def mixed_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, perm: torch.Tensor, lam_eff: float) -> torch.Tensor:
    """CE with y~ = lam_eff y_partner + (1 - lam_eff) y."""
    return lam_eff * F.cross_entropy(logits, labels[perm]) + (1 - lam_eff) * F.cross_entropy(logits, labels)


def dml_losses(logits: Sequence[torch.Tensor], tau: float) -> List[torch.Tensor]:
    peers = len(logits)
    return [sum(tau ** 2 * kl_div(F.softmax(logits[k].detach() / tau, dim=1), F.log_softmax(logits[j] / tau, dim=1))
                for k in range(peers) if k != j) / (peers - 1) for j in range(peers)]


def mmd_losses(features: Sequence[torch.Tensor]) -> List[torch.Tensor]:
    means = [f.mean(dim=0) for f in features]
    peers = len(features)
    return [sum(((means[j] - means[k].detach()) ** 2).sum() for k in range(peers) if k != j) / (peers - 1)
            for j in range(peers)]


class PeerTeacher(nn.Module):
    """g: concatenated peer features (detached by default) -> logits."""

    def __init__(self, n_peers: int, feature_dim: int, n_classes: int, detach: bool = True):
        super().__init__()
        self.linear = nn.Linear(n_peers * feature_dim, n_classes)
        self.detach = detach

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        joined = torch.cat([f.detach() if self.detach else f for f in features], dim=1)
        return self.linear(joined)


def peer_teacher_losses(teacher_logits: torch.Tensor, logits: Sequence[torch.Tensor], tau: float) -> List[torch.Tensor]:
    target = F.softmax(teacher_logits.detach() / tau, dim=1)
    return [tau ** 2 * kl_div(target, F.log_softmax(z / tau, dim=1)) for z in logits]


@dataclass
class CutnMixConfig:
    """Online distillation of ``peers`` networks (defaults: the paper's J 2, tau 3, alpha 0.6, beta 0.3,
    gamma 0.1, lambda ~ Beta(1, 1)). Switches give the paper's ablations: Table 1's DML is
    ``mixing: none, mmd: false, peer_teacher: false``; DML + CutMix is ``mixing: cutmix`` (one box for all
    peers); the full method ``mixing: cutnmix`` with both terms; Table 2's rows toggle ``mmd`` and
    ``peer_teacher``. The base augmentation (:func:`distort`) is a random circular time shift of up to
    ``shift_fraction`` of the clip and ``masks`` time and frequency masks (SpecAugment-like) of up to
    ``mask_fraction`` of each axis; ``distortion: per_peer`` draws it for each peer (Cut^nMix's own rows:
    every peer sees its own view), ``shared`` once for the batch and feeds that same view to every peer (the
    paper's DML and DML + CutMix rows: "identically the same batch"), ``none`` not at all. The CE baseline gets
    the same base augmentation with ``data.distort: true``, so every row of Table 1 is augmented alike."""

    peers: int = 2
    tau: float = 3.0
    alpha: float = 0.6
    beta: float = 0.3
    gamma: float = 0.1
    mixing: str = "cutnmix"  # cutnmix | cutmix | none
    distortion: str = "per_peer"  # per_peer | shared | none
    beta_alpha: float = 1.0
    mmd: bool = True
    peer_teacher: bool = True
    shift_fraction: float = 0.1
    masks: int = 1
    mask_fraction: float = 0.1


def distort(x: np.ndarray, rng: np.random.Generator, config: CutnMixConfig) -> np.ndarray:
    """A peer's own view of a batch (B, T, F): circular time shift and time/frequency masks per clip."""
    out = x.copy()
    frames, bins = x.shape[1], x.shape[2]
    for clip in out:
        clip[:] = np.roll(clip, int(rng.integers(-int(config.shift_fraction * frames),
                                                 int(config.shift_fraction * frames) + 1)), axis=0)
        for _ in range(config.masks):
            width = int(rng.integers(0, int(config.mask_fraction * frames) + 1))
            start = int(rng.integers(0, frames - width + 1))
            clip[start:start + width] = 0.0
            width = int(rng.integers(0, int(config.mask_fraction * bins) + 1))
            start = int(rng.integers(0, bins - width + 1))
            clip[:, start:start + width] = 0.0
    return out
