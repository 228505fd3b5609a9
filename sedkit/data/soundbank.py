"""A procedural sound bank for the 10 DESED classes, made with numpy/scipy only (nothing downloaded).

Each class is a family of sounds with its own structure, and enough random variation (duration, pitch,
envelope, harmonics, noise colour, modulation) that a model has to learn it; some pairs are built to be
confusable, as in DESED: Blender, Vacuum_cleaner and Electric_shaver_toothbrush are all motors (a harmonic
buzz over broadband noise, with different fundamental ranges and noise shares), Running_water and Frying
are both noise textures, Cat and Speech both have gliding harmonic pitch. Durations follow DESED's: short
Dishes and Dog barks, long Frying, Blender, Vacuum_cleaner and Running_water.

Backgrounds come in two families so that the two domains of the mini corpus differ in their ambience
too: ``home`` (soft pink noise with a faint mains hum: the "synthetic" domain) and ``room`` (brown noise,
ventilation rumble and distant babble-like murmur: the "real" domain).

Sources come in two families (``SoundBankConfig.family``), so that the two domains of a corpus can draw their
events from different populations, as DESED's do (synthetic soundscapes from Freesound clips, real ones from
AudioSet recordings): family 0 are the generators as they stand (dry, close recordings); family 1 passes
every event through a fixed-per-clip *source character* (:func:`source_character`): a change of playback rate
(pitch and tempo together, 8-20 % up or down: another individual, another machine), a spectral tilt and a
short room response (RT60 0.1-0.4 s, the event recorded at a distance). The recording chain of the real
domain (:mod:`sedkit.data.synth`) comes on top, on the whole mixture.

The bank is written in Scaper's layout: ``<out>/foreground/<label>/*.wav``, ``<out>/background/<label>/*.wav``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Tuple

import numpy as np
from scipy import signal

__all__ = ["DESED_CLASSES", "SoundBankConfig", "synthesize_event", "synthesize_background", "write_soundbank",
           "DURATION_RANGES_S", "AUDIBLE_RANGE_DB", "audible_extent", "source_character"]

DESED_CLASSES = ["Alarm_bell_ringing", "Blender", "Cat", "Dishes", "Dog", "Electric_shaver_toothbrush", "Frying",
                 "Running_water", "Speech", "Vacuum_cleaner"]

# Event durations (seconds), chosen to resemble DESED's per-class statistics.
DURATION_RANGES_S: Dict[str, Tuple[float, float]] = {
    "Alarm_bell_ringing": (1.0, 4.5), "Blender": (2.5, 8.0), "Cat": (0.5, 2.0), "Dishes": (0.2, 1.2),
    "Dog": (0.3, 1.5), "Electric_shaver_toothbrush": (2.0, 7.0), "Frying": (4.0, 9.5),
    "Running_water": (3.0, 9.0), "Speech": (1.0, 4.0), "Vacuum_cleaner": (4.0, 9.5),
}
BACKGROUND_LABELS = ("home", "room")


@dataclass
class SoundBankConfig:
    """How large a bank to make. ``seed`` decides every clip (different seeds give disjoint banks)."""

    sample_rate: int = 22050
    clips_per_class: int = 12
    backgrounds_per_label: int = 6
    background_duration_s: float = 12.0
    seed: int = 0
    family: int = 0  # 0: the generators as they are; 1: each event given a source character (module doc)

    def __post_init__(self):
        if self.family not in (0, 1):
            raise ValueError(f"soundbank family {self.family}: 0 or 1")


# --- building blocks ----------------------------------------------------------------------------------

def _time(n: int, sr: int) -> np.ndarray:
    return np.arange(n) / sr


def _coloured_noise(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise with power spectrum ~ 1 / f^exponent (0 white, 1 pink, 2 brown), unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    noise = np.fft.irfft(spectrum / freqs ** (exponent / 2), n)
    return noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)


def _band(x: np.ndarray, sr: int, low: float, high: float, order: int = 4) -> np.ndarray:
    high = min(high, 0.45 * sr)
    sos = signal.butter(order, [low, high], btype="bandpass", fs=sr, output="sos")
    return signal.sosfilt(sos, x)


def _envelope(n: int, sr: int, attack_s: float, release_s: float) -> np.ndarray:
    env = np.ones(n)
    a, r = max(1, int(attack_s * sr)), max(1, int(release_s * sr))
    env[:a] = np.linspace(0, 1, min(a, n))[: min(a, n)]
    env[-r:] *= np.linspace(1, 0, min(r, n))[-min(r, n):]
    return env


def _harmonic(f0: np.ndarray, sr: int, amplitudes) -> np.ndarray:
    """Sum of harmonics k * f0(t) (f0 may vary over time) with the given amplitudes."""
    phase = 2 * np.pi * np.cumsum(f0) / sr
    out = np.zeros_like(phase)
    for k, amp in enumerate(amplitudes, start=1):
        if np.all(k * f0 < 0.45 * sr):
            out += amp * np.sin(k * phase)
    return out


def _formants(x: np.ndarray, sr: int, centres, bandwidth: float = 120.0) -> np.ndarray:
    out = np.zeros_like(x)
    for centre in centres:
        b, a = signal.iirpeak(min(centre, 0.45 * sr), centre / bandwidth, fs=sr)
        out += signal.lfilter(b, a, x)
    return out


# --- the classes --------------------------------------------------------------------------------------

def _alarm(rng, n, sr):
    t = _time(n, sr)
    if rng.random() < 0.5:  # bell: inharmonic partials, struck repeatedly
        f = rng.uniform(600, 1800)
        partials = sum(a * np.sin(2 * np.pi * f * r * t) for r, a in ((1, 1), (2.76, 0.5), (5.4, 0.25), (8.93, 0.1)))
        rate = rng.uniform(4, 12)
        strike = np.exp(-((t * rate) % 1.0) * rng.uniform(3, 8))
        return partials * strike
    # Electronic alarm: alternating beeps; the gap between beeps stays under 0.15 s, so the ringing is one
    # audible event (as annotators label it), and the clip starts on a beep.
    f1, f2 = rng.uniform(700, 2500, 2)
    rate = rng.uniform(3, 6)
    duty = rng.uniform(max(0.5, 1 - 0.15 * rate), 0.85)
    gate = ((t * rate) % 1.0) < duty
    freq = np.where(((t * rate / 2) % 1.0) < 0.5, f1, f2)
    return np.sign(np.sin(2 * np.pi * np.cumsum(freq) / sr)) * 0.4 * gate


def _motor(rng, n, sr, f0_range, noise_share, noise_band, wobble):
    t = _time(n, sr)
    f0 = rng.uniform(*f0_range) * (1 + wobble * np.sin(2 * np.pi * rng.uniform(0.2, 2) * t))
    harmonics = [rng.uniform(0.3, 1.0) / k ** rng.uniform(0.5, 1.2) for k in range(1, 25)]
    buzz = _harmonic(f0, sr, harmonics)
    buzz /= np.abs(buzz).max() + 1e-12
    noise = _band(_coloured_noise(rng, n, rng.uniform(0, 1)), sr, *noise_band)
    noise /= np.abs(noise).max() + 1e-12
    load = 1 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.1, 1.0) * t)  # motor load changes
    return ((1 - noise_share) * buzz + noise_share * noise) * load


def _blender(rng, n, sr):
    return _motor(rng, n, sr, (180, 420), rng.uniform(0.3, 0.6), (200, 6000), 0.08)


def _vacuum(rng, n, sr):
    whine = _motor(rng, n, sr, (700, 1600), 0.2, (500, 4000), 0.01)
    noise = _band(_coloured_noise(rng, n, 0.5), sr, 100, 8000)
    return 0.4 * whine + 0.6 * noise / (np.abs(noise).max() + 1e-12)


def _shaver(rng, n, sr):
    return _motor(rng, n, sr, (90, 260), rng.uniform(0.05, 0.25), (2000, 9000), 0.03)


def _cat(rng, n, sr):
    t = _time(n, sr)
    peak = rng.uniform(500, 1000)
    arch = np.clip(np.sin(np.pi * t / max(t[-1], 1e-3)), 0.0, 1.0)  # rounding can make sin(pi) < 0
    contour = peak * (0.7 + 0.3 * arch ** rng.uniform(0.5, 2))
    voice = _harmonic(contour, sr, [1, 0.6, 0.4, 0.25, 0.15, 0.1])
    voice = _formants(voice, sr, (rng.uniform(800, 1500), rng.uniform(2000, 3500)), 300)
    return voice * _envelope(n, sr, 0.08, 0.2)


def _dishes(rng, n, sr):
    # 1-4 clinks: the first at the start of the clip (the event's onset is a hit), the next ones 0.05-0.25 s
    # after the previous one; each rings out with an exponential decay. ``n`` only bounds the length.
    out = np.zeros(n)
    start = 0
    for _ in range(rng.integers(1, 5)):
        if start >= n:
            break
        t = _time(n - start, sr)
        partials = sum(rng.uniform(0.3, 1) * np.sin(2 * np.pi * rng.uniform(1800, 7500) * t) for _ in range(4))
        out[start:] += partials * np.exp(-t * rng.uniform(8, 25))
        start += int(rng.uniform(0.05, 0.25) * sr)
    return out


def _dog(rng, n, sr):
    # 1-4 barks back to back (gaps of 0.02-0.12 s), starting at the clip's start: a bark sequence is one
    # event and its label spans the barks, not silence. ``n`` only bounds the length.
    out = np.zeros(n)
    start = 0
    for _ in range(rng.integers(1, 5)):
        length = min(max(int(rng.uniform(0.12, 0.25) * sr), 1), n - start)
        if length < int(0.05 * sr):
            break
        t = _time(length, sr)
        f0 = rng.uniform(250, 600) * (1 - 0.3 * t / max(t[-1], 1e-3))
        bark = _harmonic(f0, sr, [1, 0.8, 0.6, 0.4, 0.3]) + 0.4 * rng.standard_normal(length)
        bark = _formants(bark, sr, (rng.uniform(600, 1200), rng.uniform(1500, 2500)), 200)
        out[start:start + length] += bark * _envelope(length, sr, 0.01, 0.08)
        start += length + int(rng.uniform(0.02, 0.12) * sr)
    return out


def _frying(rng, n, sr):
    hiss = _band(_coloured_noise(rng, n, 0.0), sr, 2000, 10000)
    hiss /= np.abs(hiss).max() + 1e-12
    clicks = (rng.random(n) < rng.uniform(50, 300) / sr) * rng.uniform(-1, 1, n)
    clicks = _band(clicks, sr, 1500, 9000, order=2)
    clicks /= np.abs(clicks).max() + 1e-12
    return 0.5 * hiss + clicks


def _water(rng, n, sr):
    t = _time(n, sr)
    low, high = rng.uniform(300, 900), rng.uniform(3000, 7000)
    rush = _band(_coloured_noise(rng, n, rng.uniform(0.3, 1.2)), sr, low, high)
    gurgle = 1 + 0.4 * np.sin(2 * np.pi * rng.uniform(3, 9) * t + rng.uniform(0, 6) * np.sin(2 * np.pi * 0.7 * t))
    return rush * gurgle


def _speech(rng, n, sr):
    t = _time(n, sr)
    f0 = rng.uniform(95, 240) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    f0 *= 1 + 0.01 * rng.standard_normal(n).cumsum() / np.sqrt(np.arange(1, n + 1))
    voice = _harmonic(f0, sr, [1 / k for k in range(1, 30)])
    syllable_rate = rng.uniform(3, 6)
    vowels = [(730, 1090), (270, 2290), (530, 1840), (300, 870), (660, 1720)]
    out = np.zeros(n)
    segment = max(1, int(sr / syllable_rate))
    starts = list(range(0, n, segment))
    for number, start in enumerate(starts):
        stop = min(n, start + segment)
        f1, f2 = vowels[rng.integers(len(vowels))]
        part = _formants(voice[start:stop], sr, (f1, f2, 2500), 100) * _envelope(stop - start, sr, 0.02, 0.04)
        if 0 < number < len(starts) - 1 and rng.random() < 0.15:
            part[: int(0.6 * part.shape[0])] = 0.0  # a short pause between words (< 0.2 s), never at the ends
        out[start:stop] = part
    return out


GENERATORS: Dict[str, Callable] = {
    "Alarm_bell_ringing": _alarm, "Blender": _blender, "Cat": _cat, "Dishes": _dishes, "Dog": _dog,
    "Electric_shaver_toothbrush": _shaver, "Frying": _frying, "Running_water": _water, "Speech": _speech,
    "Vacuum_cleaner": _vacuum,
}


AUDIBLE_RANGE_DB = 30.0  # a sound is audible while its short-time level is within this of its peak


def audible_extent(audio: np.ndarray, sample_rate: int, range_db: float = AUDIBLE_RANGE_DB,
                   frame_s: float = 0.01) -> Tuple[int, int]:
    """(first, last + 1) sample of the 10 ms frames whose RMS level is within ``range_db`` of the loudest."""
    frame = max(1, int(frame_s * sample_rate))
    count = max(1, audio.shape[0] // frame)
    rms = np.sqrt(np.mean(np.asarray(audio[: count * frame], dtype=np.float64).reshape(count, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (-range_db / 20))
    if loud.size == 0:
        return 0, audio.shape[0]
    return int(loud[0] * frame), int(min(audio.shape[0], (loud[-1] + 1) * frame))


def source_character(clip: np.ndarray, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Family 1's source character (module doc): playback rate r ~ U(0.80, 0.92) or U(1.08, 1.20) (a side
    each at random; linear interpolation), a first-order tilt ``x + g * (highpass(x) - lowpass(x))`` at
    1.5 kHz with g ~ U(-0.6, 0.6), and a room response: exponentially decaying noise with RT60 ~ U(0.1,
    0.4) s, mixed at a direct-to-reverberant ratio of U(0, 10) dB."""
    rate = rng.uniform(1.08, 1.20) if rng.random() < 0.5 else rng.uniform(0.80, 0.92)
    n = max(2, int(round(clip.shape[0] / rate)))
    clip = np.interp(np.arange(n) * rate, np.arange(clip.shape[0]), clip)
    sos_high = signal.butter(1, 1500, btype="highpass", fs=sample_rate, output="sos")
    sos_low = signal.butter(1, 1500, btype="lowpass", fs=sample_rate, output="sos")
    clip = clip + rng.uniform(-0.6, 0.6) * (signal.sosfilt(sos_high, clip) - signal.sosfilt(sos_low, clip))
    rt60 = rng.uniform(0.1, 0.4)
    length = int(rt60 * sample_rate)
    response = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / length)  # -60 dB at rt60
    dry = np.concatenate([clip, np.zeros(length)])
    wet = np.zeros_like(dry)
    wet[: clip.shape[0] + length - 1] = signal.fftconvolve(clip, response)
    ratio = 10 ** (rng.uniform(0, 10) / 20)
    wet *= np.sqrt(np.sum(dry ** 2) / (np.sum(wet ** 2) + 1e-12)) / ratio
    return dry + wet


