"""The "real" domain: a recording chain applied to a whole soundscape.

DESED's synthetic soundscapes are dry mixtures; its real recordings carry a room, a microphone and other
noise. The MMT-DA paper adapts across exactly that gap. sedkit's mini corpus recreates it: soundscapes of
the *real* domain are mixed like the synthetic ones and then passed through

1. a room: convolution with a generated impulse response (a direct path plus an exponentially decaying
   noise tail of reverberation time ``rt60_s``; the early part low-passed so the tail darkens),
2. a microphone: a random smooth equaliser (gains drawn within ``+-eq_db`` at octave bands, interpolated
   on a log-frequency axis) and a high-pass at ``highpass_hz``,
3. extra noise: brown-ish noise at an SNR drawn from ``noise_snr_db`` against the soundscape,
4. a level change drawn from ``gain_db`` (then a peak limit at -1 dBFS so nothing clips).

Labels follow the sound, as an annotator of the reverberant recording would write them: onsets stay (the
direct sound arrives first), and every offset moves to where the event, as recorded (through the room
and microphone), stops being audible (``sedkit.data.synth.render_clip``). The room changes the audio, never
what is labelled where.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np
from scipy import signal

__all__ = ["RecordingChainConfig", "RecordingChain", "draw_recording_chain",
           "room_impulse_response", "render_recording"]


@dataclass
class RecordingChainConfig:
    """Ranges the recording chain draws from (uniformly) for each soundscape."""

    rt60_s: Tuple[float, float] = (0.3, 1.0)
    direct_to_reverb_db: Tuple[float, float] = (0.0, 8.0)
    eq_db: float = 10.0
    highpass_hz: Tuple[float, float] = (80.0, 300.0)
    noise_snr_db: Tuple[float, float] = (5.0, 20.0)
    gain_db: Tuple[float, float] = (-8.0, 0.0)


def room_impulse_response(rng: np.random.Generator, sample_rate: int, rt60_s: float,
                          direct_to_reverb_db: float) -> np.ndarray:
    """Direct impulse plus a decaying noise tail (energy -60 dB after ``rt60_s``), unit direct path."""
    n = max(2, int(rt60_s * sample_rate))
    t = np.arange(n) / sample_rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60_s)  # 10^(-60/20) = e^-6.9078
    tail = signal.sosfilt(signal.butter(2, 0.35 * sample_rate, fs=sample_rate, output="sos"), tail)
    tail[: int(0.002 * sample_rate)] = 0.0  # a short gap before the first reflections
    tail *= 10 ** (-direct_to_reverb_db / 20) / (np.sqrt(np.sum(tail ** 2)) + 1e-12)
    tail[0] = 1.0
    return tail


@dataclass
class RecordingChain:
    """One draw of the chain: the room, microphone, noise and level applied to one soundscape."""

    sample_rate: int
    rt60_s: float
    direct_to_reverb_db: float
    rir: np.ndarray
    eq_gains_db: np.ndarray  # at the octave centres 62.5 Hz ... 16 kHz
    highpass_hz: float
    noise_snr_db: float
    gain_db: float
    noise_seed: int

    def filter(self, audio: np.ndarray) -> np.ndarray:
        """The linear part (room, equaliser, high-pass): what the microphone hears of ``audio``."""
        n, sr = audio.shape[0], self.sample_rate
        wet = signal.fftconvolve(audio, self.rir)[:n]
        centres = 62.5 * 2.0 ** np.arange(0, 9)
        freqs = np.maximum(np.fft.rfftfreq(n, 1 / sr), 1.0)
        eq = 10 ** (np.interp(np.log2(freqs), np.log2(centres), self.eq_gains_db) / 20)
        wet = np.fft.irfft(np.fft.rfft(wet) * eq, n)
        return signal.sosfilt(signal.butter(2, self.highpass_hz, btype="highpass", fs=sr, output="sos"), wet)

    def render(self, audio: np.ndarray) -> np.ndarray:
        """The whole chain on a mono soundscape: filter, add noise at ``noise_snr_db``, level, limit."""
        wet = self.filter(audio)
        n = wet.shape[0]
        noise = np.cumsum(np.random.default_rng(self.noise_seed).standard_normal(n))
        noise = signal.sosfilt(signal.butter(1, 20.0, btype="highpass", fs=self.sample_rate, output="sos"), noise)
        power = np.mean(wet ** 2) + 1e-12
        noise *= np.sqrt(power / (np.mean(noise ** 2) + 1e-12) / 10 ** (self.noise_snr_db / 10))
        out = (wet + noise) * 10 ** (self.gain_db / 20)
        peak = np.abs(out).max()
        if peak > 0.891:  # -1 dBFS
            out *= 0.891 / peak
        return out.astype(np.float32)


def draw_recording_chain(rng: np.random.Generator, sample_rate: int,
                         config: RecordingChainConfig | None = None) -> RecordingChain:
    """Draw one chain from the ranges of ``config`` (uniformly)."""
    config = config or RecordingChainConfig()
    rt60, d_r = float(rng.uniform(*config.rt60_s)), float(rng.uniform(*config.direct_to_reverb_db))
    rir = room_impulse_response(rng, sample_rate, rt60, d_r)
    return RecordingChain(sample_rate, rt60, d_r, rir, rng.uniform(-config.eq_db, config.eq_db, 9),
                          float(rng.uniform(*config.highpass_hz)), float(rng.uniform(*config.noise_snr_db)),
                          float(rng.uniform(*config.gain_db)), int(rng.integers(2 ** 31 - 1)))


def render_recording(audio: np.ndarray, rng: np.random.Generator, sample_rate: int,
                     config: RecordingChainConfig | None = None) -> np.ndarray:
    """Pass a mono soundscape through room, microphone, noise and level (see module doc)."""
    return draw_recording_chain(rng, sample_rate, config).render(audio)
