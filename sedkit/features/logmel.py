"""Log-mel spectrogram: the feature config and a torch extractor that agrees with librosa.

Defaults follow the MMT-DA paper (Zheng et al., Interspeech 2021, Sec. 4.2): audio at 22050 Hz, STFT with
n_fft = window = 2048 (Hann), hop 431 samples, 128 mel bands, log compression. With ``center=True`` (the
signal is padded by n_fft // 2 on both sides, as librosa does) a 10 s clip gives
1 + floor(220500 / 431) = 512 frames, the paper's 512 x 128 input.

The STFT is computed with :func:`torch.stft` and the mel filterbank is :func:`librosa.filters.mel`, so
the result equals ``librosa.power_to_db(librosa.feature.melspectrogram(...), ref=ref, amin=amin,
top_db=top_db)`` at equal settings (tested), while running batched and on GPU inside training. There is
no torchaudio build for the CPU torch sedkit pins, and torchaudio's feature ops are in maintenance mode.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, Optional

import numpy as np
import torch

from sedkit.config import ConfigError

__all__ = ["LogMelConfig", "LogMelExtractor", "mel_filterbank", "n_frames"]


@dataclass
class LogMelConfig:
    """Settings of the log-mel front end (names follow librosa / torchaudio).

    Attributes:
        sample_rate: rate the audio is resampled to before analysis, in Hz (paper: 22050).
        n_fft: FFT size in samples (paper: 2048).
        win_length: analysis window length in samples, <= n_fft (paper: 2048).
        hop_length: hop between frames in samples (paper: 431).
        window: window function name.
        n_mels: number of mel bands (paper: 128).
        f_min: lowest mel filter edge, Hz.
        f_max: highest mel filter edge, Hz; ``None`` means sample_rate / 2.
        power: exponent of the magnitude spectrogram (2 = power, 1 = magnitude).
        center: pad n_fft // 2 samples on both sides so frame t is centred on sample t * hop_length.
        pad_mode: padding used when ``center`` is true; ``constant`` (zeros) is librosa's default.
        mel_norm: filterbank normalisation, ``slaney`` (librosa's default, area-normalised) or ``None``.
        htk: use the HTK mel formula instead of Slaney's.
        log: compression of the mel power ``S``. ``db``: ``10 log10(max(S, amin)) - 10 log10(max(ref,
            amin))``, then, when ``top_db`` is set, values below ``max - top_db`` (per clip) are raised to
            it; ``ln``: ``log(max(S, amin))`` (natural log); ``log1p``: ``log(1 + S)`` (the GTZAN recipe's
            compression of the magnitude); ``none``: ``S`` itself.
        amin: clamp applied before the log, so silence gives a finite value (10 log10(1e-10) = -100 dB).
        ref: reference power for dB (``1.0`` means absolute dB of the float waveform's power).
        top_db: dynamic-range floor in dB below the clip's maximum, or ``None`` for no floor.
        clip_duration_s: when set, every clip is zero-padded or cropped to this length (seconds) before
            analysis (DESED clips are 10 s); ``None`` keeps each file's own length.
        resample_type: librosa ``res_type`` used when a file's rate differs (``soxr_hq`` is librosa's
            default).
        filterbank: ``mel`` (n_mels bands) or ``none``: the linear spectrogram itself, n_fft // 2 + 1 bins
            (``n_mels`` is then ignored; the GTZAN protocol uses |STFT| with n_fft 1024: 513 bins).
    """

    sample_rate: int = 22050
    n_fft: int = 2048
    win_length: int = 2048
    hop_length: int = 431
    window: Literal["hann", "hamming", "blackman"] = "hann"
    n_mels: int = 128
    f_min: float = 0.0
    f_max: Optional[float] = None
    power: float = 2.0
    center: bool = True
    pad_mode: Literal["constant", "reflect"] = "constant"
    mel_norm: Optional[Literal["slaney"]] = "slaney"
    htk: bool = False
    log: Literal["db", "ln", "log1p", "none"] = "db"
    amin: float = 1e-10
    ref: float = 1.0
    top_db: Optional[float] = None
    clip_duration_s: Optional[float] = None
    resample_type: Literal["soxr_hq", "soxr_vhq", "soxr_mq", "soxr_lq", "polyphase"] = "soxr_hq"
    filterbank: Literal["mel", "none"] = "mel"

    def __post_init__(self) -> None:
        problems = []
        if self.sample_rate <= 0:
            problems.append("sample_rate must be positive")
        if self.n_fft <= 0 or self.hop_length <= 0 or self.n_mels <= 0:
            problems.append("n_fft, hop_length and n_mels must be positive")
        if not 0 < self.win_length <= self.n_fft:
            problems.append(f"win_length must be in 1..n_fft ({self.n_fft}), got {self.win_length}")
        nyquist = self.sample_rate / 2
        f_max = self.f_max if self.f_max is not None else nyquist
        if not 0 <= self.f_min < f_max <= nyquist:
            problems.append(f"need 0 <= f_min < f_max <= sample_rate / 2 ({nyquist:g}), "
                            f"got f_min={self.f_min:g}, f_max={f_max:g}")
        if self.power <= 0:
            problems.append("power must be positive")
        if self.amin <= 0 or self.ref <= 0:
            problems.append("amin and ref must be positive")
        if self.top_db is not None and self.top_db < 0:
            problems.append("top_db must be non-negative")
        if self.clip_duration_s is not None and self.clip_duration_s <= 0:
            problems.append("clip_duration_s must be positive")
        if problems:
            raise ConfigError("; ".join(problems))

    @property
    def frame_hop_s(self) -> float:
        """Time between frames in seconds (431 / 22050 = 19.5 ms at the defaults)."""
        return self.hop_length / self.sample_rate

    def replace(self, **changes) -> "LogMelConfig":
        return dataclasses.replace(self, **changes)


def n_frames(n_samples: int, config: LogMelConfig) -> int:
    """Number of frames the extractor gives for ``n_samples`` samples (at ``config.sample_rate``)."""
    if config.center:
        return 1 + n_samples // config.hop_length
    return 1 + max(n_samples - config.n_fft, 0) // config.hop_length


def mel_filterbank(config: LogMelConfig) -> np.ndarray:
    """The mel filterbank matrix, shape (n_mels, n_fft // 2 + 1), from :func:`librosa.filters.mel`."""
    import librosa

    return librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
                               fmin=config.f_min, fmax=config.f_max, htk=config.htk,
                               norm=config.mel_norm).astype(np.float32)


_WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window, "blackman": torch.blackman_window}


