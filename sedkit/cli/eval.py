"""``sedkit eval event|segment|psds``: score DCASE predictions against a reference.

Shared by the three subcommands: reading tables, the stdout table, ``--json`` and ``--plot``. Nothing
here imports torch or pandas, so scoring starts fast when scripted over many systems.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
import warnings
from types import SimpleNamespace

from sedkit.errors import InputError, InputWarning

EVENT_DOC = """Event-based F1, precision, recall, error rate and its substitution / deletion / insertion
parts, the same numbers as sed_eval's EventBasedMetrics (onset collar, offset collar max(collar, rate x
reference length), optimal matching; a class without estimates scores precision 0, as DESED_task asks
sed_eval with empty_system_output_handling='zero_score'). Macro = mean over the class list; micro = pooled.

examples:
  sedkit eval event --reference validation.tsv --estimated predictions.tsv
  sedkit eval event --reference ref.tsv --estimated est.tsv --classes Dog Cat Speech --json m.json --plot f1.png
  sedkit eval event --reference ref.tsv --estimated est.tsv --no-offset --t-collar-s 0.25   # DCASE 2016-17
"""

SEGMENT_DOC = """Segment-based F1, precision, recall, error rate, sensitivity, specificity and accuracy, the
same numbers as sed_eval's SegmentBasedMetrics (1 s segments by default; a class without estimated
segments has precision and F1 undefined and is left out of the macro mean, as sed_eval's default). With
--durations each file's evaluated length is its duration; without, the largest offset among its reference
and estimated events.

With --scores DIR --auroc (frame scores instead of an event table): the segment-based ROC AUC per class
and its mean from the frame scores, sed_scores_eval's segment_based.auroc, partial up to --max-fpr (default
0.1: DCASE 2024 task 4's mpAUC, reported under that name; --max-fpr 1 gives the full AUC). Needs --durations.

examples:
  sedkit eval segment --reference validation.tsv --estimated predictions.tsv --durations durations.tsv
  sedkit eval segment --reference ref.tsv --durations dur.tsv --scores exp/decode/scores --auroc --json auc.json
