"""Shared fixtures: small generated audio written to tmp_path (nothing downloaded, nothing committed)."""
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    """Four 2 s clips of tone/noise bursts: two wav at 44.1 kHz, one flac at 22.05 kHz, one stereo ogg."""
    import soundfile as sf

    from sedkit.data.signals import burst_clip

    rng = np.random.default_rng(0)
    folder = tmp_path / "audio"
    (folder / "sub").mkdir(parents=True)
    for name, rate, channels, fmt in [("a.wav", 44100, 1, "WAV"), ("b.wav", 44100, 1, "WAV"),
                                      ("sub/c.flac", 22050, 1, "FLAC"), ("d.ogg", 16000, 2, "OGG")]:
        clip, _ = burst_clip(rng, duration_s=2.0, sample_rate=rate)
        data = np.stack([clip, 0.5 * clip], axis=1) if channels == 2 else clip
        sf.write(folder / name, data, rate, format=fmt)
    return folder
