#!/usr/bin/env python3
"""Benchmark: sedkit feature extraction against a plain librosa loop, measured in one run.

Generates N ten-second clips at 44.1 kHz (tone/noise bursts), then times
  (a) librosa: for each file, librosa.load(sr=22050) + melspectrogram + power_to_db, one process;
  (b) sedkit:  extract_features(nj=NJ) (soundfile + soxr resampling + torch STFT, NJ worker processes),
both at the paper's settings (n_fft 2048, hop 431, 128 mels), and checks that the features agree.
Prints clips/s of each and the ratio (target: sedkit >= 2x librosa with nj=2).

usage: python benchmarks/features.py [--n-clips 200] [--nj 2] [--workdir benchmarks/out/features]
"""
import argparse
import shutil
import time
from pathlib import Path

import numpy as np

from sedkit.features.extract import extract_features, list_audio
from sedkit.features.logmel import LogMelConfig


def librosa_loop(paths, config):
    import librosa

    out = {}
    for path in paths:
        y, _ = librosa.load(path, sr=config.sample_rate, mono=True)
        mel = librosa.feature.melspectrogram(y=y, sr=config.sample_rate, n_fft=config.n_fft,
                                             hop_length=config.hop_length, win_length=config.win_length,
                                             n_mels=config.n_mels, center=config.center, pad_mode="constant")
        out[Path(path).name] = librosa.power_to_db(mel, ref=1.0, amin=config.amin, top_db=None).T
    return out


def write_noise_clips(folder: Path, n_clips: int, sample_rate: int, duration_s: float, seed: int = 0) -> None:
    """Clips of noise and a tone (feature extraction time does not depend on the content)."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    for index in range(n_clips):
        clip = 0.01 * rng.standard_normal(t.shape[0]) + 0.1 * np.sin(2 * np.pi * rng.uniform(200, 4000) * t)
        sf.write(folder / f"clip_{index:04d}.wav", clip.astype(np.float32), sample_rate, subtype="PCM_16")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n-clips", type=int, default=200)
    parser.add_argument("--nj", type=int, default=2)
    parser.add_argument("--workdir", default="benchmarks/out/features")
    args = parser.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    write_noise_clips(work / "audio", args.n_clips, sample_rate=44100, duration_s=10.0)
    config = LogMelConfig()
    items = list_audio(work / "audio")

    librosa_loop([items[0].path], config)  # warm-up: librosa's lazy imports and numba compilation

    started = time.perf_counter()
    reference = librosa_loop([item.path for item in items], config)
    librosa_s = time.perf_counter() - started

    started = time.perf_counter()
    report = extract_features(items, work / "feats", config, nj=args.nj, progress=False)
    sedkit_s = time.perf_counter() - started
    assert report.n_extracted == len(items) and not report.failures

    worst = max(float(np.abs(np.load(work / "feats" / item.feature_name) - reference[item.filename]).max())
                for item in items)
    librosa_rate, sedkit_rate = len(items) / librosa_s, len(items) / sedkit_s
    print(f"clips: {len(items)} x 10 s at 44.1 kHz -> 22.05 kHz, {config.n_mels} mels, hop {config.hop_length}")
    print(f"librosa loop (1 process): {librosa_s:7.2f} s  {librosa_rate:7.1f} clips/s")
    print(f"sedkit (nj={args.nj}):            {sedkit_s:7.2f} s  {sedkit_rate:7.1f} clips/s")
    print(f"ratio sedkit / librosa:   {sedkit_rate / librosa_rate:.2f}x   (max |diff| {worst:.2e} dB)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
