"""Event-based F1, precision, recall, error rate and its substitution / deletion / insertion
parts, the same numbers as sed_eval's EventBasedMetrics (onset collar, offset collar max(collar, rate x
reference length), optimal matching; a class without estimates scores precision 0, as DESED_task asks
sed_eval with empty_system_output_handling='zero_score'). Macro = mean over the class list; micro = pooled.

examples:
  sedkit eval event --reference validation.tsv --estimated predictions.tsv
  sedkit eval event --reference ref.tsv --estimated est.tsv --classes Dog Cat Speech --json m.json --plot f1.png
  sedkit eval event --reference ref.tsv --estimated est.tsv --no-offset --t-collar-s 0.25   # DCASE 2016-17
"""
from __future__ import annotations

import argparse

from sedkit.cli.eval import add_common, add_empty_system_output, finish, load_tables, warnings_to_stderr


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--t-collar-s", type=float, default=0.2, help="onset/offset collar in seconds (default 0.2)")
    parser.add_argument("--percentage-of-length", type=float, default=0.2,
                        help="offset collar as a fraction of the reference length (default 0.2)")
    parser.add_argument("--event-matching", choices=("optimal", "greedy"), default="optimal",
                        help="optimal (maximum bipartite) or greedy matching (default optimal)")
    parser.add_argument("--no-onset", dest="evaluate_onset", action="store_false",
                        help="do not require the onset within the collar (sed_eval's evaluate_onset=False)")
    parser.add_argument("--no-offset", dest="evaluate_offset", action="store_false",
                        help="do not require the offset within its collar (sed_eval's evaluate_offset=False; "
                             "DCASE 2016-2017's main metric)")
    add_empty_system_output(parser, "zero_score")
    parser.add_argument("--no-clip-counts", action="store_true",
                        help="leave the per-clip counts out of the JSON (smaller; `sedkit results` then cannot "
                             "pair this run in its bootstrap)")




def run(args: argparse.Namespace) -> int:
    from sedkit.metrics.event_based import event_based_metrics

    with warnings_to_stderr("eval event"):
        reference, estimated, durations = load_tables(args)
        result = event_based_metrics(reference, estimated, classes=args.classes, durations=durations,
                                     t_collar=args.t_collar_s, percentage_of_length=args.percentage_of_length,
                                     evaluate_onset=args.evaluate_onset, evaluate_offset=args.evaluate_offset,
                                     event_matching=args.event_matching,
                                     empty_system_output=args.empty_system_output)
    result.clip_counts_in_json = not args.no_clip_counts
    collars = [f"onset collar {args.t_collar_s:g} s"] if args.evaluate_onset else ["onsets not evaluated"]
    collars.append(f"offset collar max({args.t_collar_s:g} s, {100 * args.percentage_of_length:g}% of length)"
                   if args.evaluate_offset else "offsets not evaluated")
    title = (f"event-based: {', '.join(collars)}, {args.event_matching} matching, empty system output "
             f"{args.empty_system_output}; {result.n_files} files, {len(result.classes)} classes")
    return finish(result, args, title)
