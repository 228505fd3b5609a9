"""The library faces of `sedkit eval psds` and `postprocess --thresholds best-f1` give what the commands give."""
import json

import numpy as np
import pytest

from sedkit.cli.main import main
from sedkit.io import read_durations, read_events, write_events, write_tsv
from sedkit.metrics.bootstrap import resample_weights
from sedkit.metrics.criteria import scenario
from sedkit.metrics.evaluate import evaluate_psds
from tests.metrics.conftest import write_score_folder


@pytest.fixture
def scored(tmp_path):
    (tmp_path / "scores").mkdir()
    reference, durations = write_score_folder(tmp_path / "scores", seed=5, n_files=10)
    rows = list(zip(reference.filename, reference.onset, reference.offset, reference.label))
    write_events(tmp_path / "ref.tsv", rows)
    write_tsv(tmp_path / "dur.tsv", ("filename", "duration"), list(durations.items()))
    return tmp_path


def test_evaluate_psds_equals_the_command(scored):
    assert main(["eval", "psds", "--reference", str(scored / "ref.tsv"), "--durations", str(scored / "dur.tsv"),
                 "--scores", str(scored / "scores"), "--scenario", "2", "--bootstrap", "5",
                 "--json", str(scored / "p.json")]) == 0
    document = json.loads((scored / "p.json").read_text())
    result = evaluate_psds(read_events(scored / "ref.tsv"), read_durations(scored / "dur.tsv"), scenario(2),
                           scores_dir=scored / "scores", bootstrap_weights=resample_weights(10, 5, 0))
    assert result.psds == document["psds"] > 0
    np.testing.assert_allclose(result.extra["bootstrap_values"], document["bootstrap"]["values"])


def test_tune_thresholds_equals_the_command(scored, capsys):
    from sedkit.metrics.collar_scores import tune_thresholds
    from sedkit.postprocess.median import read_class_values

    assert main(["postprocess", str(scored / "scores"), str(scored / "out.tsv"), "--thresholds", "best-f1",
                 "--reference", str(scored / "ref.tsv"), "--write-thresholds", str(scored / "t.yaml")]) == 0
    written = read_class_values(scored / "t.yaml", ["a", "b", "c"], "threshold")
    tuned = tune_thresholds(scored / "scores", scored / "ref.tsv", ["a", "b", "c"])
    assert {c: v["threshold"] for c, v in tuned.items()} == pytest.approx(written)
    assert all(0 < v["f1"] <= 1 for v in tuned.values())
