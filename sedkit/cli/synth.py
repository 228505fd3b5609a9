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
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bank", nargs="?", metavar="BANK", help="sound bank folder (foreground/, background/)")
    parser.add_argument("output", nargs="?", metavar="OUT", help="output folder")
    parser.add_argument("--config", metavar="YAML", help="synthesis spec (SynthConfig fields)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override spec fields, e.g. --set n_soundscapes=50 domain=real")
    parser.add_argument("--label-map", metavar="MAP.tsv", help="tsv with columns folder, label: renames labels")
    parser.add_argument("--nj", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--shard", default="1/1", metavar="K/N", help="make only shard K of N (default 1/1)")
    parser.add_argument("--dump-config", action="store_true", help="print the resolved spec as YAML and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sedkit.config import dump_yaml, load_config, to_dict
    from sedkit.data.synth import SynthConfig, scan_soundbank, synthesize
    from sedkit.errors import InputError
    from sedkit.parallel import parse_shard

    config = load_config(SynthConfig, args.config, args.overrides)
    if args.dump_config:
        sys.stdout.write(dump_yaml(to_dict(config)))
        return 0
    if args.bank is None or args.output is None:
        raise InputError("BANK and OUT are required (or --dump-config)")
    if args.nj < 1:
        raise InputError(f"--nj {args.nj}: must be at least 1")
    shard = parse_shard(args.shard)
    bank = scan_soundbank(args.bank, args.label_map)
    report = synthesize(bank, args.output, config, nj=args.nj, shard=shard,
                        progress=False if args.no_progress else None)
    changed = "; spec changed, all clips redone" if report.spec_changed else ""
    print(f"{args.output}: {report.n_clips} soundscapes: {report.n_made} made, {report.n_skipped} already done"
          f"{changed}; {report.n_events} events ({report.n_dropped_events} dropped for polyphony); "
          f"{report.elapsed_s:.1f} s")
    return 0
