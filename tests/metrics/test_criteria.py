"""PSDS criteria: one frozen value, DCASE's two scenarios, refusals; the CLI's --scenario and the JSON."""
import dataclasses
import json

import pytest

from sedkit.errors import InputError
from sedkit.metrics.criteria import PSDSCriteria, scenario


def test_presets_are_dcase_task4_scenarios():
    assert scenario(1) == PSDSCriteria(dtc=0.7, gtc=0.7, cttc=0.3, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0)
    assert scenario("2") == PSDSCriteria(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
    assert scenario(2).scenario() == 2 and scenario(1).replace(dtc=0.5).scenario() is None


def test_frozen_keyword_only_and_checked():
    with pytest.raises(TypeError):
        PSDSCriteria(0.7, 0.7, 0.3, 0.0, 1.0, 100.0)  # keyword-only
    with pytest.raises(TypeError):
        PSDSCriteria(dtc=0.7, gtc=0.7)  # no defaults: every value is stated
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario(1).dtc = 0.5
    for bad in (dict(dtc=1.5), dict(alpha_ct=-0.1), dict(alpha_st=-1.0), dict(max_efpr=0.0)):
        with pytest.raises(InputError):
            scenario(1).replace(**bad)
    with pytest.raises(InputError, match="unknown PSDS scenario 3: 1 or 2"):
        scenario(3)


def test_cli_scenario_and_overrides(tmp_path, capsys):
    from sedkit.cli.main import main
    from sedkit.io import write_events, write_tsv
    from tests.metrics.conftest import write_score_folder

    (tmp_path / "scores").mkdir()
    reference, durations = write_score_folder(tmp_path / "scores", seed=1, n_files=8)
    rows = list(zip(reference.filename, reference.onset, reference.offset, reference.label))
    write_events(tmp_path / "ref.tsv", rows)
    write_tsv(tmp_path / "dur.tsv", ("filename", "duration"), list(durations.items()))
    base = ["eval", "psds", "--reference", str(tmp_path / "ref.tsv"), "--durations", str(tmp_path / "dur.tsv"),
            "--scores", str(tmp_path / "scores"), "--json"]
    assert main(base + [str(tmp_path / "s2.json"), "--scenario", "2"]) == 0
    document = json.loads((tmp_path / "s2.json").read_text())
    assert document["scenario"] == 2 and document["parameters"] == scenario(2).to_json()
    assert main(base + [str(tmp_path / "s1.json"), "--alpha-ct", "0.5"]) == 0
    document = json.loads((tmp_path / "s1.json").read_text())
    assert document["scenario"] is None and document["parameters"]["alpha_ct"] == 0.5
    assert document["parameters"]["dtc"] == 0.7
    capsys.readouterr()
    assert main(base + [str(tmp_path / "bad.json"), "--scenario", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown PSDS scenario '3'" in err and not (tmp_path / "bad.json").exists()


def test_cross_trigger_tolerance_only_where_cross_triggers_count():
    # DCASE scenario 1 does not count cross-triggers (alpha_ct 0): the counting passes get no cttc;
    # scenario 2 (alpha_ct 0.5) counts them within cttc 0.3.
    assert scenario(1).cross_trigger_tolerance is None
    assert scenario(2).cross_trigger_tolerance == 0.3
    assert scenario(1).replace(alpha_ct=0.25, cttc=0.4).cross_trigger_tolerance == 0.4
