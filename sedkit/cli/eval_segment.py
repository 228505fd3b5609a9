"""Segment-based F1, precision, recall, error rate, sensitivity, specificity and accuracy, the
same numbers as sed_eval's SegmentBasedMetrics (1 s segments by default; a class without estimated
segments has precision and F1 undefined and is left out of the macro mean, as sed_eval's default). With
--durations each file's evaluated length is its duration; without, the largest offset among its reference
and estimated events.

With --scores DIR --auroc (frame scores instead of an event table): the segment-based ROC AUC per class
and its mean from the frame scores, sed_scores_eval's segment_based.auroc, partial up to --max-fpr (default
0.1: DCASE 2024 task 4's mpAUC, reported under that name; --max-fpr 1 gives the full AUC). With --scores DIR
--error-rate [THRESHOLD]: sed_scores_eval's segment-based error rates from the scores (per class, no
substitutions), at THRESHOLD or at each class's best. Both need --durations.

examples:
  sedkit eval segment --reference validation.tsv --estimated predictions.tsv --durations durations.tsv
  sedkit eval segment --reference ref.tsv --durations dur.tsv --scores exp/decode/scores --auroc --json auc.json
  sedkit eval segment --reference ref.tsv --durations dur.tsv --scores exp/decode/scores --error-rate 0.5
"""
from __future__ import annotations

import argparse
import sys

from sedkit.cli.eval import (add_common, add_empty_system_output, add_error_rate, bootstrap_document, bootstrap_line,
                             bootstrap_weights, error_rate_threshold, finish, load_tables, percent,
                             report_error_rates, warnings_to_stderr, write_json)
from sedkit.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, estimated_required=False)
    parser.add_argument("--time-resolution-s", type=float, default=1.0, help="segment length in seconds (default 1.0)")
    add_empty_system_output(parser, "default")
    parser.add_argument("--scores", metavar="DIR", help="folder of <clip>.tsv frame scores (with --auroc)")
    parser.add_argument("--auroc", action="store_true", help="segment-based ROC AUC from --scores (mpAUC)")
    parser.add_argument("--max-fpr", type=float, default=0.1,
                        help="--auroc: partial AUC up to this false positive rate, in (0, 1] (default 0.1)")
    add_error_rate(parser)
    parser.add_argument("--nj", type=int, default=1, metavar="N", help="--scores: threads reading the score files")




def run(args: argparse.Namespace) -> int:
    from sedkit.metrics.segment_based import segment_based_metrics

    if args.auroc or args.scores or args.error_rate is not None:
        return _run_scores(args)
    if not args.estimated:
        raise InputError("eval segment: give --estimated EST.tsv (or --scores DIR --auroc)")

    with warnings_to_stderr("eval segment"):
        reference, estimated, durations = load_tables(args)
        result = segment_based_metrics(reference, estimated, classes=args.classes, durations=durations,
                                       time_resolution=args.time_resolution_s,
                                       empty_system_output=args.empty_system_output)
    title = (f"segment-based: {args.time_resolution_s:g} s segments, empty system output "
             f"{args.empty_system_output}; {result.n_files} files, "
             f"{len(result.classes)} classes, {result.extra['evaluated_length_s']:.1f} s evaluated")
    return finish(result, args, title)


def _run_scores(args: argparse.Namespace) -> int:
    """`eval segment --scores DIR --auroc / --error-rate`: per-class and mean (partial) segment-based ROC AUC, and
    error rates from the scores."""
    from sedkit.io import read_durations, read_events, read_score_files
    from sedkit.metrics.common import resolve_classes
    from sedkit.metrics.segment_auroc import segment_auroc, segment_scores
    from sedkit.parallel import check_jobs

    wanted_er, threshold = error_rate_threshold(args)
    if not args.scores or not (args.auroc or wanted_er):
        raise InputError("--scores goes with --auroc and / or --error-rate (segment-based metrics from frame scores)")
    if args.estimated:
        raise InputError("--auroc / --error-rate score frame scores (--scores), not an event table (--estimated)")
    if not args.durations:
        raise InputError("--scores needs --durations DUR.tsv (segments cover each clip's whole length)")
    if not 0 < args.max_fpr <= 1:
        raise InputError(f"--max-fpr {args.max_fpr}: must lie in (0, 1]")
    check_jobs(args.nj)
    with warnings_to_stderr("eval segment"):
        reference = read_events(args.reference)
        durations = read_durations(args.durations)
        names = sorted(set(durations) | set(reference.files))
        classes = resolve_classes(reference, args.classes)
        files = read_score_files(args.scores, names, classes, outside=f"{args.durations} or {args.reference}",
                                 threads=args.nj)
        segments = segment_scores(reference, files, durations, classes, args.time_resolution_s)
    empty = [c for i, c in enumerate(classes) if not segments.targets[:, i].any()]
    if empty:
        print(f"sedkit eval segment: warning: no reference segment of {', '.join(empty)}: its AUC, and the mean, "
              "are undefined (sed_scores_eval refuses such a class)", file=sys.stderr)
    weights = bootstrap_weights(args, len(names))
    document = {}
    if wanted_er:
        from sedkit.metrics.error_rates import segment_error_rates

        errors = segment_error_rates(segments, threshold, weights)
        document["error_rate_from_scores"] = report_error_rates(errors, args, "segment-based", len(names))
    if not args.auroc:
        if args.json:
            write_json(args.json, {"segment_length_s": args.time_resolution_s, "n_files": len(names), **document})
        return 0
    result = segment_auroc(segments, None if args.max_fpr == 1 else args.max_fpr, args.time_resolution_s, weights)
    name = "mpAUC" if result.max_fpr is not None else "mAUC"
    width = max(len(name), *map(len, classes))
    print(f"segment-based ROC AUC: {args.time_resolution_s:g} s segments, "
          + (f"partial up to FPR {args.max_fpr:g}" if result.max_fpr else "full") + f"; {len(names)} files, "
          f"{len(classes)} classes")
    for c in classes:
        print(f"{c:<{width}}  {percent(result.per_class[c])}")
    print(f"{name:<{width}}  {percent(result.mean)}")
    document = {**result.to_json(), **document}
    if weights is not None:
        document["bootstrap"] = bootstrap_document(args, len(names), name, result.bootstrap)
        print(bootstrap_line(name, document["bootstrap"][name]))
    if args.json:
        write_json(args.json, document)
    return 0
