"""Measure the domain gap of a corpus with a deliberately simple probe.

A frame classifier (a small MLP on standardised log-mel frames with +-2 frames of context) is trained on
the strong labels of the synthetic training set only, then scored (frame-level macro F1, threshold 0.5)
on a synthetic-domain and a real-domain validation set. Same sounds, same classifier: the difference of
the two F1 values is the gap that domain adaptation has to close. It is a probe, not a SED system.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

__all__ = ["DomainGapResult", "measure_domain_gap", "frame_targets"]


@dataclass
class DomainGapResult:
    f1_synthetic: float
    f1_real: float
    n_train_clips: int
    n_frames: int

    @property
    def gap(self) -> float:
        return self.f1_synthetic - self.f1_real


def frame_targets(events, names: Sequence[str], n_frames: int, hop_s: float,
                  classes: Sequence[str]) -> Dict[str, np.ndarray]:
    """Per clip, (n_frames, n_classes) 0/1 targets: frame t is active when its centre t * hop lies in an event."""
    index = {c: i for i, c in enumerate(classes)}
    centres = np.arange(n_frames) * hop_s
    targets = {name: np.zeros((n_frames, len(classes)), dtype=np.float32) for name in names}
    for name, onset, offset, label in zip(events.filename, events.onset, events.offset, events.label):
        if name in targets:
            targets[name][(centres >= onset) & (centres < offset), index[label]] = 1.0
    return targets


def _load(corpus: Path, features: Path, name: str, classes, config, nj: int):
    from sedkit.features.extract import extract_features, list_audio
    from sedkit.io import read_events

    extract_features(list_audio(corpus / name / "audio"), features / name, config, nj=nj, progress=False)
    events = read_events(corpus / name / "strong.tsv")
    clips = sorted(p.stem for p in (features / name).glob("*.npy"))
    x = np.stack([np.load(features / name / f"{clip}.npy") for clip in clips])
    targets = frame_targets(events, [c + ".wav" for c in clips], x.shape[1], config.frame_hop_s, classes)
    return x, np.stack([targets[c + ".wav"] for c in clips])


def _context(x: np.ndarray, width: int = 2) -> np.ndarray:
    padded = np.pad(x, ((0, 0), (width, width), (0, 0)), mode="edge")
    return np.concatenate([padded[:, k:k + x.shape[1]] for k in range(2 * width + 1)], axis=-1)


def _macro_f1(prob: np.ndarray, target: np.ndarray) -> float:
    decision = prob > 0.5
    tp = (decision & (target > 0)).sum(0)
    fp = (decision & (target == 0)).sum(0)
    fn = (~decision & (target > 0)).sum(0)
    present = (tp + fn) > 0
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    return float(f1[present].mean())


def measure_domain_gap(corpus: str | Path, work: str | Path, steps: int = 600, seed: int = 0,
                       nj: int = 1) -> DomainGapResult:
    """Train the probe on ``corpus/train_synth`` and score ``validation_synth`` and ``validation``."""
    import torch

    from sedkit.data.soundbank import DESED_CLASSES
    from sedkit.features.logmel import LogMelConfig

    corpus, work = Path(corpus), Path(work)
    config = LogMelConfig(n_mels=64, clip_duration_s=10.0)
    x_train, y_train = _load(corpus, work, "train_synth", DESED_CLASSES, config, nj)
    mean, std = x_train.mean(axis=(0, 1)), x_train.std(axis=(0, 1)) + 1e-6
    def prepare(x):
        return torch.from_numpy(_context((x - mean) / std).reshape(-1, 5 * x.shape[-1])).float()

    inputs, targets = prepare(x_train), torch.from_numpy(y_train.reshape(-1, len(DESED_CLASSES)))
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(inputs.shape[1], 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, len(DESED_CLASSES)))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        batch = torch.randint(0, inputs.shape[0], (512,), generator=generator)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(inputs[batch]), targets[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    scores = {}
    with torch.no_grad():
        for name in ("validation_synth", "validation"):
            x, y = _load(corpus, work, name, DESED_CLASSES, config, nj)
            prob = torch.sigmoid(model(prepare(x))).numpy()
            scores[name] = _macro_f1(prob, y.reshape(-1, len(DESED_CLASSES)))
    return DomainGapResult(scores["validation_synth"], scores["validation"], x_train.shape[0], int(inputs.shape[0]))
