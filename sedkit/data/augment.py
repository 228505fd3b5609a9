"""Batch augmentation for SED training (all off by default).

The MMT-DA paper uses none; DCASE systems commonly add them, and a detector trained from a few recordings per
class needs them (docs/recipes.md, "Training on your own recordings"). All work on a batch of normalised
log-mel ``x`` (batch, frames, mels) in numpy and are drawn from the generator they are given (seeded per
(seed, epoch, step) by the sampler, so a resumed run repeats them). Applied in this order:

- frame shift: each clip and its strong targets rolled together by the same whole number of output frames,
  uniform in ``+-time_shift_max_s`` (DCASE 2021+ baselines roll features and labels this way; the event
  that leaves one end comes back at the other, as in theirs);
- random gain: a level drawn per clip, uniform in ``+-gain_db`` dB, added to every bin (a log-mel in dB moves
  by the gain; in normalised units by ``gain / std`` of each bin): a recording at another level;
- FilterAugment (Nam et al., "FilterAugment: an acoustic environmental data augmentation method", ICASSP
  2022, Sec. 2): the mel axis is cut into ``filter_bands`` (a range) bands at random boundaries and each
  band gets a gain uniform in ``+-filter_db`` dB, as steps (``filter_kind: step``) or linearly interpolated
  between band centres (``linear``): another microphone's or room's frequency response;
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
from typing import Dict, Literal, Optional, Tuple

import numpy as np

__all__ = ["AugmentConfig", "augment_batch", "DistortionConfig", "distort", "mixup_clips"]


@dataclass
class AugmentConfig:
    """SED batch augmentation; durations in seconds, levels in dB (see the module docstring)."""

    time_shift_max_s: float = 0.0
    gain_db: float = 0.0
    filter_db: float = 0.0
    filter_bands: Tuple[int, int] = (2, 5)
    filter_kind: Literal["step", "linear"] = "linear"
    time_masks: int = 0
    time_mask_max_s: float = 0.5
    freq_masks: int = 0
    freq_mask_max_bins: int = 8
    mixup_prob: float = 0.0
    mixup_alpha: float = 0.2

    @property
    def enabled(self) -> bool:
        return (self.time_masks > 0 or self.freq_masks > 0 or self.mixup_prob > 0 or self.time_shift_max_s > 0
                or self.gain_db > 0 or self.filter_db > 0)

    def __post_init__(self):
        from sedkit.config import ConfigError

        if min(self.time_shift_max_s, self.gain_db, self.filter_db) < 0:
            raise ConfigError("augment: time_shift_max_s, gain_db and filter_db must be >= 0")
        if not 1 <= self.filter_bands[0] <= self.filter_bands[1]:
            raise ConfigError(f"augment.filter_bands {list(self.filter_bands)}: need 1 <= low <= high")


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


def filter_gains_db(n_bins: int, bands: int, gains_db: np.ndarray, boundaries: np.ndarray,
                    kind: str) -> np.ndarray:
    """FilterAugment's gain per bin (dB) for ``bands`` bands: ``boundaries`` (bands - 1 sorted bin indices
    in (0, n_bins)) cut the axis, band ``b`` gets ``gains_db[b]``; ``linear`` interpolates between the
    bands' centres (constant beyond the first and last centre). Nam et al. 2022, Sec. 2."""
    edges = np.concatenate([[0], np.asarray(boundaries, dtype=float), [n_bins]])
    if kind == "step":
        return np.asarray(gains_db, dtype=float)[np.searchsorted(edges[1:-1], np.arange(n_bins), side="right")]
    centres = (edges[:-1] + edges[1:]) / 2 - 0.5
    return np.interp(np.arange(n_bins), centres, gains_db)


def _filter_augment(x: np.ndarray, rng: np.random.Generator, config: AugmentConfig,
                    db_to_normalised: np.ndarray) -> None:
    n_bins = x.shape[2]
    for clip in x:
        bands = int(rng.integers(config.filter_bands[0], config.filter_bands[1] + 1))
        bands = min(bands, n_bins)
        boundaries = np.sort(rng.choice(np.arange(1, n_bins), size=bands - 1, replace=False))
        gains = rng.uniform(-config.filter_db, config.filter_db, size=bands)
        clip += (filter_gains_db(n_bins, bands, gains, boundaries, config.filter_kind)
                 * db_to_normalised).astype(np.float32)


def augment_batch(batch: Dict[str, np.ndarray], config: AugmentConfig, rng: np.random.Generator,
                  frame_hop_s: float, db_to_normalised: Optional[np.ndarray] = None,
                  time_pooling: int = 1) -> Dict[str, np.ndarray]:
    """The configured augmentations applied to a collated batch (a modified copy).

    ``frame_hop_s`` is the input frame hop; ``db_to_normalised`` (n_mels,) converts a dB change of a bin into
    normalised units (``1 / std`` of the normalisation statistics; needed by gain and FilterAugment);
    ``time_pooling`` input frames make one output frame (frame shift moves whole output frames)."""
    batch = dict(batch)
    x = batch["x"].copy()
    if config.time_shift_max_s > 0:
        strong = batch["strong"].copy()
        most = int(round(config.time_shift_max_s / (frame_hop_s * time_pooling)))
        for row in range(x.shape[0]):
            shift = int(rng.integers(-most, most + 1))
            x[row] = np.roll(x[row], shift * time_pooling, axis=0)
            strong[row] = np.roll(strong[row], shift, axis=0)
        batch["strong"] = strong
    if (config.gain_db > 0 or config.filter_db > 0) and db_to_normalised is None:
        raise ValueError("augment gain_db / filter_db need db_to_normalised (the statistics' 1 / std)")
    if config.gain_db > 0:
        gains = rng.uniform(-config.gain_db, config.gain_db, size=x.shape[0])
        x += (gains[:, None, None] * db_to_normalised[None, None, :]).astype(np.float32)
    if config.filter_db > 0:
        _filter_augment(x, rng, config, db_to_normalised)
    if config.mixup_prob > 0 and rng.random() < config.mixup_prob:
        strong, weak = batch["strong"].copy(), batch["weak"].copy()
        lam = float(rng.beta(config.mixup_alpha, config.mixup_alpha))
        for group in ("is_strong", "is_weak", "is_unlabel"):
            rows = np.flatnonzero(batch[group])
            if rows.size > 1:
                partner = rows[rng.permutation(rows.size)]
                x[rows] = lam * x[rows] + (1 - lam) * x[partner]
                strong[rows] = lam * strong[rows] + (1 - lam) * strong[partner]
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
