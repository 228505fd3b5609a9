"""Polyphonic sound detection score. From thresholded detection tables (--estimated, one table per
operating point) it gives psds_eval's number; from per-clip frame scores (--scores, sed_scores_eval's
format) sed_scores_eval's threshold-free intersection-based PSDS. The two differ by design (see
docs/evaluation.md): say which one you report. With --estimated it also prints, per operating point,
psds_eval's intersection-based macro F1 (DESED_task's "intersection F1" is --dtc 0.5 --gtc 0.5), and the
JSON holds each point's per-class TPR, FPR, cross-trigger rates and F1.

examples:
  sedkit eval psds --reference ref.tsv --durations dur.tsv --estimated op_*.tsv --plot psd_roc.png --csv roc.csv
  sedkit eval psds --reference ref.tsv --durations dur.tsv --scores exp/decode/scores --alpha-ct 1 --json psds.json
  sedkit eval psds --reference ref.tsv --durations dur.tsv --scores exp/decode/scores --error-rate 0.5
  sedkit eval psds --reference ref.tsv --durations dur.tsv --scores exp/decode/scores \
      --median-filter-lengths 0 0.2 0.4 0.8 1.6 --json pipsds.json

With --scores, --median-filter-lengths L [L ...] gives the post-processing independent PSDS (piPSDS, Ebbers et
al., DCASE Workshop 2023): each class's ROC joins the operating points of the scores median-filtered with each
length (seconds, 0 = unfiltered), as sed_scores_eval's postprocessing_independent_psds. --error-rate
[THRESHOLD] adds sed_scores_eval's intersection-based error rates from the same
statistics (the DTC and GTC of the criteria), at THRESHOLD or each class's best.
"""
from __future__ import annotations

import argparse

from sedkit.cli.eval import (add_common, add_error_rate, bootstrap_document, bootstrap_line, bootstrap_weights,
                             error_rate_threshold, percent, report_error_rates, warnings_to_stderr, write_json)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, durations_required=True, tables=False)
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
    parser.add_argument("--median-filter-lengths", type=float, nargs="+", metavar="L",
                        help="--scores: piPSDS over these median filter lengths in seconds (0: unfiltered)")
    add_error_rate(parser)  # intersection-based: the DTC and GTC of the criteria


def psds_criteria(args: argparse.Namespace):
    """The PSDSCriteria of --scenario with the single values given beside it."""
    from sedkit.metrics.criteria import scenario

    changes = {name: getattr(args, name) for name in ("dtc", "gtc", "cttc", "alpha_ct", "alpha_st", "max_efpr")
               if getattr(args, name) is not None}
    return scenario(args.scenario).replace(**changes)


def run(args: argparse.Namespace) -> int:
    from sedkit.io import read_durations, read_events
    from sedkit.metrics import psds as psds_module
    from sedkit.metrics.evaluate import evaluate_psds
    from sedkit.parallel import check_jobs

    check_jobs(args.nj)
    criteria = psds_criteria(args)
    wanted_er, threshold = error_rate_threshold(args)
    with warnings_to_stderr("eval psds"):
        reference = read_events(args.reference)
        durations = read_durations(args.durations)
        n_files = len(set(durations) | set(reference.files))
        weights = bootstrap_weights(args, n_files)
        tables = (read_events(path) for path in args.estimated) if args.estimated else None
        result = evaluate_psds(reference, durations, criteria, scores_dir=args.scores, operating_points=tables,
                               names=args.estimated, classes=args.classes, bootstrap_weights=weights, jobs=args.nj,
                               error_rate=wanted_er, error_rate_threshold=threshold,
                               median_filter_lengths=args.median_filter_lengths)
    if weights is not None:
        # "values": the PSDS of every resample, which `sedkit results` pairs across systems.
        result.extra["bootstrap"] = bootstrap_document(args, n_files, "psds", result.extra.pop("bootstrap_values"))
        name = "piPSDS" if args.median_filter_lengths else "PSDS"
        print(f"bootstrap over {n_files} clips ({args.bootstrap} resamples, {args.bootstrap_scheme}): "
              + bootstrap_line(name, result.extra["bootstrap"]["psds"], 1.0, "", 4))
    errors = result.extra.pop("error_rate", None)
    error_document = report_error_rates(errors, args, "intersection-based", n_files) if errors else None
    if args.estimated and result.classes:
        print(_operating_point_table(result))
    p = result.parameters
    name = "piPSDS" if args.median_filter_lengths else "PSDS"
    if args.median_filter_lengths:
        print("median filter  PSDS alone\n" + "\n".join(f"{row['median_filter_length']:>11g} s  {row['psds']:.4f}"
                                                          for row in result.extra["psds_per_filter_length"]))
    print(f"{name} {result.psds:.4f}  ({result.method}; dtc {p['dtc']:g}, gtc {p['gtc']:g}, cttc {p['cttc']:g}, "
          f"alpha_ct {p['alpha_ct']:g}, alpha_st {p['alpha_st']:g}, max_efpr {p['max_efpr']:g}/h; "
          f"{result.n_operating_points} {'operating points' if args.estimated else 'score thresholds'}, "
          f"{n_files} files, {len(result.classes)} classes)")
    if args.json:
        document = result.to_json()
        document["scenario"] = criteria.scenario()  # 1, 2, or null: criteria that are neither
        if args.median_filter_lengths:
            document["pipsds"] = document["psds"]  # the same value, under the name DCASE papers use
        if error_document is not None:
            document["error_rate_from_scores"] = error_document
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


def _operating_point_table(result) -> str:
    """Per operating point: intersection-based macro F1 (psds_eval's), mean TPR and mean FPR per hour."""
    points = result.extra["operating_points"]
    width = max(len("operating point"), *(len(p["name"]) for p in points))
    lines = [f"{'operating point':<{width}}  {'inter. F1 %':>11} {'mean TPR %':>10} {'mean FPR/h':>10}"]
    for p in points:
        tpr = [v for v in p["tpr"].values() if v is not None]
        fpr = [v for v in p["fpr_per_hour"].values() if v is not None]
        f1 = p["intersection_f1"]["macro"]
        lines.append(f"{p['name']:<{width}}  {percent(f1):>11} {percent(sum(tpr) / len(tpr)):>10} "
                     f"{sum(fpr) / len(fpr):>10.2f}")
    return "\n".join(lines)
