"""Segment-based (partial) ROC AUC (DCASE 2024's mpAUC) against sed_scores_eval.segment_based.auroc, by hand,
and through `sedkit eval segment --scores --auroc`."""
import json

import numpy as np
import pytest

from sedkit.cli.main import main
from sedkit.io import read_score_files, write_events, write_tsv
from sedkit.metrics.segment_auroc import roc_auc, segment_auroc, segment_scores
from tests.metrics.conftest import CLASSES, write_score_folder


def _reference_auroc(folder, reference, durations, max_fpr, segment_length=1.0):
    from sed_scores_eval import segment_based

    events = {name[:-4]: [] for name in durations}
    for name, onset, offset, label in zip(reference.filename, reference.onset, reference.offset, reference.label):
        events[name[:-4]].append((float(onset), float(offset), label))
    value, _ = segment_based.auroc(str(folder), events, {k[:-4]: v for k, v in durations.items()},
                                   segment_length=segment_length, max_fpr=max_fpr)
    return value


@pytest.mark.parametrize("decimals", [2, 8])  # many ties / almost none
@pytest.mark.parametrize("max_fpr", [None, 0.1, 0.37, 1.0])
def test_equals_sed_scores_eval(tmp_path, decimals, max_fpr):
    reference, durations = write_score_folder(tmp_path, seed=decimals, n_files=20, frames=97, hop=0.0625,
                                              decimals=decimals)
    durations = {k: v - 0.3 for k, v in durations.items()}  # clips end inside a segment and inside a frame
    files = read_score_files(tmp_path, sorted(durations), list(CLASSES))
    for length in (1.0, 0.7):
        mine = segment_auroc(segment_scores(reference, files, durations, CLASSES, length), max_fpr, length)
        theirs = _reference_auroc(tmp_path, reference, durations, max_fpr, length)
        for c in CLASSES:
            assert mine.per_class[c] == pytest.approx(theirs[c], abs=1e-12)
        assert mine.mean == pytest.approx(theirs["mean"], abs=1e-12)


def test_by_hand():
    # 6 segments: positives score 0.9, 0.4, 0.4; negatives 0.8, 0.4, 0.1.
    scores, targets = np.array([0.9, 0.4, 0.4, 0.8, 0.4, 0.1]), np.array([1, 1, 1, 0, 0, 0], bool)
    # thresholds 0.9: (TPR 1/3, FPR 0); 0.8: (1/3, 1/3); 0.4: (1, 2/3); 0.1: (1, 1); above all: (0, 0)
    # staircase: 1/3 * (1/3 - 0) + 1/3 * (2/3 - 1/3) + 1 * (1 - 2/3) = 5/9
    assert roc_auc(scores, targets) == pytest.approx(5 / 9)
    # partial up to FPR 0.5: 1/3 * 1/3 + 1/3 * (0.5 - 1/3) = 1/6, divided by 0.5
    assert roc_auc(scores, targets, max_fpr=0.5) == pytest.approx(1 / 3)
    # a weight of 2 on the first positive: TPR steps of 2/4 at 0.9
    weighted = roc_auc(scores, targets, weights=np.array([2, 1, 1, 1, 1, 1.0]))
    assert weighted == pytest.approx(0.5 * 1 / 3 + 0.5 * 1 / 3 + 1 * 1 / 3)


def _cli_inputs(tmp_path):
    (tmp_path / "scores").mkdir()
    reference, durations = write_score_folder(tmp_path / "scores", seed=3, n_files=12)
    rows = list(zip(reference.filename, reference.onset, reference.offset, reference.label))
    write_events(tmp_path / "ref.tsv", rows, empty_files=[n for n in durations if n not in reference.files])
    write_tsv(tmp_path / "dur.tsv", ("filename", "duration"), [(k, v) for k, v in durations.items()])
    return reference, durations


def test_cli_json_and_bootstrap(tmp_path, capsys):
    reference, durations = _cli_inputs(tmp_path)
    args = ["eval", "segment", "--reference", str(tmp_path / "ref.tsv"), "--durations", str(tmp_path / "dur.tsv"),
            "--scores", str(tmp_path / "scores"), "--auroc", "--json", str(tmp_path / "auc.json")]
    assert main(args + ["--bootstrap", "20"]) == 0
    document = json.loads((tmp_path / "auc.json").read_text())
    theirs = _reference_auroc(tmp_path / "scores", reference, durations, 0.1)
    assert document["mpAUC"] == pytest.approx(theirs["mean"], abs=1e-12) and document["max_fpr"] == 0.1
    assert len(document["bootstrap"]["values"]) == 20
    assert "mpAUC" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--max-fpr", "0"], "--max-fpr 0.0: must lie in (0, 1]"),
    (["--max-fpr", "1.5"], "--max-fpr 1.5: must lie in (0, 1]"),
    (["--estimated", "ref.tsv"], "not an event table"),
])
def test_cli_bad_input_is_one_line(tmp_path, capsys, extra, message):
    _cli_inputs(tmp_path)
    out = tmp_path / "auc.json"
    extra = [str(tmp_path / e) if e.endswith(".tsv") else e for e in extra]
    code = main(["eval", "segment", "--reference", str(tmp_path / "ref.tsv"), "--durations", str(tmp_path / "dur.tsv"),
                 "--scores", str(tmp_path / "scores"), "--auroc", "--json", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err and not out.exists()


def test_cli_refuses_nan_and_unsorted_timestamps(tmp_path, capsys):
    _cli_inputs(tmp_path)
    path = sorted((tmp_path / "scores").glob("*.tsv"))[0]
    lines = path.read_text().splitlines()
    for broken, message in ((lines[:2] + [lines[2].replace(lines[2].split("\t")[2], "nan", 1)] + lines[3:], "NaN"),
                            (lines[:1] + [lines[2], lines[1]] + lines[3:], "")):
        path.write_text("\n".join(broken) + "\n")
        code = main(["eval", "segment", "--reference", str(tmp_path / "ref.tsv"), "--durations",
                     str(tmp_path / "dur.tsv"), "--scores", str(tmp_path / "scores"), "--auroc"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and str(path) in err
