"""Batch augmentation for SED training: SpecAugment-style masking and mixup (both off by default).

The MMT-DA paper uses none; DCASE systems commonly add them, so they are options. Both work on a batch
of normalised log-mel ``x`` (batch, frames, mels) in numpy and are drawn from the generator they are
given (seeded per (seed, epoch, step) by the sampler, so a resumed run repeats them):

- masking: ``time_masks`` stripes of up to ``time_mask_max_s`` seconds and ``freq_masks`` stripes of up to
  ``freq_mask_max_bins`` mel bins per clip, set to 0 (the normalised mean);
- mixup (Zhang et al. 2018): with probability ``mixup_prob`` per batch, each group of clips (strong,
  weak, unlabelled) is mixed with a shuffled copy of itself, ``x = l x_i + (1 - l) x_j`` with
  ``l ~ Beta(mixup_alpha, mixup_alpha)``, and so are its targets (soft targets).

Clip classification has its own two (``data.distort`` and ``data.mixup_alpha`` of a classification config):
:func:`distort`, a random circular time shift and time / frequency masks per clip (the base augmentation of
Cut^nMix's views, Shen et al. 2022), and :func:`mixup_clips`, mixup of single-label clips.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import numpy as np

__all__ = ["AugmentConfig", "augment_batch", "DistortionConfig", "distort", "mixup_clips"]


@dataclass
class AugmentConfig:
    time_masks: int = 0
    time_mask_max_s: float = 0.5
    freq_masks: int = 0
    freq_mask_max_bins: int = 8
    mixup_prob: float = 0.0
    mixup_alpha: float = 0.2

    @property
    def enabled(self) -> bool:
        return self.time_masks > 0 or self.freq_masks > 0 or self.mixup_prob > 0


def _mask(x: np.ndarray, rng: np.random.Generator, axis: int, count: int, max_width: int) -> None:
    size = x.shape[axis]
    for clip in x:
        for _ in range(count):
            width = int(rng.integers(0, max(1, min(max_width, size)) + 1))
            start = int(rng.integers(0, size - width + 1))
            if axis == 1:
                clip[start:start + width, :] = 0.0
            else:
                clip[:, start:start + width] = 0.0


def augment_batch(batch: Dict[str, np.ndarray], config: AugmentConfig, rng: np.random.Generator,
                  frame_hop_s: float) -> Dict[str, np.ndarray]:
    """Masking and mixup applied to a collated batch (a modified copy)."""
    batch = dict(batch)
    x = batch["x"].copy()
    if config.mixup_prob > 0 and rng.random() < config.mixup_prob:
        strong, weak = batch["strong"].copy(), batch["weak"].copy()
        lam = float(rng.beta(config.mixup_alpha, config.mixup_alpha))
        for group in ("is_strong", "is_weak", "is_unlabel"):
            rows = np.flatnonzero(batch[group])
            if rows.size > 1:
                partner = rows[rng.permutation(rows.size)]
                x[rows] = lam * x[rows] + (1 - lam) * batch["x"][partner]
                strong[rows] = lam * batch["strong"][rows] + (1 - lam) * batch["strong"][partner]
                weak[rows] = lam * batch["weak"][rows] + (1 - lam) * batch["weak"][partner]
        batch["strong"], batch["weak"] = strong, weak
    if config.time_masks:
        _mask(x, rng, 1, config.time_masks, int(round(config.time_mask_max_s / frame_hop_s)))
    if config.freq_masks:
        _mask(x, rng, 2, config.freq_masks, config.freq_mask_max_bins)
    batch["x"] = x
    return batch


@dataclass
class DistortionConfig:
    """A random circular time shift of up to ``shift_fraction`` of the clip, then ``masks`` time and ``masks``
    frequency masks (set to 0) of up to ``mask_fraction`` of each axis (sedkit's choice: Shen et al. 2022 only
    say each peer sees its own distorted copy)."""

    shift_fraction: float = 0.1
    masks: int = 1
    mask_fraction: float = 0.1


def distort(x: np.ndarray, rng: np.random.Generator, config: DistortionConfig) -> np.ndarray:
    """A distorted copy of a batch (B, T, F): time shift and masks drawn per clip (``config``: any object with
    ``shift_fraction``, ``masks`` and ``mask_fraction``)."""
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


def mixup_clips(batch: Dict[str, np.ndarray], alpha: float, rng: np.random.Generator) -> Dict[str, np.ndarray]:
    """Mixup of single-label clips (Zhang et al. 2018): lambda ~ Beta(alpha, alpha), each clip of ``x`` mixed
    with a partner of the batch; returns ``x``, ``y``, ``y_b`` (the partners' labels) and ``lam``."""
    lam = float(rng.beta(alpha, alpha))
    partner = rng.permutation(len(batch["y"]))
    x = batch["x"]
    return {"x": (lam * x + (1 - lam) * x[partner]).astype(np.float32), "y": batch["y"],
            "y_b": batch["y"][partner], "lam": np.float32(lam)}
