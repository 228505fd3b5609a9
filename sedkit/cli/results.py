"""Write a recipe's RESULTS.md from its scored runs (never by hand).

Reads EXP/<system>_seed<k>/decode_<set>/{event,segment,psds}.json for every system and seed, and writes a
table of event macro / micro F1, segment F1 and PSDS (mean +- std over seeds) with the paper's number
beside each system, plus the best system's F1 bar chart and PSD-ROC.

example:
  sedkit results --exp exp --systems "mt_real mmt_da_tsp" --seeds "1 2 3" --paper conf/paper_results.yaml \\
      --out RESULTS.md --note "corpus: mini, scale 1.0" --note "command: ./run.sh --mini true"
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exp", required=True, help="experiment folder of the recipe")
    parser.add_argument("--systems", required=True, help="space-separated system names")
    parser.add_argument("--seeds", required=True, help="space-separated seeds")
    parser.add_argument("--kind", choices=("sed", "classification"), default="sed",
                        help="sed: decode_<set>/{event,segment,psds}.json; classification: eval_<set>/metrics.json")
    parser.add_argument("--set", default="validation", dest="decode_set", help="scored set (default validation)")
    parser.add_argument("--paper", help="YAML of the paper's numbers per system")
    parser.add_argument("--title", default="Results", help="title line")
    parser.add_argument("--note", action="append", default=[], help="a line under the title (repeatable)")
    parser.add_argument("--out", required=True, help="RESULTS.md to write")


def run(args: argparse.Namespace) -> int:
    from sedkit.config import load_yaml
    from sedkit.errors import InputError
    from sedkit.metrics.report import collect_results, write_results

    try:
        seeds = [int(s) for s in args.seeds.split()]
    except ValueError:
        raise InputError(f"--seeds {args.seeds!r}: expected integers") from None
    paper = {k: float(v) for k, v in load_yaml(args.paper).items()} if args.paper else {}
    results = collect_results(args.exp, args.systems.split(), seeds, args.decode_set, args.kind)
    best = write_results(args.out, results, paper, args.title, args.note, args.kind)
    print(open(args.out).read())
    print(f"{args.out}: {len(results)} systems; best {best}")
    return 0
