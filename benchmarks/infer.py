#!/usr/bin/env python3
"""Benchmark: `sedkit infer --model` end to end on long recordings (real-time factor and peak memory).

Two detectors with random weights (speed does not depend on the weights), built as the recipes build them:
  mini:  the mini CRNN (65k parameters) on 64 mels x 256 frames (22050 Hz, hop 862), 10 s windows;
  paper: the paper's CRNN (885k parameters) on 128 mels x 512 frames (22050 Hz, hop 431), 10 s windows.
For each, a WAV of --minutes at 44.1 kHz (noise and tones) is scored end to end through the CLI in a child
process: reading, resampling to 22050 Hz, log-mel, network, merging, decoding, writing the score table and the
events. Reported: the real-time factor (audio seconds per wall second), the share of each step (from the
Detector's own timings, in-process run, after a warm-up that pays the one-off imports), and the child's peak
resident memory (getrusage). --memory-hours H also scores an H-hour 44.1 kHz recording with both models (their
real-time factor with the process's one-off costs spread over the hour, and their peak memory).

usage: python benchmarks/infer.py [--minutes 10] [--memory-hours 1] [--threads 2] [--workdir benchmarks/out/infer]
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MODELS = {
    "mini": dict(features=dict(sample_rate=22050, n_fft=2048, win_length=2048, hop_length=862, n_mels=64,
                               clip_duration_s=10.0),
                 model=dict(n_classes=10, n_mels=64, channels=[16, 32, 32, 32, 32],
                            pooling=[[2, 4], [1, 4], [1, 2], [1, 2], [1, 1]], rnn_hidden=32)),
    "paper": dict(features=dict(sample_rate=22050, n_fft=2048, win_length=2048, hop_length=431, n_mels=128,
                                clip_duration_s=10.0),
                  model=dict(n_classes=10, n_mels=128)),
}


def make_package(name: str, path: Path) -> Path:
    import torch

    from sedkit.config import from_dict, to_dict
    from sedkit.features.logmel import LogMelConfig
    from sedkit.inference.package import ModelPackage, write_package
    from sedkit.models.crnn import CRNN, CRNNConfig

    spec = MODELS[name]
    features = from_dict(LogMelConfig, spec["features"])
    config = from_dict(CRNNConfig, spec["model"])
    torch.manual_seed(0)
    network = CRNN(config)
    classes = [f"class_{i}" for i in range(config.n_classes)]
    hop = config.time_pooling_factor * features.frame_hop_s
    return write_package(ModelPackage("crnn", to_dict(config), to_dict(features), classes, hop, 10.0,
                                      {c: 0.5 for c in classes}, {c: 0.45 for c in classes},
                                      np.full(config.n_mels, -40.0), np.full(config.n_mels, 15.0),
                                      network.state_dict(), {"system": "benchmark"}), path)


def write_recording(path: Path, seconds: float, rate: int = 44100, seed: int = 0) -> Path:
    """Noise with a tone burst every few seconds, written block by block (never held whole)."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    block = 60 * rate
    with sf.SoundFile(str(path), "w", rate, 1, subtype="PCM_16") as handle:
        for start in range(0, int(seconds * rate), block):
            n = min(block, int(seconds * rate) - start)
            t = (start + np.arange(n)) / rate
            gate = (np.sin(2 * np.pi * t / 7.0) > 0.6).astype(np.float32)
            handle.write((0.01 * rng.standard_normal(n) + 0.2 * gate * np.sin(2 * np.pi * 880 * t)).astype(np.float32))
    return path


def run_cli(package: Path, audio: Path, out: Path, threads: int) -> dict:
    code = (f"import torch, resource, time, sys; torch.set_num_threads({threads}); "
            "from sedkit.cli.main import main; t = time.perf_counter(); "
            f"rc = main(['infer', '--model', '{package}', '--audio', '{audio}', '--out', '{out}', '--no-progress']); "
            "print('WALL', time.perf_counter() - t, 'RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); "
            "sys.exit(rc)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    wall, rss = done.stdout.split("WALL")[-1].split("RSS")
    return {"wall_s": float(wall), "process_s": time.perf_counter() - started, "peak_rss_mb": int(rss) / 1024}


def step_shares(package: Path, audio: Path, threads: int) -> dict:
    import torch

    from sedkit.inference import Detector

    torch.set_num_threads(threads)
    detector = Detector.load(package)
    detector.score_file(audio, duration_s=10.0)  # warm-up: librosa's and soxr's one-off set-up
    detector.timings = dict.fromkeys(detector.timings, 0.0)
    started = time.perf_counter()
    scored = detector.score_file(audio)
    detector.events(scored)
    total = time.perf_counter() - started
    shares = {k: v / total for k, v in detector.timings.items()}
    shares["decode and rest"] = 1 - sum(shares.values())
    return shares


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--memory-hours", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", default="benchmarks/out/infer")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    audio = write_recording(work / "recording.wav", 60 * args.minutes)
    report = {}
    for name in MODELS:
        package = make_package(name, work / f"{name}.pt")
        run = run_cli(package, audio, work / f"out_{name}", args.threads)
        shares = step_shares(package, audio, args.threads)
        report[name] = {"audio_s": 60 * args.minutes, **run, "rtf": 60 * args.minutes / run["wall_s"], "shares": shares}
        print(f"{name}: {60 * args.minutes:.0f} s of 44.1 kHz audio in {run['wall_s']:.2f} s: "
              f"{report[name]['rtf']:.0f}x real time, peak {run['peak_rss_mb']:.0f} MB; steps: "
              + ", ".join(f"{k} {100 * v:.0f} %" for k, v in shares.items()), flush=True)
    if args.memory_hours > 0:
        hour = write_recording(work / "long.wav", 3600 * args.memory_hours)
        for name in MODELS:  # the one-off costs (imports, resampler set-up) spread over an hour
            run = run_cli(work / f"{name}.pt", hour, work / f"out_long_{name}", args.threads)
            report[f"long_{name}"] = {"audio_s": 3600 * args.memory_hours, **run,
                                      "rtf": 3600 * args.memory_hours / run["wall_s"]}
            print(f"{name}, {args.memory_hours:g} h at 44.1 kHz: {run['wall_s']:.1f} s "
                  f"({report[f'long_{name}']['rtf']:.0f}x real time), peak resident memory "
                  f"{run['peak_rss_mb']:.0f} MB", flush=True)
    (work / "report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
