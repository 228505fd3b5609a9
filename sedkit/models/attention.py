"""Channel and strip-pooling attention after convolution blocks (MMT-DA paper, Sec. 3.2, Eqs. 8-11).

Input ``U`` has shape (batch, C, T, F). Each module pools ``U``, passes the result through the same
two 1x1 convolutions (C -> C/r -> C, ReLU between, sigmoid after: Eq. 10) and multiplies ``U`` by the
broadcast map (Eq. 11):

- ``se`` (squeeze-and-excitation): mean over T and F -> map (C, 1, 1): channel attention;
- ``tsp`` (temporal strip pooling, Eq. 8): mean over T -> map (C, 1, F): channel-frequency attention,
  constant along time;
- ``fsp`` (frequency strip pooling, Eq. 9): mean over F -> map (C, T, 1): channel-time attention;
- ``ftsp``: both branches in parallel. The paper does not say how they combine; default
  ``sum_logits``: ``U' = sigmoid(A_T + A_F) * U`` with A the pre-sigmoid maps (broadcast sum, as in
  strip pooling networks), alternative ``mean_maps``: ``0.5 (sigmoid(A_T) + sigmoid(A_F)) * U``.

The hidden width is ``max(C // reduction, min_hidden)``: the paper's channels are small (32-128), and SE's
usual r = 16 would leave 2 hidden units; default r = 4.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["StripAttention", "make_attention", "ATTENTION_KINDS"]

ATTENTION_KINDS = ("none", "se", "tsp", "fsp", "ftsp")


class _Excitation(nn.Sequential):
    """W2(ReLU(W1 y)) as 1x1 convolutions: the pre-sigmoid attention logits (Eq. 10 without sigma)."""

    def __init__(self, channels: int, hidden: int):
        super().__init__(nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))


class StripAttention(nn.Module):
    """One of ``se``, ``tsp``, ``fsp``, ``ftsp`` (see module doc); output shape == input shape."""

    def __init__(self, kind: str, channels: int, reduction: int = 4, min_hidden: int = 4,
                 ftsp_fusion: str = "sum_logits"):
        super().__init__()
        if kind not in ATTENTION_KINDS[1:]:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {kind!r}")
        self.kind, self.ftsp_fusion = kind, ftsp_fusion
        hidden = max(channels // reduction, min_hidden)
        if kind == "ftsp":
            self.time_branch = _Excitation(channels, hidden)
            self.freq_branch = _Excitation(channels, hidden)
        else:
            self.excitation = _Excitation(channels, hidden)

    def attention_map(self, u: torch.Tensor) -> torch.Tensor:
        """The map M that multiplies U (broadcastable to U's shape)."""
        if self.kind == "se":
            return torch.sigmoid(self.excitation(u.mean(dim=(2, 3), keepdim=True)))
        if self.kind == "tsp":
            return torch.sigmoid(self.excitation(u.mean(dim=2, keepdim=True)))  # Y^T: (B, C, 1, F)
        if self.kind == "fsp":
            return torch.sigmoid(self.excitation(u.mean(dim=3, keepdim=True)))  # Y^F: (B, C, T, 1)
        logits_t = self.time_branch(u.mean(dim=2, keepdim=True))
        logits_f = self.freq_branch(u.mean(dim=3, keepdim=True))
        if self.ftsp_fusion == "sum_logits":
            return torch.sigmoid(logits_t + logits_f)
        return 0.5 * (torch.sigmoid(logits_t) + torch.sigmoid(logits_f))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return u * self.attention_map(u)


def make_attention(kind: str, channels: int, reduction: int, min_hidden: int, ftsp_fusion: str) -> nn.Module:
    return nn.Identity() if kind == "none" else StripAttention(kind, channels, reduction, min_hidden, ftsp_fusion)