class LogMelExtractor(torch.nn.Module):
    """Waveforms ``(..., n_samples)`` -> log-mel features ``(..., n_frames, n_mels)`` (float32).

    The same module serves offline extraction (``sedkit features``) and on-the-fly extraction inside
    training or inference, on CPU or GPU. Waveforms must already be at ``config.sample_rate``. With
    ``log: db`` and ``top_db`` set, the floor is relative to each clip's own maximum, as in librosa.
    """

    def __init__(self, config: LogMelConfig | None = None):
        super().__init__()
        self.config = config or LogMelConfig()
        # Periodic window, as scipy.signal.get_window (librosa) uses for spectral analysis.
        window = _WINDOWS[self.config.window](self.config.win_length, periodic=True, dtype=torch.float32)
        self.register_buffer("window", window, persistent=False)
        if self.config.filterbank == "mel":
            self.register_buffer("mel_basis", torch.from_numpy(mel_filterbank(self.config)), persistent=False)
        else:
            self.mel_basis = None

    def mel_power(self, waveform: torch.Tensor) -> torch.Tensor:
        """Mel spectrogram before compression: ``mel_basis @ |STFT|^power``, shape (..., n_frames, n_mels)."""
        cfg = self.config
        batch_shape = waveform.shape[:-1]
        flat = waveform.reshape(-1, waveform.shape[-1]).to(torch.float32)
        spec = torch.stft(flat, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                          window=self.window, center=cfg.center, pad_mode=cfg.pad_mode,
                          return_complex=True)
        # re^2 + im^2 is several times faster than complex abs() on CPU and needs no sqrt.
        power = spec.real.square() + spec.imag.square()
        if cfg.power != 2.0:
            power = power.pow(cfg.power / 2.0)
        # (batch, n_frames, n_freq) @ (n_freq, n_mels) lands directly in the output layout (no copy).
        if self.mel_basis is None:
            mel = power.transpose(-1, -2).contiguous()
        else:
            mel = torch.matmul(power.transpose(-1, -2), self.mel_basis.T)
        return mel.reshape(*batch_shape, mel.shape[-2], mel.shape[-1])

    def compress(self, mel: torch.Tensor) -> torch.Tensor:
        """Apply the configured log compression to a mel power spectrogram (..., n_frames, n_mels)."""
        cfg = self.config
        if cfg.log == "none":
            return mel
        if cfg.log == "log1p":
            return torch.log1p(mel)
        if cfg.log == "ln":
            return torch.log(torch.clamp(mel, min=cfg.amin))
        db = torch.log10(torch.clamp(mel, min=cfg.amin)).mul_(10.0)
        if cfg.ref != 1.0:
            db = db - 10.0 * np.log10(max(cfg.amin, cfg.ref))
        if cfg.top_db is not None:
            peak = db.amax(dim=(-2, -1), keepdim=True)
            db = torch.maximum(db, peak - cfg.top_db)
        return db

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.compress(self.mel_power(waveform))
