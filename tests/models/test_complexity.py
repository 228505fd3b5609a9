"""Parameters and MACs per second of audio, counted by hand on small layers and on the mini CRNN."""
import torch
from torch import nn

from sedkit.models.complexity import complexity, count_macs


class _Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.gru = nn.GRU(8, 2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(4, 3)

    def forward(self, x):  # (B, T=5, F=4)
        y = self.conv(x.unsqueeze(1))  # (B, 2, 5, 4)
        y = y.permute(0, 2, 1, 3).reshape(x.shape[0], 5, 8)
        y, _ = self.gru(y)
        return {"frame": self.head(y)}


def test_by_hand():
    # conv: 2 x 5 x 4 = 40 outputs x (1 x 3 x 3) = 360; GRU: 5 steps x 2 directions x 3 gates x (8x2 + 2x2) = 600;
    # linear: 5 x 3 outputs x 4 inputs = 60
    assert count_macs(_Small(), torch.zeros(7, 5, 4)) == 360 + 600 + 60  # per item, whatever the batch


def test_two_layer_gru_and_per_second():
    gru = nn.GRU(3, 4, num_layers=2, batch_first=True)

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = gru

        def forward(self, x):
            return self.gru(x)

    # layer 1: 10 x 3 x (3x4 + 4x4) = 840; layer 2: 10 x 3 x (4x4 + 4x4) = 960
    assert count_macs(Wrap(), torch.zeros(1, 10, 3)) == 1800
    parameters, per_second = complexity(Wrap(), 10, 3, seconds=2.0)
    assert per_second == 900.0 and parameters == sum(p.numel() for p in gru.parameters())
