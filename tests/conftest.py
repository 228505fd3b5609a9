"""Shared test helpers and fixtures: small generated audio written to tmp_path (nothing downloaded, nothing
committed). Tone and noise bursts at known times: each clip is a sum of events on a low noise floor, with its
event list (onset, offset, label in seconds) for checking time alignment. (The DESED-like sound bank users
get lives in :mod:`sedkit.data.soundbank`.)"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# Energy measurement (CodeCarbon) costs ~1.5 s per training or decoding run: off for the suite, recipe
# subprocesses included; tests/training/test_energy.py switches it on where it is what is tested.
os.environ["SEDKIT_ENERGY"] = "off"


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    """Four 2 s clips of tone/noise bursts: two wav at 44.1 kHz, one flac at 22.05 kHz, one stereo ogg."""
    import soundfile as sf

    rng = np.random.default_rng(0)
    folder = tmp_path / "audio"
    (folder / "sub").mkdir(parents=True)
    for name, rate, channels, fmt in [("a.wav", 44100, 1, "WAV"), ("b.wav", 44100, 1, "WAV"),
                                      ("sub/c.flac", 22050, 1, "FLAC"), ("d.ogg", 16000, 2, "OGG")]:
        clip, _ = burst_clip(rng, duration_s=2.0, sample_rate=rate)
        data = np.stack([clip, 0.5 * clip], axis=1) if channels == 2 else clip
        sf.write(folder / name, data, rate, format=fmt)
    return folder


@dataclass(frozen=True)
class Event:
    onset: float
    offset: float
    label: str


def burst_clip(rng: np.random.Generator, duration_s: float = 10.0, sample_rate: int = 22050,
               max_events: int = 4, noise_db: float = -60.0) -> tuple[np.ndarray, list[Event]]:
    """One mono float32 clip with 1..max_events ``tone`` or ``noise`` bursts and its event list.

    Tones are Hann-windowed sinusoids (200-4000 Hz); noise bursts are band-limited white noise. Levels
    are -30..-10 dBFS peak, over a white noise floor at ``noise_db`` dBFS RMS.
    """
    n = int(round(duration_s * sample_rate))
    clip = rng.standard_normal(n).astype(np.float64) * 10 ** (noise_db / 20)
    events = []
    for _ in range(int(rng.integers(1, max_events + 1))):
        length_s = float(rng.uniform(0.2, min(3.0, duration_s)))
        onset = float(rng.uniform(0, duration_s - length_s))
        start, stop = int(round(onset * sample_rate)), int(round((onset + length_s) * sample_rate))
        t = np.arange(stop - start) / sample_rate
        if rng.random() < 0.5:
            label = "tone"
            wave = np.sin(2 * np.pi * rng.uniform(200, 4000) * t)
        else:
            label = "noise"
            wave = np.convolve(rng.standard_normal(stop - start), np.ones(4) / 4, mode="same")
            wave /= np.abs(wave).max() + 1e-12
        wave *= np.hanning(stop - start) * 10 ** (rng.uniform(-30, -10) / 20)
        clip[start:stop] += wave
        events.append(Event(round(start / sample_rate, 6), round(stop / sample_rate, 6), label))
    events.sort(key=lambda e: (e.onset, e.offset, e.label))
    return clip.astype(np.float32), events


def write_burst_clips(out_dir: str | Path, n_clips: int, sample_rate: int = 22050,
                      duration_s: float = 10.0, seed: int = 0, fmt: str = "wav") -> dict[str, list[Event]]:
    """Write ``n_clips`` burst clips as ``clip_0000.<fmt>``, ... into ``out_dir``; return their events."""
    import soundfile as sf

    from sedkit.io import atomic_write

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    labels = {}
    for index in range(n_clips):
        clip, events = burst_clip(rng, duration_s, sample_rate)
        name = f"clip_{index:04d}.{fmt}"
        with atomic_write(out_dir / name, "wb") as handle:
            sf.write(handle, clip, sample_rate, format=fmt.upper(), subtype="PCM_16" if fmt != "ogg" else None)
        labels[name] = events
    return labels
