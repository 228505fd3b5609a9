"""Gradient reversal and the domain classifier (MMT-DA paper, Sec. 2.2, Eqs. 2-3 and 7).

The GRL is the identity forward and multiplies the gradient by ``-lambda`` backward, so minimising
``L_S + L_W + w_d L_D`` trains the domain classifier to tell the domains apart while pushing the backbone
to make them indistinguishable (Eq. 2's ``- w_d L_D`` for the backbone).

The paper gives no domain-classifier layout. sedkit's: per frame of the input sequence (the Bi-GRU
output by default), Linear(D, hidden) - ReLU - Dropout - Linear(hidden, 1), averaged over frames to one
clip logit; label 1 = synthetic, 0 = real.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["grad_reverse", "GradientReversal", "DomainClassifier"]


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: float) -> torch.Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.weight * grad, None


def grad_reverse(x: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """Identity forward; gradient times ``-weight`` backward."""
    return _ReverseGradient.apply(x, weight)


class GradientReversal(nn.Module):
    def __init__(self, weight: float = 1.0):
        super().__init__()
        self.weight = weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.weight)


class DomainClassifier(nn.Module):
    """Sequence features (batch, frames, D) -> one domain logit per clip, through a GRL."""

    def __init__(self, input_dim: int, hidden: int = 128, dropout: float = 0.5):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(input_dim, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                 nn.Linear(hidden, 1))

    def forward(self, features: torch.Tensor, grl_weight: float = 1.0) -> torch.Tensor:
        return self.net(grad_reverse(features, grl_weight)).squeeze(-1).mean(dim=-1)
