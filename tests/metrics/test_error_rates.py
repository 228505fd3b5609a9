"""Error rates from scores (sedkit.metrics.error_rates) against sed_scores_eval's error_rate and best_error_rate
of every family (segment, collar, intersection, clip based), called with their public arguments on the same
score files, at a threshold and at the best one; and by hand."""
import math
import warnings

import numpy as np
import pytest

from sedkit.io import read_score_files
from sedkit.metrics.error_rates import Counts, error_rates, item_counts
from sedkit.metrics.psds import prepare_ground_truth
from sedkit.metrics.psds_scores import class_statistics, read_score_folder
from tests.metrics.conftest import CLASSES, write_score_folder

import sed_scores_eval  # noqa: F401,E402  (a reference library: installed by make test)


def _truth(ref, durations):
    truth = {f[:-4]: [] for f in durations}
    for name, on, off, label in zip(ref.filename, ref.onset.tolist(), ref.offset.tolist(), ref.label):
        truth[name[:-4]].append((on, off, label))
    return truth


def _ours(family, folder, ref, durations):
    from sedkit.metrics.collar_scores import collar_statistics
    from sedkit.metrics.segment_auroc import segment_scores
    from sedkit.metrics.tagging import clip_scores

    if family == "segment":
        files = read_score_files(folder, sorted(durations), list(CLASSES))
        segments = segment_scores(ref, files, durations, CLASSES, 1.0)
        return {c: item_counts(segments.scores[:, i], segments.targets[:, i]) for i, c in enumerate(CLASSES)}
    if family == "clip":
        names = sorted(durations)
        scores, _ = clip_scores(folder, names, list(CLASSES))
        tags = {name: {label for f, label in zip(ref.filename, ref.label) if f == name} for name in names}
        return {c: item_counts(scores[:, i], np.array([c in tags[n] for n in names])) for i, c in enumerate(CLASSES)}
    gt = prepare_ground_truth(ref, durations, merge_touching=True)
    start, end, file, scores = read_score_folder(folder, gt)
    if family == "collar":
        return dict(zip(gt.classes, collar_statistics(start, end, file, scores, gt, 0.2, 0.2, 0.2)))
    stats = class_statistics(start, end, file, scores, gt, 0.7, 0.7, None)
    return {c: Counts(t, tps, fps, float(n)) for c, (t, tps, fps, _), n in zip(gt.classes, stats, gt.n_ref)}


def _theirs(family, folder, ref, durations, threshold):
    from sed_scores_eval import clip_based, collar_based, intersection_based, segment_based

    truth, lengths = _truth(ref, durations), {k[:-4]: v for k, v in durations.items()}
    folder = str(folder)
    if family == "clip":
        tags = {k: sorted({label for _, _, label in v}) for k, v in truth.items()}
        args = (folder, tags)
        module, kwargs = clip_based, {}
    elif family == "segment":
        args, module, kwargs = (folder, truth, lengths), segment_based, {"segment_length": 1.0}
    elif family == "collar":
        args, module = (folder, truth), collar_based
        kwargs = {"onset_collar": 0.2, "offset_collar": 0.2, "offset_collar_rate": 0.2}
    else:
        args, module, kwargs = (folder, truth), intersection_based, {"dtc_threshold": 0.7, "gtc_threshold": 0.7}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if threshold is None:
            er, ir, dr, thresholds, _ = module.best_error_rate(*args, **kwargs)
            return er, ir, dr, thresholds
        if family == "intersection":  # its error_rate fails on the cross-trigger dict in its statistics
            from sed_scores_eval.base_modules.error_rate import single_error_rate_from_intermediate_statistics
            from sed_scores_eval.intersection_based.intermediate_statistics import (
                accumulated_intermediate_statistics)

            stats, _ = accumulated_intermediate_statistics(*args, **kwargs)
            stats = {c: (values, {k: v for k, v in s.items() if not isinstance(v, dict)})
                     for c, (values, s) in stats.items()}
            er, ir, dr, _ = single_error_rate_from_intermediate_statistics(stats, threshold)
            return er, ir, dr, None
        er, ir, dr, _ = module.error_rate(*args, threshold=threshold, **kwargs)
        return er, ir, dr, None


@pytest.mark.parametrize("family", ["segment", "collar", "intersection", "clip"])
@pytest.mark.parametrize("decimals", [2, 8])  # many ties / almost none
def test_equals_sed_scores_eval(tmp_path, family, decimals):
    ref, durations = write_score_folder(tmp_path, seed=decimals + len(family), n_files=12, decimals=decimals)
    counts = _ours(family, tmp_path, ref, durations)
    for threshold in (None, 0.5, 0.31):
        ours = error_rates(counts, threshold)
        er, ir, dr, best = _theirs(family, tmp_path, ref, durations, threshold)
        for c in counts:
            got = ours.per_class[c]
            assert got["error_rate"] == pytest.approx(er[c], abs=1e-9), (c, threshold)
            assert got["insertion_rate"] == pytest.approx(ir[c], abs=1e-9)
            assert got["deletion_rate"] == pytest.approx(dr[c], abs=1e-9)
            if best is not None:
                assert got["threshold"] == pytest.approx(best[c], abs=1e-12)
        assert ours.macro["error_rate"] == pytest.approx(er["macro_average"], abs=1e-9)


