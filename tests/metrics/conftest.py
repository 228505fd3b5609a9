"""Helpers shared by the metrics tests (imported from here, never from another test module).

The reference scorers below call the reference libraries the way DCASE users do, on sedkit's tables (file
order kept). The libraries are installed by `make test` (the `test` extra): a missing one is an error, not a
skip.

sed_eval: one ``evaluate`` call per evaluated file (as DESED_task's ``event_based_evaluation_df``),
events in their row order, a clip without events as an empty list; the metric objects built with their
public constructor arguments only, as DESED_task builds them (event-based with
``empty_system_output_handling="zero_score"``, segment-based with sed_eval's defaults).
"""
import math
from pathlib import Path

import numpy as np

from sedkit.io import EventTable, write_scores

CLASSES = ("a", "b", "c")


def psds_criteria(**values):
    """DCASE's scenario 1 with ``values`` changed (every PSDS function takes a full PSDSCriteria)."""
    from sedkit.metrics.criteria import scenario

    return scenario(1).replace(**values)


def table(path, files, rows):
    return EventTable(path, list(files), [r[0] for r in rows], np.array([r[1] for r in rows], dtype=float),
                      np.array([r[2] for r in rows], dtype=float), [r[3] for r in rows],
                      list(range(2, len(rows) + 2)))


def reference_rows(rng, files, clip_s=10.0):
    rows = []
    for name in files:
        for label in CLASSES:
            t = 0.0
            for _ in range(rng.integers(0, 3)):
                onset = round(t + rng.uniform(0.1, 3), 3)
                offset = round(onset + rng.uniform(0.2, 3), 3)
                t = offset
                if offset < clip_s:
                    rows.append((name, onset, offset, label))
    return rows


def write_score_folder(folder, seed, n_files=15, frames=100, hop=0.1, decimals=3):
    """Scores rounded to ``decimals`` (3: many ties; 8: almost surely none)."""
    rng = np.random.default_rng(seed)
    files = [f"clip{i:02d}.wav" for i in range(n_files)]
    rows = reference_rows(rng, files, clip_s=frames * hop)
    timestamps = np.arange(frames + 1) * hop
    for name in files:
        scores = rng.uniform(0, 0.5, (frames, len(CLASSES)))
        for other, onset, offset, label in rows:
            if other == name:
                scores[int(onset / hop):int(offset / hop) + 1, CLASSES.index(label)] += rng.uniform(0.2, 0.6)
        write_scores(folder / (name[:-4] + ".tsv"), timestamps, list(CLASSES), np.round(scores, decimals))
    return table("ref", files, rows), {name: frames * hop for name in files}


# --- the reference libraries, called with their public arguments ---
def _per_file(table, files):
    events = {name: [] for name in files}
    for name, onset, offset, label in zip(table.filename, table.onset.tolist(), table.offset.tolist(), table.label):
        events[name].append({"filename": name, "onset": onset, "offset": offset, "event_label": label})
    return events


def sed_eval_event(reference, estimated, classes, files, empty_system_output="zero_score", **kwargs):
    """``empty_system_output``: "zero_score" (DESED_task's argument) or "default" (sed_eval's, None)."""
    import sed_eval
    handling = None if empty_system_output == "default" else empty_system_output
    metric = sed_eval.sound_event.EventBasedMetrics(event_label_list=list(classes),
                                                    empty_system_output_handling=handling, **kwargs)
    ref, est = _per_file(reference, files), _per_file(estimated, files)
    for name in files:
        metric.evaluate(reference_event_list=ref[name], estimated_event_list=est[name])
    return metric.results()


def sed_eval_segment(reference, estimated, classes, files, durations=None, time_resolution=1.0):
    import sed_eval
    metric = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=list(classes),
                                                      time_resolution=float(time_resolution))
    ref, est = _per_file(reference, files), _per_file(estimated, files)
    for name in files:
        metric.evaluate(reference_event_list=ref[name], estimated_event_list=est[name],
                        evaluated_length_seconds=None if durations is None else durations[name])
    return metric.results()


def zero_score_from_default(theirs):
    """sed_eval's results() under ``zero_score``, derived from its default-handling results.

    ``SegmentBasedMetrics`` takes no ``empty_system_output_handling`` argument, so ``zero_score`` cannot be
    asked of it without patching the object. sed_eval's rule (``class_wise_f_measure``): where a class has
    no system output, precision is 0 instead of NaN, so F1 = f_measure(0, recall) = 0 where recall is 0 and
    NaN where recall is NaN; the class-wise averages are NaN-ignoring means again.
    """
    import copy

    import numpy as np

    out = copy.deepcopy(theirs)
    for scores in out["class_wise"].values():
        if scores["count"]["Nsys"] == 0:
            recall = scores["f_measure"]["recall"]
            scores["f_measure"]["precision"] = 0.0
            scores["f_measure"]["f_measure"] = 0.0 if recall == 0 else float("nan")
    for key in ("f_measure", "precision", "recall"):
        values = [scores["f_measure"][key] for scores in out["class_wise"].values()]
        out["class_wise_average"]["f_measure"][key] = float(np.nanmean(values))
    if sum(scores["count"]["Nsys"] for scores in out["class_wise"].values()) == 0:
        overall = out["overall"]["f_measure"]
        overall["precision"] = 0.0
        overall["f_measure"] = 0.0 if overall["recall"] == 0 else float("nan")
    return out


