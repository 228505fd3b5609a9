"""Write a recipe's RESULTS.md from its scored runs (never by hand).

Reads EXP/<system>_seed<k>/decode_<set>/{event,segment,psds}.json (and model.yaml, metrics.csv) for every
system and seed, and writes a table of event macro / micro F1, segment F1 and PSDS (mean +- std over
seeds) with the paper's number beside each system, plus the best system's F1 bar chart and PSD-ROC. SED
tables add the scored model, the 95 % paired-bootstrap interval of each system's difference to --baseline
(over the reported clips, seeds pooled; from event.json's clip_counts and psds.json's bootstrap), the share
of the --bounds gap each system closes, the validation gain over the last 20 % of training, and the
scores of every other student and teacher decoded (decode_<set>_<network>/).

example:
  sedkit results --exp exp --systems "mt_real mmt_da_tsp" --seeds "1 2 3" --paper conf/paper_results.yaml \\
      --out RESULTS.md --note "corpus: mini, scale 1.0" --note "command: ./run.sh --mini true"
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exp", required=True, help="experiment folder of the recipe")
    parser.add_argument("--systems", required=True, help="space-separated system names")
    parser.add_argument("--seeds", required=True, help="space-separated seeds")
    parser.add_argument("--kind", choices=("sed", "classification"), default="sed",
                        help="sed: decode_<set>/{event,segment,psds}.json; classification: eval_<set>/metrics.json")
    parser.add_argument("--set", default="validation", dest="decode_set", help="scored set (default validation)")
    parser.add_argument("--conditions", default="", metavar="SETS",
                        help="sed: space-separated sets holding the reported set's clips made otherwise (resampled, at "
                             "another level): a table of each system on each, paired with --set")
    parser.add_argument("--per-class", action="store_true",
                        help="sed: a table of event-based F1 per class, and (with a baseline) each system's "
                             "difference to it per class")
    parser.add_argument("--per-class-networks", default="", metavar="NETS",
                        help="sed, with --per-class: other scored networks of the runs shown as columns "
                             "<system>/<network> (e.g. 'ssl_teacher da_student' for MMT-DA)")
    parser.add_argument("--paper", help="YAML of the paper's numbers per system")
    parser.add_argument("--title", default="Results", help="title line")
    parser.add_argument("--note", action="append", default=[], help="a line under the title (repeatable)")
    parser.add_argument("--out", required=True, help="RESULTS.md to write")
    parser.add_argument("--baseline", help="system the differences are taken to (sed: default mt_real when listed; "
                                           "classification: paired over test groups, shown where the runs kept "
                                           "per-group counts)")
    parser.add_argument("--baselines", metavar="YAML",
                        help="classification: each system's own baseline (a YAML mapping system: baseline); the "
                             "table names it and pairs every row with it")
    parser.add_argument("--bounds", nargs=2, metavar=("LOWER", "UPPER"),
                        help="sed: lower and upper bound systems for the gap-closed column "
                             "(default source_only oracle when both are listed)")
    parser.add_argument("--tables", metavar="YAML",
                        help="sed: several tables, one per heading: a YAML mapping of table title to its systems "
                             "(e.g. one per paper table); the systems among --systems are shown, the others named "
                             "under their table as left out of this reading")
    parser.add_argument("--selection-plot", action="store_true",
                        help="sed: a figure of each system's model-selection score against the training step "
                             "(every seed; the scored checkpoint marked), <out stem>_selection.png, shown in the file")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    parser.add_argument("--bootstrap-seed", type=int, default=0, help="seed of the resamples (default 0)")


def run(args: argparse.Namespace) -> int:
    from sedkit.config import load_yaml
    from sedkit.errors import InputError
    from sedkit.reporting import collect_results, write_results

    try:
        seeds = [int(s) for s in args.seeds.split()]
    except ValueError:
        raise InputError(f"--seeds {args.seeds!r}: expected integers") from None
    paper = {k: float(v) for k, v in load_yaml(args.paper).items()} if args.paper else {}
    systems = args.systems.split()
    if args.bootstrap < 1:
        raise InputError(f"--bootstrap {args.bootstrap}: at least 1 resample")
    for name in [args.baseline] + list(args.bounds or []):
        if name is not None and name not in systems:
            raise InputError(f"--baseline/--bounds {name}: not among --systems ({args.systems})")
    baselines = None
    if args.baselines:
        if args.kind != "classification" or args.baseline:
            raise InputError("--baselines: for --kind classification, instead of --baseline")
        baselines = load_yaml(args.baselines)
        if not isinstance(baselines, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in baselines.items()):
            raise InputError(f"{args.baselines}: expected a mapping of system names to baseline system names")
        for system, base in baselines.items():
            if system in systems and base not in systems:  # a run of a subset of the systems: no pair, said
                print(f"sedkit results: warning: {args.baselines}: {system}'s baseline {base} is not among --systems; "
                      "its row is not paired", file=sys.stderr)
    baseline = args.baseline or ("mt_real" if "mt_real" in systems else None)
    bounds = args.bounds or (["source_only", "oracle"] if {"source_only", "oracle"} <= set(systems) else None)
    tables = None
    if args.tables:
        if args.kind != "sed":
            raise InputError("--tables: only for --kind sed")
        layout = load_yaml(args.tables)
        if not layout or not all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in layout.values()):
            raise InputError(f"{args.tables}: expected a mapping of table titles to lists of system names")
        tables = [(str(title), list(names)) for title, names in layout.items()]
        outside = [s for s in systems if not any(s in names for _, names in tables)]
        if outside:
            raise InputError(f"--systems {outside[0]}: in none of the tables of {args.tables}")
    if args.per_class_networks and not args.per_class:
        raise InputError("--per-class-networks: only with --per-class")
    results = collect_results(args.exp, systems, seeds, args.decode_set, args.kind)
    statistics = dict(baseline=baseline, bounds=bounds, n_resamples=args.bootstrap, seed=args.bootstrap_seed,
                      tables=tables)
    extra = []
    if args.kind == "sed":
        from sedkit.reporting_sections import conditions_section, per_class_section

        extra = conditions_section(args.exp, results, seeds, args.decode_set, args.conditions.split(),
                                   args.bootstrap, args.bootstrap_seed)
        extra += (per_class_section(results, args.decode_set, baseline, args.per_class_networks.split())
                  if args.per_class else [])
        if args.selection_plot:
            from pathlib import Path

            from sedkit.reporting_sections import selection_curves_section

            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            extra += selection_curves_section(results, out.parent / f"{out.stem}_selection.png")
    elif args.conditions or args.per_class or args.selection_plot:
        raise InputError("--conditions, --per-class and --selection-plot: only for --kind sed")
    if args.kind != "sed":
        statistics = dict(baseline=baselines or args.baseline, n_resamples=args.bootstrap, seed=args.bootstrap_seed)
    best = write_results(args.out, results, paper, args.title, args.note, args.kind, sections=extra, **statistics)
    print(open(args.out).read())
    print(f"{args.out}: {len(results)} systems; best {best}")
    return 0


class keep:  # noqa: N801  (the `sedkit results keep` subcommand)
    """Keep the scores of every scored run of EXP in DEST, in the same layout: config.yaml, metrics.csv, the
    scores as JSON (and the YAML beside them) and the plots of the scored model, so that `sedkit results` (a
    recipe's stage 8) can write RESULTS.md from runs made in several sittings or on several machines, and the
    numbers can be committed next to it. No checkpoints, features, frame scores, logs, text tables or other
    networks' plots (docs/recipes.md, "What results_mini keeps"). recipes/utils/keep_scores.sh calls this.

    example:
      sedkit results keep exp results_mini
    """

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("exp", metavar="EXP", help="experiment folder of a recipe (EXP/<system>_seed<k>/...)")
        parser.add_argument("dest", metavar="DEST", help="where to keep the scores (same layout)")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        import sys

        from sedkit.reporting import keep_scores

        kept, unscored = keep_scores(args.exp, args.dest)
        for name in unscored:
            print(f"sedkit results keep: {args.exp.rstrip('/')}/{name}: not scored yet, left out", file=sys.stderr)
        print(f"sedkit results keep: kept the scores of {len(kept)} runs of {args.exp} in {args.dest}", file=sys.stderr)
        return 0


class path:  # noqa: N801  (the `sedkit results path` subcommand)
    """Print the name of a run folder or of a run's scored-set folder, as sedkit.reporting defines them (the one
    place; recipes call this instead of spelling the pattern).

    examples:
      sedkit results path run --system bank --seed 1            # bank_seed1
      sedkit results path runs --systems "da mt_da" --seeds "1 2"  # "da 1 da_seed1" ... one line per run
      sedkit results path scored --set validation-16k           # decode_validation-16k
      sedkit results path scored --set validation --network student --kind sed
    """

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("what", choices=("run", "runs", "scored"),
                            help="run: EXP/<run>/; runs: '<system> <seed> <run>' per line for every system and "
                                 "seed (systems in order, seeds within: recipes/utils/runs.sh); "
                                 "scored: <run>/<scored set>/")
        parser.add_argument("--system", help="run: the system name")
        parser.add_argument("--seed", type=int, help="run: the seed")
        parser.add_argument("--systems", help="runs: system names, separated by spaces")
        parser.add_argument("--seeds", help="runs: seeds (integers), separated by spaces")
        parser.add_argument("--set", dest="scored_set", help="scored: the set's name")
        parser.add_argument("--network", help="scored: another network of the run than the scored one")
        parser.add_argument("--kind", choices=("sed", "classification"), default="sed", help="default sed")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from sedkit.errors import InputError
        from sedkit.reporting import run_folder, scored_folder

        if args.what == "run":
            if args.system is None or args.seed is None:
                raise InputError("results path run: --system and --seed are required")
            print(run_folder(args.system, args.seed))
        elif args.what == "runs":
            if args.systems is None or args.seeds is None:
                raise InputError("results path runs: --systems and --seeds are required")
            seeds = args.seeds.split()
            bad = [seed for seed in seeds if not seed.lstrip("-").isdigit()]
            if bad:
                raise InputError(f"results path runs: --seeds {bad[0]!r} is not an integer")
            for system in args.systems.split():
                for seed in seeds:
                    print(system, int(seed), run_folder(system, int(seed)))
        else:
            if args.scored_set is None:
                raise InputError("results path scored: --set is required")
            print(scored_folder(args.kind, args.scored_set, args.network))
        return 0
