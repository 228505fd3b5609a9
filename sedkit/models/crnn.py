"""The CRNN of the MMT-DA paper (Sec. 2.1): 5 conv blocks, 2 Bi-GRU layers, frame and clip outputs.

The paper (Zheng et al., Interspeech 2021, Sec. 2.1) takes its conv blocks from a baseline it does not
reproduce; sedkit's defaults (listed in docs/papers.md): each block is Conv2d 3x3 (padding 1) -> BatchNorm ->
ReLU -> average pooling -> Dropout(0.2), with channels (32, 64, 128, 128, 128) and (time, frequency)
pooling (2,4), (2,4), (1,2), (1,2), (1,2), so a 512 x 128 log-mel input becomes 128 frames x 1 band x 128
channels. An optional attention module (:mod:`sedkit.models.attention`) follows each block. Two Bi-GRU
layers (128 units per direction, dropout 0.5 between them) and Dropout(0.5) -> Linear -> sigmoid give frame
probabilities ``f_sed`` (batch, T', C);
linear softmax pooling gives clip probabilities ``f_at_c = sum_t f_sed_tc^2 / sum_t f_sed_tc``.

Any input length works; the frame hop of the outputs is ``time_pooling_factor`` input frames.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Literal, Tuple

import torch
from torch import nn

from sedkit.models.attention import make_attention
from sedkit.models.registry import register

__all__ = ["CRNNConfig", "CRNN", "linear_softmax_pooling"]


@dataclass
class CRNNConfig:
    """CRNN layout (defaults: sedkit's choices where Zheng et al. 2021 is silent; docs/papers.md)."""

    n_classes: int = 10
    n_mels: int = 128
    channels: List[int] = field(default_factory=lambda: [32, 64, 128, 128, 128])
    pooling: List[Tuple[int, int]] = field(default_factory=lambda: [(2, 4), (2, 4), (1, 2), (1, 2), (1, 2)])
    kernel_size: int = 3
    conv_dropout: float = 0.2
    norm: Literal["batch", "none"] = "batch"
    attention: Literal["none", "se", "tsp", "fsp", "ftsp"] = "none"
    attention_position: Literal["after_block", "before_pool"] = "after_block"
    attention_reduction: int = 4
    attention_min_hidden: int = 4
    ftsp_fusion: Literal["sum_logits", "mean_maps"] = "sum_logits"
    rnn_hidden: int = 128
    rnn_layers: int = 2
    rnn_dropout: float = 0.5
    head_dropout: float = 0.5
    domain_input: Literal["rnn", "cnn"] = "rnn"

    @staticmethod
    def config_migrations(data: dict) -> dict:
        """``domain_hidden`` / ``domain_dropout`` moved to the system (``system.domain_hidden``, 2026-12-04):
        a network's config no longer holds them; model packages and checkpoints written before load."""
        data.pop("domain_hidden", None)
        data.pop("domain_dropout", None)
        return data

    def __post_init__(self):
        from sedkit.config import ConfigError

        if len(self.channels) != len(self.pooling):
            raise ConfigError(f"channels ({len(self.channels)}) and pooling ({len(self.pooling)}) differ in length")
        freq = self.n_mels
        for _, f in self.pooling:
            freq //= f
        if freq < 1:
            raise ConfigError(f"frequency pooling reduces {self.n_mels} mel bands to nothing")

    @property
    def time_pooling_factor(self) -> int:
        factor = 1
        for t, _ in self.pooling:
            factor *= t
        return factor

    @property
    def cnn_output_dim(self) -> int:
        freq = self.n_mels
        for _, f in self.pooling:
            freq //= f
        return self.channels[-1] * freq


def linear_softmax_pooling(frame_probs: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Clip probabilities ``sum_t p_t^2 / sum_t p_t`` over dim 1 of (batch, T, C)."""
    return (frame_probs ** 2).sum(dim=1) / (frame_probs.sum(dim=1) + eps)


class _ConvBlock(nn.Module):
    def __init__(self, config: CRNNConfig, in_channels: int, out_channels: int, pool: Tuple[int, int]):
        super().__init__()
        pad = config.kernel_size // 2
        self.conv = nn.Conv2d(in_channels, out_channels, config.kernel_size, padding=pad,
                              bias=config.norm == "none")
        self.norm = nn.BatchNorm2d(out_channels) if config.norm == "batch" else nn.Identity()
        self.pool = nn.AvgPool2d(pool)
        self.dropout = nn.Dropout(config.conv_dropout)
        self.attention = make_attention(config.attention, out_channels, config.attention_reduction,
                                        config.attention_min_hidden, config.ftsp_fusion)
        self.before_pool = config.attention_position == "before_pool"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.norm(self.conv(x)))
        if self.before_pool:
            x = self.attention(x)
        x = self.dropout(self.pool(x))
        return x if self.before_pool else self.attention(x)


@register("crnn", CRNNConfig)
class CRNN(nn.Module):
    """Log-mel (batch, frames, mels) -> dict(frame=(B, T', C), clip=(B, C), rnn=(B, T', 2H), cnn=(B, T', D)); a
    SED network as :mod:`sedkit.models.contract` defines it."""

    def __init__(self, config: CRNNConfig | None = None):
        super().__init__()
        self.config = config = config or CRNNConfig()
        blocks, in_channels = [], 1
        for channels, pool in zip(config.channels, config.pooling):
            blocks.append(_ConvBlock(config, in_channels, channels, tuple(pool)))
            in_channels = channels
        self.blocks = nn.Sequential(*blocks)
        self.rnn = nn.GRU(config.cnn_output_dim, config.rnn_hidden, num_layers=config.rnn_layers, batch_first=True,
                          bidirectional=True, dropout=config.rnn_dropout if config.rnn_layers > 1 else 0.0)
        self.head = nn.Sequential(nn.Dropout(config.head_dropout), nn.Linear(2 * config.rnn_hidden, config.n_classes))

    @property
    def frame_pooling(self) -> int:
        """Input frames per output frame (the product of the time poolings)."""
        return self.config.time_pooling_factor

    def output_frames(self, n_frames: int) -> int:
        """Output frames of an input of ``n_frames`` (each average pooling floors)."""
        for time_pool, _ in self.config.pooling:
            n_frames //= time_pool
        return n_frames

    @property
    def domain_feature_dim(self) -> int:
        return 2 * self.config.rnn_hidden if self.config.domain_input == "rnn" else self.config.cnn_output_dim

    def forward(self, features: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = self.blocks(features.unsqueeze(1))  # (B, C, T', F')
        cnn = x.permute(0, 2, 1, 3).flatten(2)  # (B, T', C * F')
        rnn, _ = self.rnn(cnn)
        frame = torch.sigmoid(self.head(rnn))
        return {"frame": frame, "clip": linear_softmax_pooling(frame), "rnn": rnn, "cnn": cnn,
                "domain_features": rnn if self.config.domain_input == "rnn" else cnn}
