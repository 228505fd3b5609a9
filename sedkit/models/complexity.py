"""Size and cost of a network, as DCASE task 4 asks submissions to report: parameters and multiply-accumulate
operations (MACs) per second of audio.

MACs are counted by forward hooks on the layers that hold nearly all of them, from the shapes of one forward
pass: ``Conv1d``/``Conv2d`` (each output value: input channels / groups x kernel size), ``Linear`` (each output
value: input features) and ``GRU``/``LSTM`` (each time step of each direction of each layer: gates x (input +
hidden) x hidden; 3 gates for a GRU, 4 for an LSTM). Normalisation, activations, pooling and the attention's
element-wise products are left out (a few per cent at most for the recipes' CRNNs). Counted for a batch of one.
"""
from __future__ import annotations

from typing import Tuple

__all__ = ["count_macs", "complexity"]


def _recurrent(module, inputs) -> int:
    x = inputs[0]
    steps = x.shape[1] if module.batch_first else x.shape[0]
    gates = 3 if module.mode == "GRU" else 4
    directions = 2 if module.bidirectional else 1
    total = 0
    for layer in range(module.num_layers):
        size = module.input_size if layer == 0 else module.hidden_size * directions
        total += steps * directions * gates * (size * module.hidden_size + module.hidden_size * module.hidden_size)
    return total


def count_macs(network, x) -> int:
    """MACs of ``network(x)`` for one item of the batch ``x``."""
    import torch
    from torch import nn

    counts = []

    def hook(module, inputs, output):  # a batch of one: every count is per item
        if isinstance(module, (nn.Conv1d, nn.Conv2d)):
            per_output = module.in_channels // module.groups
            for size in module.kernel_size:
                per_output *= size
            counts.append(output.numel() * per_output)
        elif isinstance(module, nn.Linear):
            counts.append(output.numel() * module.in_features)
        else:
            counts.append(_recurrent(module, inputs))

    handles = [m.register_forward_hook(hook) for m in network.modules()
               if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear, nn.GRU, nn.LSTM))]
    try:
        with torch.no_grad():
            network.eval()(x[:1])
    finally:
        for handle in handles:
            handle.remove()
    return int(sum(counts))


def complexity(network, n_frames: int, n_mels: int, seconds: float) -> Tuple[int, float]:
    """(trainable parameters, MACs per second of audio) of a network fed ``n_frames`` x ``n_mels`` log-mel frames
    that span ``seconds`` of audio."""
    import torch

    parameters = sum(p.numel() for p in network.parameters() if p.requires_grad)
    return parameters, count_macs(network, torch.zeros(1, n_frames, n_mels)) / seconds
