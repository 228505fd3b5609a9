"""Synthesize DCASE-style soundscapes with Scaper from a sound bank.

BANK is in Scaper's layout: BANK/foreground/<label>/*.wav and BANK/background/<label>/*.wav (labels are
the folder names; --label-map renames them). Writes OUT/audio/, OUT/jams/, OUT/strong.tsv, OUT/weak.tsv,
OUT/durations.tsv and OUT/synth.yaml. Defaults are DESED's: 10 s, ref_db -35, SNR 2-30 dB, polyphony <= 3.
A rerun keeps finished clips (same spec) or redoes all (changed spec).

examples:
  sedkit synth my_bank/ data/synth_train --set n_soundscapes=1000 seed=1 --nj 4
  sedkit synth my_bank/ data/real_like --set domain=real --label-map map.tsv
  sedkit synth --dump-config > synth.yaml
"""
from __future__ import annotations

import argparse

from sedkit.cli.common import add_job_options, start_job


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bank", nargs="?", metavar="BANK", help="sound bank folder (foreground/, background/)")
    parser.add_argument("output", nargs="?", metavar="OUT", help="output folder")
    parser.add_argument("--label-map", metavar="MAP.tsv", help="tsv with columns folder, label: renames labels")
    add_job_options(parser, "synthesis spec (SynthConfig fields)")


def run(args: argparse.Namespace) -> int:
    from sedkit.data.synth import SynthConfig, scan_soundbank, synthesize

    started = start_job(SynthConfig, args, "BANK and OUT", args.bank, args.output)
    if started is None:
        return 0
    config, shard = started
    bank = scan_soundbank(args.bank, args.label_map)
    report = synthesize(bank, args.output, config, nj=args.nj, shard=shard,
                        progress=False if args.no_progress else None)
    changed = "; spec changed, all clips redone" if report.spec_changed else ""
    print(f"{args.output}: {report.n_clips} soundscapes: {report.n_made} made, {report.n_skipped} already done"
          f"{changed}; {report.n_events} events ({report.n_dropped_events} dropped for polyphony); "
          f"{report.elapsed_s:.1f} s")
    return 0