def synthesize_event(label: str, rng: np.random.Generator, sample_rate: int = 22050, family: int = 0) -> np.ndarray:
    """One foreground clip of class ``label``: float32, peak -1..-12 dBFS, 5 ms fades; ``family`` 1 adds the
    source character (:func:`source_character`).

    The clip is cut to its audible extent (:func:`audible_extent`): it starts and ends where the sound does,
    so an event placed from it is labelled where it can be heard, and nowhere else.
    """
    low, high = DURATION_RANGES_S[label]
    n = int(rng.uniform(low, high) * sample_rate)
    clip = GENERATORS[label](rng, n, sample_rate)
    if family == 1:
        clip = source_character(clip, rng, sample_rate)
    start, stop = audible_extent(clip, sample_rate)
    clip = clip[start:stop]
    n = clip.shape[0]
    clip = clip * _envelope(n, sample_rate, 0.005, 0.005)
    clip = clip / (np.abs(clip).max() + 1e-12) * 10 ** (rng.uniform(-12, -1) / 20)
    if not np.isfinite(clip).all():
        raise RuntimeError(f"soundbank: non-finite samples in a generated {label} clip")
    return clip.astype(np.float32)


def synthesize_background(label: str, rng: np.random.Generator, sample_rate: int = 22050,
                          duration_s: float = 12.0) -> np.ndarray:
    """A background texture: ``home`` (pink noise + mains hum) or ``room`` (brown noise, rumble, murmur)."""
    n = int(duration_s * sample_rate)
    t = _time(n, sample_rate)
    if label == "home":
        texture = _coloured_noise(rng, n, 1.0)
        hum_freq = rng.choice([50.0, 60.0])
        texture += 0.3 * sum(np.sin(2 * np.pi * hum_freq * k * t) / k for k in (1, 2, 3))
    elif label == "room":
        texture = _coloured_noise(rng, n, 2.0)
        texture += 0.5 * _band(_coloured_noise(rng, n, 0.0), sample_rate, 40, 200)  # ventilation
        murmur = _band(_coloured_noise(rng, n, 0.5), sample_rate, 200, 1500)
        murmur *= 0.5 + 0.5 * np.abs(np.sin(2 * np.pi * rng.uniform(2, 5) * t))
        texture += 0.4 * murmur
    else:
        raise ValueError(f"unknown background {label!r}; expected one of {BACKGROUND_LABELS}")
    texture = texture / (np.abs(texture).max() + 1e-12) * 0.3
    return texture.astype(np.float32)