def assert_same_as_sed_eval(ours, theirs, tolerance=1e-6):
    """Compare sedkit's MetricResult with sed_eval's results() dict (NaN == NaN)."""
    def same(a, b, what):
        if a is None or (isinstance(a, float) and math.isnan(a)):
            assert b is None or math.isnan(b), f"{what}: sedkit NaN, sed_eval {b}"
            return
        assert b is not None and not math.isnan(b), f"{what}: sedkit {a}, sed_eval NaN"
        assert abs(a - b) <= tolerance * max(1.0, abs(b)), f"{what}: sedkit {a}, sed_eval {b}"

    overall, average = theirs["overall"], theirs["class_wise_average"]
    for ours_key, section, key in [("f1", "f_measure", "f_measure"), ("precision", "f_measure", "precision"),
                                   ("recall", "f_measure", "recall"), ("error_rate", "error_rate", "error_rate"),
                                   ("deletion_rate", "error_rate", "deletion_rate"),
                                   ("insertion_rate", "error_rate", "insertion_rate")]:
        same(ours.micro[ours_key], overall[section][key], f"micro {ours_key}")
        same(ours.macro[ours_key], average[section][key], f"macro {ours_key}")
        for name in ours.classes:
            same(ours.per_class[name][ours_key], theirs["class_wise"][name][section][key], f"{name} {ours_key}")
    if "accuracy" in ours.micro:  # segment-based
        for key in ("sensitivity", "specificity", "balanced_accuracy", "accuracy"):
            same(ours.micro[key], overall["accuracy"][key], f"micro {key}")
            same(ours.macro[key], average["accuracy"][key], f"macro {key}")
            for name in ours.classes:
                same(ours.per_class[name][key], theirs["class_wise"][name]["accuracy"][key], f"{name} {key}")
    if "substitution_rate" in ours.micro:
        same(ours.micro["substitution_rate"], overall["error_rate"]["substitution_rate"], "micro substitution")
    for name in ours.classes:
        assert ours.per_class[name]["n_ref"] == theirs["class_wise"][name]["count"]["Nref"]
        assert ours.per_class[name]["n_est"] == theirs["class_wise"][name]["count"]["Nsys"]


def psds_eval_value(reference, durations, operating_points, classes=None, dtc=0.5, gtc=0.5, cttc=0.3,
                    alpha_ct=0.0, alpha_st=0.0, max_efpr=100.0):
    """psds_eval on sedkit tables: PSDSEval(dtc, gtc, cttc, ground_truth, metadata) + one point per table."""
    import psds_eval
    import warnings

    import pandas as pd

    def frame(table):
        return pd.DataFrame({"filename": table.filename, "onset": table.onset, "offset": table.offset,
                             "event_label": table.label}, columns=["filename", "onset", "offset", "event_label"])

    metadata = pd.DataFrame({"filename": list(durations), "duration": list(durations.values())})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluator = psds_eval.PSDSEval(dtc_threshold=dtc, gtc_threshold=gtc, cttc_threshold=cttc,
                                       ground_truth=frame(reference), metadata=metadata,
                                       class_names=classes)
        for index, table in enumerate(operating_points):
            evaluator.add_operating_point(frame(table), info={"threshold": index})
        return evaluator.psds(alpha_ct=alpha_ct, alpha_st=alpha_st, max_efpr=max_efpr)


def sed_scores_eval_psds(reference, durations, scores_dir, dtc=0.7, gtc=0.7, cttc=0.3, alpha_ct=0.0,
                         alpha_st=1.0, max_efpr=100.0):
    """sed_scores_eval's intersection_based.psds on a score folder and sedkit's reference table."""
    import os

    from sed_scores_eval import intersection_based
    from sed_scores_eval.base_modules.io import read_sed_scores

    ground_truth = {os.path.splitext(f)[0]: [] for f in durations}
    for name, onset, offset, label in zip(reference.filename, reference.onset.tolist(), reference.offset.tolist(),
                                          reference.label):
        ground_truth[os.path.splitext(name)[0]].append((onset, offset, label))
    audio_durations = {os.path.splitext(f)[0]: d for f, d in durations.items()}
    scores = {p.stem: read_sed_scores(p) for p in sorted(Path(scores_dir).glob("*.tsv"))}
    value, per_class, (etpr, efpr), _ = intersection_based.psds(
        scores, ground_truth, audio_durations, dtc_threshold=dtc, gtc_threshold=gtc,
        cttc_threshold=cttc if alpha_ct > 0 else None, alpha_ct=alpha_ct, alpha_st=alpha_st,
        max_efpr=max_efpr)
    return value, etpr, efpr
