"""Clip classifiers for the distillation recipes: small CNNs and a CP-ResNet-like ResNet.

Both take (batch, frames, bins) features and return ``{"logits": (B, M), "features": (B, D)}`` (the
penultimate, pooled representation, for criteria that need it).

- ``cnn``: conv blocks (Conv 3x3 - BatchNorm - ReLU - MaxPool 2x2) with ``channels``, global average + max
  pooling, Dropout, an optional hidden layer and a linear head. The GTZAN paper's nnet1 / nnet2 (Zhang et al.
  2016) are not described in the paper; sedkit's stand-ins match their sizes: the default
  ``channels: [32, 64, 128, 256]``, ``hidden: 128`` has 0.455 M parameters (nnet1: 0.46 M), and
  ``channels: [64, 128, 256, 320]`` 1.19 M (nnet2: 1.25 M) for 10 classes.
- ``cpresnet``: a receptive-field-limited ResNet in the spirit of Koutini et al.'s CP-ResNet (DCASE ASC):
  a 5x5 stride-2 stem, residual blocks whose first ``rf_blocks`` use 3x3 kernels and the rest 1x1 kernels
  (so the receptive field stops growing), max pooling after given blocks, then global pooling and a 1x1
  classifier. The defaults have 0.24 M parameters for 10 classes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

import torch
from torch import nn

from sedkit.models.registry import register

__all__ = ["CNNClassifierConfig", "CNNClassifier", "CPResNetConfig", "CPResNet"]


@dataclass
class CNNClassifierConfig:
    n_classes: int = 10
    channels: List[int] = field(default_factory=lambda: [32, 64, 128, 256])
    hidden: int = 128
    dropout: float = 0.3


@register("cnn", CNNClassifierConfig)
class CNNClassifier(nn.Module):
    def __init__(self, config: CNNClassifierConfig | None = None):
        super().__init__()
        self.config = config = config or CNNClassifierConfig()
        layers, in_channels = [], 1
        for channels in config.channels:
            layers += [nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2, ceil_mode=True)]
            in_channels = channels
        self.features = nn.Sequential(*layers)
        width = 2 * in_channels
        head = [nn.Dropout(config.dropout)]
        if config.hidden:
            head += [nn.Linear(width, config.hidden), nn.ReLU(inplace=True), nn.Dropout(config.dropout)]
            width = config.hidden
        self.head = nn.Sequential(*head)
        self.classifier = nn.Linear(width, config.n_classes)

    def forward(self, x: torch.Tensor):
        maps = self.features(x.unsqueeze(1))
        pooled = torch.cat([maps.mean(dim=(2, 3)), maps.amax(dim=(2, 3))], dim=1)
        features = self.head(pooled)
        return {"logits": self.classifier(features), "features": features}


@dataclass
class CPResNetConfig:
    n_classes: int = 10
    base_channels: int = 32
    stage_channels: List[int] = field(default_factory=lambda: [32, 64, 128])
    blocks_per_stage: int = 2
    rf_blocks: int = 4
    pool_after: List[int] = field(default_factory=lambda: [0, 1, 3])
    dropout: float = 0.2


class _ResBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel: int):
        super().__init__()
        pad = kernel // 2
        self.body = nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel, padding=pad, bias=False),
                                  nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
                                  nn.Conv2d(out_channels, out_channels, kernel, padding=pad, bias=False),
                                  nn.BatchNorm2d(out_channels))
        self.skip = (nn.Identity() if in_channels == out_channels
                     else nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                        nn.BatchNorm2d(out_channels)))

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


@register("cpresnet", CPResNetConfig)
class CPResNet(nn.Module):
    def __init__(self, config: CPResNetConfig | None = None):
        super().__init__()
        self.config = config = config or CPResNetConfig()
        self.stem = nn.Sequential(nn.Conv2d(1, config.base_channels, 5, stride=2, padding=2, bias=False),
                                  nn.BatchNorm2d(config.base_channels), nn.ReLU(inplace=True))
        blocks, in_channels, index = [], config.base_channels, 0
        for channels in config.stage_channels:
            for _ in range(config.blocks_per_stage):
                blocks.append(_ResBlock(in_channels, channels, 3 if index < config.rf_blocks else 1))
                if index in config.pool_after:
                    blocks.append(nn.MaxPool2d(2, ceil_mode=True))
                in_channels, index = channels, index + 1
        self.blocks = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Conv2d(in_channels, config.n_classes, 1)

    def forward(self, x: torch.Tensor):
        maps = self.blocks(self.stem(x.unsqueeze(1)))
        features = maps.mean(dim=(2, 3))
        logits = self.classifier(self.dropout(maps)).mean(dim=(2, 3))
        return {"logits": logits, "features": features}