def test_by_hand():
    # 5 segments of one class: positives score 0.9, 0.4; negatives 0.8, 0.4, 0.1 (N_ref 2).
    counts = {"x": item_counts(np.array([0.9, 0.4, 0.8, 0.4, 0.1]), np.array([1, 1, 0, 0, 0], bool))}
    # thresholds 0.1 0.4 0.8 0.9 inf -> (TP, FP) (2, 3) (2, 2) (1, 1) (1, 0) (0, 0): ER 1.5 1.0 1.0 0.5 1.0
    best = error_rates(counts).per_class["x"]
    assert (best["error_rate"], best["insertion_rate"], best["deletion_rate"]) == (0.5, 0.0, 0.5)
    assert best["threshold"] == pytest.approx((0.9 + 0.8) / 2)
    at = error_rates(counts, 0.4).per_class["x"]  # detects scores > 0.4: 0.8 and 0.9
    assert (at["tp"], at["fp"], at["error_rate"]) == (1.0, 1.0, 1.0)
    everything = error_rates(counts, 0.0).per_class["x"]
    assert (everything["tp"], everything["fp"], everything["error_rate"]) == (2.0, 3.0, 1.5)
    empty = error_rates({"y": item_counts(np.array([0.2, 0.6]), np.array([0, 0], bool))}, 0.5)
    assert math.isnan(empty.per_class["y"]["error_rate"])  # a class without references: undefined (0 / 0)
    assert empty.to_json()["per_class"]["y"]["error_rate"] is None


def _cli_inputs(tmp_path):
    from sedkit.io import write_events, write_tsv

    (tmp_path / "scores").mkdir()
    reference, durations = write_score_folder(tmp_path / "scores", seed=5, n_files=10, decimals=3)
    rows = list(zip(reference.filename, reference.onset, reference.offset, reference.label))
    write_events(tmp_path / "ref.tsv", rows, empty_files=[n for n in durations if n not in reference.files])
    write_tsv(tmp_path / "dur.tsv", ("filename", "duration"), [(k, v) for k, v in durations.items()])
    return reference, durations


@pytest.mark.parametrize("command, family", [("segment", "segment"), ("psds", "intersection"),
                                             ("tagging", "clip"), ("event", "collar")])
def test_cli_writes_the_reference_values(tmp_path, capsys, command, family):
    """`sedkit eval segment|psds|tagging|event --scores DIR --error-rate [T]`: the JSON holds sed_scores_eval's
    values (at 0.4 and at the best thresholds) and, but for the collar family (no per-clip counts), a bootstrap of
    the macro ER at those thresholds."""
    import json

    from sedkit.cli.main import main

    reference, durations = _cli_inputs(tmp_path)
    common = ["--reference", str(tmp_path / "ref.tsv"), "--durations", str(tmp_path / "dur.tsv"),
              "--scores", str(tmp_path / "scores")]
    for value, threshold in (("0.4", 0.4), (None, None)):
        out = tmp_path / f"{command}_{value}.json"
        argv = ["eval", command, *common, "--error-rate", *([value] if value else []), "--json", str(out),
                *(["--bootstrap", "20"] if family != "collar" else [])]
        assert main(argv) == 0
        capsys.readouterr()
        document = json.loads(out.read_text())["error_rate_from_scores"]
        er, _, _, _ = _theirs(family, tmp_path / "scores", reference, durations, threshold)
        for c in CLASSES:
            assert document["per_class"][c]["error_rate"] == pytest.approx(er[c], abs=1e-9)
        assert document["macro_average"]["error_rate"] == pytest.approx(er["macro_average"], abs=1e-9)
        assert document["mode"] == ("threshold" if value else "best")
        if family == "collar":
            continue
        values = [v for v in document["bootstrap"]["values"] if v is not None]
        assert len(document["bootstrap"]["values"]) == 20
        # resamples differ, unless the scores separate the classes perfectly (ER 0 in every resample)
        assert np.std(values) > 0 or (document["macro_average"]["error_rate"] == 0 and max(values) == 0)


def test_cli_bad_error_rate_input(tmp_path, capsys):
    from sedkit.cli.main import main

    _cli_inputs(tmp_path)
    common = ["--reference", str(tmp_path / "ref.tsv"), "--durations", str(tmp_path / "dur.tsv")]
    out = tmp_path / "x.json"
    for argv, message in (
            (["eval", "segment", *common, "--scores", str(tmp_path / "scores"), "--error-rate", "high",
              "--json", str(out)], "--error-rate high: a threshold (a number) or nothing (best)"),
            (["eval", "psds", *common, "--estimated", str(tmp_path / "ref.tsv"), "--error-rate", "--json", str(out)],
             "--error-rate: from frame scores (--scores) only"),
            (["eval", "event", *common, "--scores", str(tmp_path / "scores"), "--error-rate", "--bootstrap", "10",
              "--json", str(out)], "--bootstrap: not for collar-based error rates")):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0] and not out.exists()