"""


def _add_common(parser: argparse.ArgumentParser, durations_required: bool = False, tables: bool = True,
                estimated_required: bool = True) -> None:
    """Options every `eval` subcommand has; ``tables`` adds --estimated (one table) and the F1 --plot."""
    parser.add_argument("--reference", required=True, metavar="REF.tsv",
                        help="reference events: filename, onset, offset, event_label")
    if tables:
        parser.add_argument("--estimated", required=estimated_required, metavar="EST.tsv",
                            help="estimated events (same columns)")
        parser.add_argument("--plot", metavar="PNG", help="draw a per-class F1 bar chart")
    parser.add_argument("--durations", required=durations_required, metavar="DUR.tsv",
                        help="filename, duration: evaluated length of each file; adds files without events")
    parser.add_argument("--classes", nargs="+", metavar="LABEL",
                        help="class list for the macro average (default: sorted reference labels)")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    _add_bootstrap(parser)


def _add_bootstrap(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("confidence intervals (docs/evaluation.md)")
    group.add_argument("--bootstrap", type=int, default=0, metavar="N",
                       help="also score N resamples of the clips: mean, std and 95 %% interval of every macro / "
                            "micro figure in the table and the JSON (default 0: off)")
    group.add_argument("--seed", "--bootstrap-seed", dest="bootstrap_seed", type=int, default=0, metavar="S",
                       help="seed of the resamples (default 0)")
    group.add_argument("--bootstrap-scheme", choices=("replacement", "folds"), default="replacement",
                       help="replacement: draw the clips with replacement (default); folds: sed_scores_eval's "
                            "bootstrapped_psds resamples, leave one of --bootstrap-folds folds out, N = folds x "
                            "iterations")
    group.add_argument("--bootstrap-folds", type=int, default=5, metavar="K",
                       help="folds of --bootstrap-scheme folds (sed_scores_eval's n_folds, default 5)")


def _bootstrap_weights(args: argparse.Namespace, n_clips: int):
    """The resample weights the options ask for (clips in sorted filename order), or None."""
    if not args.bootstrap:
        return None
    if args.bootstrap < 0:
        raise InputError(f"--bootstrap must be >= 1, got {args.bootstrap}")
    from sedkit.metrics.bootstrap import bootstrap_weights

    return bootstrap_weights(n_clips, args.bootstrap, args.bootstrap_seed, args.bootstrap_scheme,
                             args.bootstrap_folds)


def _bootstrap_header(args: argparse.Namespace, n_clips: int) -> dict:
    header = {"n_resamples": args.bootstrap, "seed": args.bootstrap_seed, "scheme": args.bootstrap_scheme,
              "level": 0.95, "n_clips": n_clips}
    if args.bootstrap_scheme == "folds":
        header["n_folds"] = args.bootstrap_folds
    return header


def _bootstrap_line(name: str, summary: dict, scale: float = 100.0, unit: str = " %", digits: int = 2) -> str:
    """``name mean +- std, 95 % interval [low, high]`` of a :func:`sedkit.metrics.bootstrap.summarize`."""
    if summary["mean"] is None:
        return f"{name}: undefined on every resample"
    f = lambda v: f"{scale * v:.{digits}f}"  # noqa: E731
    return (f"{name} {f(summary['mean'])} +- {f(summary['std'])}{unit}, 95 % interval "
            f"[{f(summary['low'])}, {f(summary['high'])}]{unit}")


def _add_empty_system_output(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--empty-system-output", choices=("default", "zero_score"), default=default,
                        help="a class without estimates: precision NaN, left out of the macro mean (default: "
                             "sed_eval's default) or precision 0 (zero_score) (default here: %(default)s, "
                             "as DESED_task computes it)")


def _add_event_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = EVENT_DOC
    _add_common(parser)
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
    _add_empty_system_output(parser, "zero_score")
    parser.add_argument("--no-clip-counts", action="store_true",
                        help="leave the per-clip counts out of the JSON (smaller; `sedkit results` then cannot "
                             "pair this run in its bootstrap)")


def _add_segment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = SEGMENT_DOC
    _add_common(parser, estimated_required=False)
    parser.add_argument("--time-resolution-s", type=float, default=1.0, help="segment length in seconds (default 1.0)")
    _add_empty_system_output(parser, "default")
    parser.add_argument("--scores", metavar="DIR", help="folder of <clip>.tsv frame scores (with --auroc)")
    parser.add_argument("--auroc", action="store_true", help="segment-based ROC AUC from --scores (mpAUC)")
    parser.add_argument("--max-fpr", type=float, default=0.1,
                        help="--auroc: partial AUC up to this false positive rate, in (0, 1] (default 0.1)")
    parser.add_argument("--nj", type=int, default=1, metavar="N", help="--auroc: threads reading the score files")


@contextlib.contextmanager
def warnings_to_stderr(command: str):
    """Collect the :class:`InputWarning` s raised inside; print one line each on success."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, InputWarning):
            print(f"sedkit {command}: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)


def _load(args: argparse.Namespace):
    from sedkit.io import read_durations, read_events

    reference = read_events(args.reference)
    estimated = read_events(args.estimated)
    durations = read_durations(args.durations) if args.durations else None
    return reference, estimated, durations


def _percent(value: float) -> str:
    return "   -  " if value is None or math.isnan(value) else f"{100 * value:6.2f}"


def _rate(value: float) -> str:
    if value is None or math.isnan(value):
        return "    -  "
    return f"{value:7.3f}" if abs(value) < 1e6 else "    inf"


def format_table(result, title: str) -> str:
    """The human-readable table: one row per class, then macro and micro; accuracies below (segment)."""
    width = max([len("class")] + [len(name) for name in result.classes])
    header = (f"{'class':<{width}}  {'n_ref':>6} {'n_est':>6}  {'F1 %':>6} {'P %':>6} {'R %':>6}  {'ER':>7} "
              f"{'Sub':>7} {'Del':>7} {'Ins':>7}")
    lines = [title, header, "-" * len(header)]

    def row(label: str, s: dict, counts: bool) -> str:
        n_ref = f"{s['n_ref']:>6}" if counts else " " * 6
        n_est = f"{s['n_est']:>6}" if counts else " " * 6
        return (f"{label:<{width}}  {n_ref} {n_est}  {_percent(s['f1'])} {_percent(s['precision'])} "
                f"{_percent(s['recall'])}  {_rate(s['error_rate'])} {_rate(s.get('substitution_rate'))} "
                f"{_rate(s['deletion_rate'])} {_rate(s['insertion_rate'])}")

    for name in result.classes:
        lines.append(row(name, result.per_class[name], True))
    lines.append("-" * len(header))
    lines.append(row("macro", result.macro, False))
    lines.append(row("micro", result.micro, True))
    if "accuracy" in result.micro:
        for label, s in (("macro", result.macro), ("micro", result.micro)):
            lines.append(f"{label}: sensitivity {_percent(s['sensitivity']).strip()} %, specificity "
                         f"{_percent(s['specificity']).strip()} %, balanced accuracy "
                         f"{_percent(s['balanced_accuracy']).strip()} %, accuracy {_percent(s['accuracy']).strip()} %")
    return "\n".join(lines)


_NUMBER = r"(?:-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|null)"
_NUMBER_LIST = re.compile(rf"\[\s*({_NUMBER}(?:,\s*{_NUMBER})*)\s*\]")
_SPACES = re.compile(r",\s+")


def write_json(path: str, document: dict) -> None:
    """Indented JSON, but each list of numbers on one line, without spaces (per-clip counts and curves stay
    compact: committed score files are mostly such lists)."""
    from sedkit.io import atomic_write

    text = json.dumps(document, indent=2, allow_nan=False)
    text = _NUMBER_LIST.sub(lambda m: "[" + _SPACES.sub(",", m.group(1)) + "]", text)
    with atomic_write(path) as handle:
        handle.write(text + "\n")


def _finish(result, args: argparse.Namespace, title: str) -> int:
    weights = _bootstrap_weights(args, result.n_files)
    print(format_table(result, title))
    if weights is not None:
        from sedkit.metrics.bootstrap import bootstrap_metrics

        summary = bootstrap_metrics(result.clip_counts, weights, result.parameters["empty_system_output"])
        summary["macro"].update(result.extra.pop("ranking_bootstrap", {}))
        result.extra["bootstrap"] = {**_bootstrap_header(args, result.n_files), **summary}
        print(f"bootstrap over {result.n_files} clips ({args.bootstrap} resamples, {args.bootstrap_scheme}):")
        for section in ("macro", "micro"):
            print("  " + _bootstrap_line(f"{section} F1", summary[section]["f1"]) + "; "
                  + _bootstrap_line("error rate", summary[section]["error_rate"], 1.0, "", 3))
    if args.json:
        write_json(args.json, result.to_json())
    if args.plot:
        from sedkit.metrics.plots import plot_class_f1

        plot_class_f1(result, args.plot, title)
    return 0


def _run_event(args: argparse.Namespace) -> int:
    from sedkit.metrics.event_based import event_based_metrics

    with warnings_to_stderr("eval event"):
        reference, estimated, durations = _load(args)
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
    return _finish(result, args, title)


def _run_segment(args: argparse.Namespace) -> int:
    from sedkit.metrics.segment_based import segment_based_metrics

    if args.auroc or args.scores:
        return _run_auroc(args)
    if not args.estimated:
        raise InputError("eval segment: give --estimated EST.tsv (or --scores DIR --auroc)")

    with warnings_to_stderr("eval segment"):
        reference, estimated, durations = _load(args)
        result = segment_based_metrics(reference, estimated, classes=args.classes, durations=durations,
                                       time_resolution=args.time_resolution_s,
                                       empty_system_output=args.empty_system_output)
    title = (f"segment-based: {args.time_resolution_s:g} s segments, empty system output "
             f"{args.empty_system_output}; {result.n_files} files, "
             f"{len(result.classes)} classes, {result.extra['evaluated_length_s']:.1f} s evaluated")
    return _finish(result, args, title)


def _run_auroc(args: argparse.Namespace) -> int:
    """`eval segment --scores DIR --auroc`: per-class and mean (partial) segment-based ROC AUC."""
    from sedkit.io import read_durations, read_events, read_score_files
    from sedkit.metrics.common import resolve_classes
    from sedkit.metrics.segment_auroc import segment_auroc, segment_scores
    from sedkit.parallel import check_jobs

    if not (args.auroc and args.scores):
        raise InputError("--scores and --auroc go together (the segment-based AUC from frame scores)")
    if args.estimated:
        raise InputError("--auroc scores frame scores (--scores), not an event table (--estimated)")
    if not args.durations:
        raise InputError("--auroc needs --durations DUR.tsv (segments cover each clip's whole length)")
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
    weights = _bootstrap_weights(args, len(names))
    result = segment_auroc(segments, None if args.max_fpr == 1 else args.max_fpr, args.time_resolution_s, weights)
    name = "mpAUC" if result.max_fpr is not None else "mAUC"
    width = max(len(name), *map(len, classes))
    print(f"segment-based ROC AUC: {args.time_resolution_s:g} s segments, "
          + (f"partial up to FPR {args.max_fpr:g}" if result.max_fpr else "full") + f"; {len(names)} files, "
          f"{len(classes)} classes")
    for c in classes:
        print(f"{c:<{width}}  {_percent(result.per_class[c])}")
    print(f"{name:<{width}}  {_percent(result.mean)}")
    document = result.to_json()
    if weights is not None:
        from sedkit.metrics.bootstrap import summarize

        summary = summarize(result.bootstrap)
        document["bootstrap"] = {**_bootstrap_header(args, len(names)), name: summary,
                                 "values": [None if v != v else float(v) for v in result.bootstrap]}
        print(_bootstrap_line(name, summary))
    if args.json:
        write_json(args.json, document)
    return 0


PSDS_DOC = """Polyphonic sound detection score. From thresholded detection tables (--estimated, one table per
operating point) it gives psds_eval's number; from per-clip frame scores (--scores, sed_scores_eval's
format) sed_scores_eval's threshold-free intersection-based PSDS. The two differ by design (see
docs/evaluation.md): say which one you report. With --estimated it also prints, per operating point,
psds_eval's intersection-based macro F1 (DESED_task's "intersection F1" is --dtc 0.5 --gtc 0.5), and the
JSON holds each point's per-class TPR, FPR, cross-trigger rates and F1.

examples:
  sedkit eval psds --reference ref.tsv --durations dur.tsv --estimated op_*.tsv --plot psd_roc.png --csv roc.csv
  sedkit eval psds --reference ref.tsv --durations dur.tsv --scores exp/decode/scores --alpha-ct 1 --json psds.json
"""


def _add_psds_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = PSDS_DOC
    _add_common(parser, durations_required=True, tables=False)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--estimated", nargs="+", metavar="OP.tsv", help="detection tables, one per operating point")
    source.add_argument("--scores", metavar="DIR", help="folder of <clip>.tsv frame scores (onset, offset, classes)")
    parser.add_argument("--scenario", default="1", metavar="{1,2}",
                        help="DCASE's criteria: 1 (dtc 0.7, gtc 0.7, cttc 0.3, alpha_ct 0, alpha_st 1, max_efpr 100; "
                             "the default) or 2 (dtc 0.1, gtc 0.1, cttc 0.3, alpha_ct 0.5, alpha_st 1, max_efpr 100); "
                             "the options below change one value of it")
    parser.add_argument("--dtc", type=float, help="detection tolerance criterion (default: the scenario's)")
    parser.add_argument("--gtc", type=float, help="ground-truth intersection criterion (default: the scenario's)")
    parser.add_argument("--cttc", type=float, help="cross-trigger tolerance criterion (default: the scenario's)")
    parser.add_argument("--alpha-ct", type=float, help="cross-trigger weight (default: the scenario's)")
    parser.add_argument("--alpha-st", type=float, help="class-instability weight (default: the scenario's)")
    parser.add_argument("--max-efpr", type=float,
                        help="eFPR per hour up to which the area runs (default: the scenario's, 100)")
    parser.add_argument("--plot", metavar="PNG", help="draw the PSD-ROC curve and the per-class ROCs")
    parser.add_argument("--csv", metavar="OUT.csv", help="write the PSD-ROC (eFPR per hour, eTPR, each class's TPR)")
    parser.add_argument("--nj", type=int, default=1, metavar="N",
                        help="--scores: threads over the classes (default 1; same numbers for any N)")


def psds_criteria(args: argparse.Namespace):
    """The PSDSCriteria of --scenario with the single values given beside it."""
    from sedkit.metrics.criteria import scenario

    changes = {name: getattr(args, name) for name in ("dtc", "gtc", "cttc", "alpha_ct", "alpha_st", "max_efpr")
               if getattr(args, name) is not None}
    return scenario(args.scenario).replace(**changes)


def _run_psds(args: argparse.Namespace) -> int:
    from sedkit.io import read_durations, read_events
    from sedkit.metrics import psds as psds_module
    from sedkit.parallel import check_jobs

    check_jobs(args.nj)
    criteria = psds_criteria(args)

    with warnings_to_stderr("eval psds"):
        reference = read_events(args.reference)
        durations = read_durations(args.durations)
        gt = psds_module.prepare_ground_truth(reference, durations, args.classes, merge_touching=bool(args.scores))
        all_classes = args.classes or reference.labels
        if args.estimated:
            encoded = (psds_module.encode_detections(read_events(path), gt, all_classes) for path in args.estimated)
            detections = list(encoded) if args.bootstrap else encoded  # one table at a time, unless resampled
            result = psds_module.psds_from_operating_points(gt, detections, criteria, names=args.estimated)
        else:
            from sedkit.metrics.psds_scores import psds_from_scores, score_deltas

            # Without --classes the score files' columns are the class list. Read once for the bootstrap too.
            deltas = score_deltas(gt, args.scores, criteria, all_classes=args.classes, jobs=args.nj)
            result = psds_from_scores(gt, args.scores, criteria, all_classes=args.classes, deltas=deltas, jobs=args.nj)
    weights = _bootstrap_weights(args, len(gt.files))
    if weights is not None:
        from sedkit.metrics.bootstrap import summarize

        if args.estimated:
            values = psds_module.psds_bootstrap_operating_points(gt, detections, weights, criteria)
        else:
            from sedkit.metrics.psds_scores import psds_bootstrap

            values = psds_bootstrap(gt, args.scores, weights, criteria, all_classes=args.classes, deltas=deltas,
                                    jobs=args.nj)
        summary = summarize(values)
        # "values": the PSDS of every resample, which `sedkit results` pairs across systems.
        result.extra["bootstrap"] = {**_bootstrap_header(args, len(gt.files)), "psds": summary,
                                     "values": [float(v) for v in values]}
        print(f"bootstrap over {len(gt.files)} clips ({args.bootstrap} resamples, {args.bootstrap_scheme}): "
              + _bootstrap_line("PSDS", summary, 1.0, "", 4))
    if args.estimated and result.classes:
        print(_operating_point_table(result))
    p = result.parameters
    print(f"PSDS {result.psds:.4f}  ({result.method}; dtc {p['dtc']:g}, gtc {p['gtc']:g}, cttc {p['cttc']:g}, "
          f"alpha_ct {p['alpha_ct']:g}, alpha_st {p['alpha_st']:g}, max_efpr {p['max_efpr']:g}/h; "
          f"{result.n_operating_points} {'operating points' if args.estimated else 'score thresholds'}, "
          f"{len(gt.files)} files, {len(result.classes)} classes)")
    if args.json:
        document = result.to_json()
        document["scenario"] = criteria.scenario()  # 1, 2, or null: criteria that are neither
        write_json(args.json, document)
    if args.csv:
        from sedkit.io import atomic_write

        header, rows = psds_module.psd_roc_table(result)
        with atomic_write(args.csv) as handle:
            handle.write("\n".join(",".join(row) for row in [header, *rows]) + "\n")
    if args.plot:
        from sedkit.metrics.plots import plot_psd_roc

        plot_psd_roc(result, args.plot)
    return 0


TAGGING_DOC = """Clip-level tagging: which classes occur in each clip. References and estimates are strong
(filename, onset, offset, event_label) or weak (filename, event_labels) tables, reduced to each clip's
labels; frame scores (--scores, sed_scores_eval's format) give each clip and class its highest frame score,
tagged where it is > --threshold. Reports F1 / precision / recall per class, macro and micro, and from
scores also each class's average precision and ROC AUC with their means (mAP), as sed_scores_eval's
clip-based functions compute them.

examples:
  sedkit eval tagging --reference validation/weak.tsv --estimated predictions.tsv
  sedkit eval tagging --reference validation/strong.tsv --scores exp/decode/scores --threshold 0.5 --json tags.json
"""


def _add_tagging_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = TAGGING_DOC
    _add_common(parser, tables=False)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--estimated", metavar="EST.tsv", help="estimated tags: a strong or a weak table")
    source.add_argument("--scores", metavar="DIR", help="folder of <clip>.tsv frame scores (onset, offset, classes)")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="with --scores: a clip is tagged with a class when its score is > this (default 0.5)")
    parser.add_argument("--plot", metavar="PNG", help="draw a per-class F1 bar chart")


