"""Inference fixtures: a tiny trained SED checkpoint (the training tests' tone/noise corpus, 3 s clips at 8 kHz)
and a deterministic test network registered under ``band_energy`` (frame score = a squashed mel-band level),
so that windowing and timing can be checked against events the test places itself."""
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from sedkit.models.registry import MODELS
from tests.training.conftest import tiny_config, tiny_corpus  # noqa: F401  (fixture used by this package)


@dataclass
class BandEnergyConfig:
    """Class c scores frame t by sigmoid(gain * (mean of normalised mel bands [low_c, high_c) - offset))."""

    n_classes: int = 1
    n_mels: int = 16
    bands: list = None
    gain: float = 4.0
    offset: float = 1.0
    time_pooling: int = 2


class BandEnergy(torch.nn.Module):
    def __init__(self, config: BandEnergyConfig):
        super().__init__()
        self.config = config
        self.scale = torch.nn.Parameter(torch.tensor(float(config.gain)))  # a weight, so the package holds one

    @property
    def time_pooling_factor(self) -> int:
        return self.config.time_pooling

    def forward(self, x):
        pooled = torch.nn.functional.avg_pool1d(x.transpose(1, 2), self.config.time_pooling).transpose(1, 2)
        levels = torch.stack([pooled[..., low:high].mean(-1) for low, high in self.config.bands], dim=-1)
        frame = torch.sigmoid(self.scale * (levels - self.config.offset))
        return {"frame": frame, "clip": frame.max(dim=1).values}


@pytest.fixture(scope="package", autouse=True)
def band_energy_registered():
    """``band_energy`` in the model registry for this package's tests only (other tests list the models)."""
    MODELS.names()  # the built-in models first
    MODELS.register("band_energy", (BandEnergy, BandEnergyConfig))
    yield
    del MODELS._entries["band_energy"]


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_corpus, tmp_path_factory):  # noqa: F811
    from sedkit.config import to_dict
    from sedkit.training.sed import SEDTask
    from sedkit.training.trainer import Trainer

    exp = tmp_path_factory.mktemp("tiny_exp")
    config = tiny_config(tiny_corpus, system={"name": "supervised"}, run={"epochs": 2},
                         data={"batch_weak": 0, "batch_unlabel": 0})
    config.postprocess.threshold = 0.3
    Trainer(SEDTask(config, exp), config.optim, config.run, exp, to_dict(config)).fit()
    return exp / "checkpoints" / "last.pt"


def tone_recording(duration_s: float, events, sample_rate: int = 8000, seed: int = 0) -> np.ndarray:
    """Quiet noise with a 1 kHz tone (amplitude 0.5) over each (onset, offset) in seconds."""
    rng = np.random.default_rng(seed)
    audio = rng.normal(0, 0.003, int(duration_s * sample_rate)).astype(np.float32)
    for onset, offset in events:
        first, last = int(onset * sample_rate), int(offset * sample_rate)
        audio[first:last] += 0.5 * np.sin(2 * np.pi * 1000 * np.arange(last - first) / sample_rate)
    return audio
