import numpy as np
import pytest
import torch

from sedkit.config import ConfigError
from sedkit.features.logmel import LogMelConfig, LogMelExtractor, n_frames

import librosa


def _signal(seconds: float, rate: int = 22050, seed: int = 0) -> np.ndarray:
    from tests.conftest import burst_clip

    clip, _ = burst_clip(np.random.default_rng(seed), duration_s=seconds, sample_rate=rate)
    return clip


def _librosa_logmel(y: np.ndarray, cfg: LogMelConfig) -> np.ndarray:
    mel = librosa.feature.melspectrogram(
        y=y, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
        window=cfg.window, center=cfg.center, pad_mode=cfg.pad_mode, power=cfg.power, n_mels=cfg.n_mels,
        fmin=cfg.f_min, fmax=cfg.f_max, htk=cfg.htk, norm=cfg.mel_norm)
    if cfg.log == "db":
        return librosa.power_to_db(mel, ref=cfg.ref, amin=cfg.amin, top_db=cfg.top_db).T
    return mel.T


@pytest.mark.parametrize("changes", [
    {},  # the paper's settings
    {"n_fft": 1024, "win_length": 800, "hop_length": 320, "n_mels": 64, "f_min": 50.0, "f_max": 8000.0},
    {"top_db": 80.0, "ref": 1e-3},
    {"center": False, "window": "hamming", "htk": True, "mel_norm": None},
])
def test_agrees_with_librosa(changes):
    # Tolerance: 1e-3 dB. Both sides compute in float32; measured differences are ~1e-5 dB.
    cfg = LogMelConfig(**changes)
    y = _signal(3.0)
    ours = LogMelExtractor(cfg)(torch.from_numpy(y)).numpy()
    ref = _librosa_logmel(y, cfg)
    assert ours.shape == ref.shape == (n_frames(len(y), cfg), cfg.n_mels)
    np.testing.assert_allclose(ours, ref, atol=1e-3, rtol=0)


def test_power_one_agrees_with_librosa():
    cfg = LogMelConfig(power=1.0, log="none")
    y = _signal(2.0)
    ours = LogMelExtractor(cfg)(torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(ours, _librosa_logmel(y, cfg), rtol=1e-4, atol=1e-6)


def test_ln_is_natural_log_of_clamped_power():
    y = torch.from_numpy(_signal(1.0))
    power = LogMelExtractor(LogMelConfig(log="none"))(y)
    ln = LogMelExtractor(LogMelConfig(log="ln"))(y)
    torch.testing.assert_close(ln, torch.log(power.clamp(min=1e-10)))


def test_ten_seconds_give_512_frames():
    cfg = LogMelConfig()
    assert n_frames(220500, cfg) == 512
    out = LogMelExtractor(cfg)(torch.zeros(220500))
    assert out.shape == (512, 128) and out.dtype == torch.float32
    assert torch.all(out == -100.0)  # silence: 10 log10(amin) with amin = 1e-10


def test_batched_equals_per_clip():
    # Tolerance: float32 rounding only (batched matmul may sum in another order).
    extractor = LogMelExtractor(LogMelConfig(top_db=80.0))
    clips = torch.stack([torch.from_numpy(_signal(2.0, seed=s)) for s in range(3)])
    batched = extractor(clips)
    for index in range(3):
        torch.testing.assert_close(batched[index], extractor(clips[index]), atol=1e-4, rtol=0)
    assert extractor(clips.reshape(3, 1, -1)).shape == (3, 1, batched.shape[1], 128)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    extractor = LogMelExtractor()
    clip = torch.from_numpy(_signal(2.0))
    torch.testing.assert_close(extractor.cuda()(clip.cuda()).cpu(), LogMelExtractor()(clip), atol=1e-3, rtol=0)


@pytest.mark.parametrize("changes, message", [
    ({"win_length": 4096}, "win_length must be in 1..n_fft"),
    ({"f_max": 20000.0}, "f_max"),
    ({"hop_length": 0}, "must be positive"),
])
def test_invalid_config(changes, message):
    with pytest.raises(ConfigError, match=message):
        LogMelConfig(**changes)