def _run_tagging(args: argparse.Namespace) -> int:
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
    weights = _bootstrap_weights(args, len(files))
    if weights is not None and scores is not None:
        from sedkit.metrics.tagging import ranking_bootstrap

        result.extra["ranking_bootstrap"] = ranking_bootstrap(reference, scores, files, weights)
    code = _finish(result, args, title)
    if scores is not None:
        width = max(len("class"), *(len(c) for c in classes))
        print(f"{'class':<{width}}  {'AP %':>6} {'ROC AUC %':>9}")
        for c in classes:
            print(f"{c:<{width}}  {_percent(result.per_class[c]['average_precision'])} "
                  f"{_percent(result.per_class[c]['roc_auc']):>9}")
    return code


def _operating_point_table(result) -> str:
    """Per operating point: intersection-based macro F1 (psds_eval's), mean TPR and mean FPR per hour."""
    points = result.extra["operating_points"]
    width = max(len("operating point"), *(len(p["name"]) for p in points))
    lines = [f"{'operating point':<{width}}  {'inter. F1 %':>11} {'mean TPR %':>10} {'mean FPR/h':>10}"]
    for p in points:
        tpr = [v for v in p["tpr"].values() if v is not None]
        fpr = [v for v in p["fpr_per_hour"].values() if v is not None]
        f1 = p["intersection_f1"]["macro"]
        lines.append(f"{p['name']:<{width}}  {_percent(f1):>11} {_percent(sum(tpr) / len(tpr)):>10} "
                     f"{sum(fpr) / len(fpr):>10.2f}")
    return "\n".join(lines)


event = SimpleNamespace(add_arguments=_add_event_arguments, run=_run_event, __doc__=EVENT_DOC)
segment = SimpleNamespace(add_arguments=_add_segment_arguments, run=_run_segment, __doc__=SEGMENT_DOC)
psds = SimpleNamespace(add_arguments=_add_psds_arguments, run=_run_psds, __doc__=PSDS_DOC)
tagging = SimpleNamespace(add_arguments=_add_tagging_arguments, run=_run_tagging, __doc__=TAGGING_DOC)


def _main() -> None:  # pragma: no cover - convenience for `python -m sedkit.cli.eval event ...`
    from sedkit.cli.main import main

    sys.exit(main(["eval", *sys.argv[1:]]))


if __name__ == "__main__":
    _main()
