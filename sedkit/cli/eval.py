"""``sedkit eval``: what its four commands share (one module each: eval_event, eval_segment, eval_psds,
eval_tagging): the options every command has, the bootstrap options, reading tables, the stdout table,
``--json`` and the per-class F1 plot. Nothing here imports torch or pandas, so scoring starts fast when
scripted over many systems.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
import warnings

from sedkit.errors import InputError, InputWarning

def add_common(parser: argparse.ArgumentParser, durations_required: bool = False, tables: bool = True,
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
    add_bootstrap(parser)


def add_bootstrap(parser: argparse.ArgumentParser) -> None:
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


def bootstrap_weights(args: argparse.Namespace, n_clips: int):
    """The resample weights the options ask for (clips in sorted filename order), or None."""
    if not args.bootstrap:
        return None
    if args.bootstrap < 0:
        raise InputError(f"--bootstrap must be >= 1, got {args.bootstrap}")
    from sedkit.metrics.bootstrap import bootstrap_weights

    return bootstrap_weights(n_clips, args.bootstrap, args.bootstrap_seed, args.bootstrap_scheme,
                             args.bootstrap_folds)


def bootstrap_header(args: argparse.Namespace, n_clips: int) -> dict:
    header = {"n_resamples": args.bootstrap, "seed": args.bootstrap_seed, "scheme": args.bootstrap_scheme,
              "level": 0.95, "n_clips": n_clips}
    if args.bootstrap_scheme == "folds":
        header["n_folds"] = args.bootstrap_folds
    return header


def bootstrap_document(args: argparse.Namespace, n_clips: int, key: str, values) -> dict:
    """The ``bootstrap`` block of a JSON: the scheme (:func:`bootstrap_header`), ``key``'s summary (mean, std,
    95 % interval) and every resample's value (null where undefined), which ``sedkit results`` pairs."""
    from sedkit.metrics.bootstrap import summarize

    return {**bootstrap_header(args, n_clips), key: summarize(values),
            "values": [None if v != v else float(v) for v in values]}


def bootstrap_line(name: str, summary: dict, scale: float = 100.0, unit: str = " %", digits: int = 2) -> str:
    """``name mean +- std, 95 % interval [low, high]`` of a :func:`sedkit.metrics.bootstrap.summarize`."""
    if summary["mean"] is None:
        return f"{name}: undefined on every resample"
    f = lambda v: f"{scale * v:.{digits}f}"  # noqa: E731
    return (f"{name} {f(summary['mean'])} +- {f(summary['std'])}{unit}, 95 % interval "
            f"[{f(summary['low'])}, {f(summary['high'])}]{unit}")


def add_empty_system_output(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--empty-system-output", choices=("default", "zero_score"), default=default,
                        help="a class without estimates: precision NaN, left out of the macro mean (default: "
                             "sed_eval's default) or precision 0 (zero_score) (default here: %(default)s, "
                             "as DESED_task computes it)")


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


def load_tables(args: argparse.Namespace):
    from sedkit.io import read_durations, read_events

    reference = read_events(args.reference)
    estimated = read_events(args.estimated)
    durations = read_durations(args.durations) if args.durations else None
    return reference, estimated, durations


def percent(value: float) -> str:
    return "   -  " if value is None or math.isnan(value) else f"{100 * value:6.2f}"


def rate(value: float) -> str:
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
        return (f"{label:<{width}}  {n_ref} {n_est}  {percent(s['f1'])} {percent(s['precision'])} "
                f"{percent(s['recall'])}  {rate(s['error_rate'])} {rate(s.get('substitution_rate'))} "
                f"{rate(s['deletion_rate'])} {rate(s['insertion_rate'])}")

    for name in result.classes:
        lines.append(row(name, result.per_class[name], True))
    lines.append("-" * len(header))
    lines.append(row("macro", result.macro, False))
    lines.append(row("micro", result.micro, True))
    if "accuracy" in result.micro:
        for label, s in (("macro", result.macro), ("micro", result.micro)):
            lines.append(f"{label}: sensitivity {percent(s['sensitivity']).strip()} %, specificity "
                         f"{percent(s['specificity']).strip()} %, balanced accuracy "
                         f"{percent(s['balanced_accuracy']).strip()} %, accuracy {percent(s['accuracy']).strip()} %")
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


def finish(result, args: argparse.Namespace, title: str) -> int:
    weights = bootstrap_weights(args, result.n_files)
    print(format_table(result, title))
    if weights is not None:
        from sedkit.metrics.bootstrap import bootstrap_metrics

        summary = bootstrap_metrics(result.clip_counts, weights, result.parameters["empty_system_output"])
        summary["macro"].update(result.extra.pop("ranking_bootstrap", {}))
        result.extra["bootstrap"] = {**bootstrap_header(args, result.n_files), **summary}
        print(f"bootstrap over {result.n_files} clips ({args.bootstrap} resamples, {args.bootstrap_scheme}):")
        for section in ("macro", "micro"):
            print("  " + bootstrap_line(f"{section} F1", summary[section]["f1"]) + "; "
                  + bootstrap_line("error rate", summary[section]["error_rate"], 1.0, "", 3))
    if args.json:
        write_json(args.json, result.to_json())
    if args.plot:
        from sedkit.metrics.plots import plot_class_f1

        plot_class_f1(result, args.plot, title)
    return 0


def add_error_rate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--error-rate", nargs="?", const="best", metavar="THRESHOLD",
                        help="with --scores: error rates from the scores, as sed_scores_eval's (per class ER = "
                             "insertion rate + deletion rate, no substitutions) at THRESHOLD (scores above it "
                             "detect), or without a value at each class's best threshold (tune on a development "
                             "set, never on the one you report)")


def error_rate_threshold(args: argparse.Namespace):
    """(wanted, threshold): --error-rate absent -> (False, None); bare -> (True, None: each class's best);
    with a value -> (True, that float)."""
    from sedkit.errors import InputError

    if args.error_rate is None:
        return False, None
    if args.error_rate == "best":
        return True, None
    try:
        value = float(args.error_rate)
    except ValueError:
        raise InputError(f"--error-rate {args.error_rate}: a threshold (a number) or nothing (best)") from None
    if value != value:
        raise InputError("--error-rate nan: a threshold must be a number")
    return True, value


def report_error_rates(result, args: argparse.Namespace, family: str, n_units: int) -> dict:
    """Print the error-rate table (and its bootstrap line) and return its JSON part."""
    document = result.to_json()
    classes = list(result.per_class)
    width = max([len("macro"), *map(len, classes)])
    mode = "each class's best threshold" if result.mode == "best" else f"threshold {args.error_rate}"
    print(f"{family} error rates from scores ({mode}; ER = IR + DR per class, sed_scores_eval's):")
    print(f"{'class':<{width}}  {'ER':>7} {'IR':>7} {'DR':>7}  threshold")
    for c in classes:
        d = result.per_class[c]
        print(f"{c:<{width}}  {rate(d['error_rate']):>7} {rate(d['insertion_rate']):>7} {rate(d['deletion_rate']):>7}"
              f"  {d['threshold']:.6g}")
    m = result.macro
    print(f"{'macro':<{width}}  {rate(m['error_rate']):>7} {rate(m['insertion_rate']):>7} "
          f"{rate(m['deletion_rate']):>7}")
    values = document.pop("bootstrap_values", None)
    if values is not None:
        document["bootstrap"] = bootstrap_document(args, n_units, "error_rate", values)
        print(bootstrap_line("macro ER", document["bootstrap"]["error_rate"], 1.0, "", 3))
    return document
