"""Extract log-mel features from audio.

IN is a folder of audio (wav, flac, ogg; searched recursively), one audio file, or a tsv with columns `filename` and
`path`. Writes OUT/<clip>.npy (float32, n_frames x n_mels), OUT/feats.tsv and OUT/features.yaml.
A rerun skips clips already done with the same config and redoes all of them if the config changed.
Defaults are the MMT-DA paper's: 22050 Hz, n_fft 2048, hop 431, 128 mels, dB (10 s -> 512 frames).

examples:
  sedkit features audio/train feats/train --nj 4
  sedkit features wav.tsv feats/eval --config conf/logmel.yaml
  sedkit features audio/ feats/ --shard 3/10        # job 3 of a 10-job array
  sedkit features --dump-config > logmel.yaml       # the defaults, to edit
"""
from __future__ import annotations

import argparse
import sys

from sedkit.cli.common import add_job_options, start_job


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", nargs="?", metavar="IN", help="audio folder or wav.tsv (filename, path)")
    parser.add_argument("output", nargs="?", metavar="OUT", help="feature folder to write")
    add_job_options(parser, "feature config (LogMelConfig fields)")


def run(args: argparse.Namespace) -> int:
    from sedkit.features.extract import extract_features, list_audio
    from sedkit.features.logmel import LogMelConfig

    started = start_job(LogMelConfig, args, "IN and OUT", args.input, args.output)
    if started is None:
        return 0
    config, shard = started
    items = list_audio(args.input)
    report = extract_features(items, args.output, config, nj=args.nj, shard=shard,
                              progress=False if args.no_progress else None)
    for filename, message in report.failures:
        print(f"sedkit features: error: {message}", file=sys.stderr)
    rate = report.n_extracted / report.elapsed_s if report.elapsed_s > 0 else 0.0
    shard_note = f" (shard {shard[0]}/{shard[1]} of {report.n_listed})" if shard[1] > 1 else ""
    changed = "; config changed, all clips redone" if report.config_changed else ""
    print(f"{report.out_dir}: {report.n_inputs} clips{shard_note}: {report.n_extracted} extracted, "
          f"{report.n_skipped} already done, {len(report.failures)} failed{changed}; "
          f"{report.elapsed_s:.1f} s ({rate:.1f} clips/s); feats.tsv lists {report.n_table_rows} clips")
    if report.failures:
        print(f"sedkit features: {len(report.failures)} of {report.n_inputs} clips failed (listed above); "
              "fix or remove them and rerun", file=sys.stderr)
        return 2
    return 0
