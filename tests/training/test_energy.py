"""Energy per training epoch with CodeCarbon (the [energy] extra), and the same run without it."""
import csv
import sys

import pytest

from sedkit.config import to_dict
from tests.training.conftest import tiny_config


def _train(tiny_corpus, exp, monkeypatch, installed: bool):
    from sedkit.training.sed import SEDTask
    from sedkit.training.trainer import Trainer

    monkeypatch.delenv("SEDKIT_ENERGY", raising=False)  # the suite switches it off (tests/conftest.py)
    if not installed:
        monkeypatch.setitem(sys.modules, "codecarbon", None)  # import fails as if it were not installed
    config = tiny_config(tiny_corpus, system={"name": "supervised"}, run={"epochs": 2},
                         data={"batch_weak": 0, "batch_unlabel": 0})
    Trainer(SEDTask(config, exp), config.optim, config.run, exp, to_dict(config)).fit()
    with open(exp / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle)), (exp / "train.log").read_text()


def test_without_codecarbon_the_run_is_unchanged(tiny_corpus, tmp_path, monkeypatch):
    rows, log = _train(tiny_corpus, tmp_path / "plain", monkeypatch, installed=False)
    assert "energy_kwh" not in rows[0] and len(rows) == 2
    assert log.count("energy: not measured (CodeCarbon is not installed: pip install 'sedkit[energy]')") == 1
    from sedkit.reporting import training_energy

    assert training_energy(tmp_path / "plain") != training_energy(tmp_path / "plain")  # nan: not recorded


def test_switched_off_by_the_environment(monkeypatch):
    pytest.importorskip("codecarbon")
    monkeypatch.setenv("SEDKIT_ENERGY", "off")
    from sedkit.training.energy import EnergyMeter

    meter = EnergyMeter()
    assert not meter.available and meter.note is None  # off on purpose: no note, nothing measured


def test_with_codecarbon_each_epoch_has_its_kwh(tiny_corpus, tmp_path, monkeypatch):
    pytest.importorskip("codecarbon")
    from sedkit.reporting import training_energy

    rows, log = _train(tiny_corpus, tmp_path / "measured", monkeypatch, installed=True)
    values = [float(row["energy_kwh"]) for row in rows]
    assert len(values) == 2 and all(0 <= v < 0.01 for v in values)  # a few seconds of 2 CPU cores
    assert training_energy(tmp_path / "measured") == pytest.approx(sum(values))
    assert "not measured" not in log