def write_soundbank(out: str | Path, config: SoundBankConfig | None = None) -> Dict[str, int]:
    """Write the bank in Scaper's layout; returns clip counts per folder label. Reruns overwrite."""
    import soundfile as sf

    from sedkit.io import atomic_write

    config = config or SoundBankConfig()
    out = Path(out)
    counts = {}
    jobs = [("foreground", label, index) for label in DESED_CLASSES for index in range(config.clips_per_class)]
    jobs += [("background", label, index)
             for label in BACKGROUND_LABELS for index in range(config.backgrounds_per_label)]
    for kind, label, index in jobs:
        # One generator per clip, seeded by (bank seed, kind, label, index): clips do not depend on each other.
        key = [config.seed, 0 if kind == "foreground" else 1, (DESED_CLASSES + list(BACKGROUND_LABELS)).index(label),
               index]
        rng = np.random.default_rng(key)
        if kind == "foreground":
            audio = synthesize_event(label, rng, config.sample_rate, config.family)
        else:
            audio = synthesize_background(label, rng, config.sample_rate, config.background_duration_s)
        path = out / kind / label / f"{label}_{config.seed}_{index:03d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "wb", fsync=False) as handle:
            sf.write(handle, audio, config.sample_rate, format="WAV", subtype="FLOAT")
        counts[f"{kind}/{label}"] = counts.get(f"{kind}/{label}", 0) + 1
    return counts
