"""Clip-level tagging: which classes occur in each clip. References and estimates are strong
(filename, onset, offset, event_label) or weak (filename, event_labels) tables, reduced to each clip's
labels; frame scores (--scores, sed_scores_eval's format) give each clip and class its highest frame score,
tagged where it is > --threshold. Reports F1 / precision / recall per class, macro and micro, and from
scores also each class's average precision and ROC AUC with their means (mAP), as sed_scores_eval's
clip-based functions compute them.

examples:
  sedkit eval tagging --reference validation/weak.tsv --estimated predictions.tsv
  sedkit eval tagging --reference validation/strong.tsv --scores exp/decode/scores --threshold 0.5 --json tags.json
"""
from __future__ import annotations

import argparse
import warnings

from sedkit.cli.eval import (add_common, add_error_rate, bootstrap_weights, error_rate_threshold, finish, percent,
                             report_error_rates, warnings_to_stderr)
from sedkit.errors import InputError, InputWarning


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, tables=False)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--estimated", metavar="EST.tsv", help="estimated tags: a strong or a weak table")
    source.add_argument("--scores", metavar="DIR", help="folder of <clip>.tsv frame scores (onset, offset, classes)")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="with --scores: a clip is tagged with a class when its score is > this (default 0.5)")
    parser.add_argument("--plot", metavar="PNG", help="draw a per-class F1 bar chart")
    add_error_rate(parser)  # clip-based


def run(args: argparse.Namespace) -> int:
    from sedkit.metrics.common import resolve_classes
    from sedkit.metrics.tagging import clip_scores, read_tags, tag_matrix, tagging_metrics

    with warnings_to_stderr("eval tagging"):
        files, ref_tags = read_tags(args.reference)
        if args.durations:
            from sedkit.io import read_durations

            known = set(files)
            files += [name for name in read_durations(args.durations) if name not in known]
        labels = sorted(set().union(*ref_tags.values())) if ref_tags else []
        if args.classes:
            classes = resolve_classes(None, args.classes)
        elif labels:
            classes = labels
        else:
            raise InputError(f"{args.reference}: no labels, and no --classes given")
        reference = tag_matrix(ref_tags, files, classes, args.reference, "reference")
        scores = None
        if args.estimated:
            _, est_tags = read_tags(args.estimated)
            estimated = tag_matrix(est_tags, files, classes, args.estimated, "estimated")
        else:
            scores, ignored = clip_scores(args.scores, files, classes)
            if ignored:
                warnings.warn(f"{args.scores}: score columns {', '.join(ignored)} are not in the class list: ignored",
                              InputWarning)
            estimated = scores > args.threshold
        result = tagging_metrics(reference, estimated, files, classes, scores,
                                 args.threshold if args.scores else None)
    source = f"scores > {args.threshold:g}" if args.scores else "tags"
    title = f"clip tagging ({source}); {len(files)} clips, {len(classes)} classes"
    if scores is not None:
        title += (f"; mAP {100 * result.macro['average_precision']:.2f} %, mean ROC AUC "
                  f"{100 * result.macro['roc_auc']:.2f} %")
    weights = bootstrap_weights(args, len(files))
    if weights is not None and scores is not None:
        from sedkit.metrics.tagging import ranking_bootstrap

        result.extra["ranking_bootstrap"] = ranking_bootstrap(reference, scores, files, weights)
    wanted_er, threshold = error_rate_threshold(args)
    if wanted_er:
        if scores is None:
            raise InputError("--error-rate: from frame scores (--scores) only")
        from sedkit.metrics.error_rates import clip_error_rates

        from sedkit.metrics.bootstrap import weights_in_order

        ordered = None if weights is None else weights_in_order(weights, files)
        errors = clip_error_rates(scores, reference, classes, threshold, ordered)
        result.extra["error_rate_from_scores"] = report_error_rates(errors, args, "clip-based", len(files))
    code = finish(result, args, title)
    if scores is not None:
        width = max(len("class"), *(len(c) for c in classes))
        print(f"{'class':<{width}}  {'AP %':>6} {'ROC AUC %':>9}")
        for c in classes:
            print(f"{c:<{width}}  {percent(result.per_class[c]['average_precision'])} "
                  f"{percent(result.per_class[c]['roc_auc']):>9}")
    return code
