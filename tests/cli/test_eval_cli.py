import json
import subprocess
import sys

import pytest

from sedkit.cli.main import main

HEADER = "filename\tonset\toffset\tevent_label\n"
REF = HEADER + "a.wav\t1.0\t2.0\tDog\na.wav\t3.0\t5.0\tCat\nb.wav\t0.5\t1.5\tDog\nc.wav\t\t\t\n"
EST = HEADER + "a.wav\t1.05\t2.1\tDog\na.wav\t3.0\t4.0\tDog\nb.wav\t0.4\t1.4\tDog\nc.wav\t2.0\t3.0\tCat\n"
DUR = "filename\tduration\na.wav\t10.0\nb.wav\t10.0\nc.wav\t10.0\n"


@pytest.fixture
def tables(tmp_path):
    for name, text in (("ref.tsv", REF), ("est.tsv", EST), ("dur.tsv", DUR)):
        (tmp_path / name).write_text(text)
    return tmp_path


def test_event_json_contract_and_table(tables, capsys):
    out = tables / "m.json"
    assert main(["eval", "event", "--reference", str(tables / "ref.tsv"), "--estimated", str(tables / "est.tsv"),
                 "--json", str(out), "--plot", str(tables / "f1.png")]) == 0
    stdout = capsys.readouterr().out
    assert "macro" in stdout and "micro" in stdout and "Dog" in stdout
    doc = json.loads(out.read_text())
    assert set(doc) == {"micro", "macro", "per_class", "clip_counts"}  # clip_counts: added for the bootstrap
    assert sum(map(sum, doc["clip_counts"]["tp"])) == 2 and sum(map(sum, doc["clip_counts"]["n_est"])) == 3 + 1
    for section in ("micro", "macro"):
        assert set(doc[section]) == {"f1", "precision", "recall", "error_rate"}
    assert set(doc["per_class"]) == {"Cat", "Dog"}
    assert set(doc["per_class"]["Dog"]) == {"f1", "precision", "recall", "error_rate", "n_ref", "n_est"}
    assert doc["per_class"]["Dog"]["n_ref"] == 2 and doc["per_class"]["Dog"]["n_est"] == 3
    assert doc["per_class"]["Dog"]["f1"] == pytest.approx(0.8)  # 2 tp of 2 ref, 3 est
    assert doc["per_class"]["Cat"]["precision"] == 0.0 and doc["per_class"]["Cat"]["f1"] == 0.0
    assert (tables / "f1.png").stat().st_size > 0


def test_nan_is_null_and_classes_option(tables, capsys):
    out = tables / "m.json"
    assert main(["eval", "segment", "--reference", str(tables / "ref.tsv"), "--estimated", str(tables / "est.tsv"),
                 "--durations", str(tables / "dur.tsv"), "--classes", "Dog", "Cat", "Bird", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert list(doc["per_class"]) == ["Dog", "Cat", "Bird"]
    assert doc["per_class"]["Bird"]["f1"] is None and doc["per_class"]["Bird"]["recall"] is None


def test_psds_from_operating_points_and_scores(tables, capsys):
    import numpy as np

    from sedkit.io import write_scores

    out = tables / "p.json"
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--estimated", str(tables / "est.tsv"), str(tables / "ref.tsv"), "--json", str(out),
                 "--plot", str(tables / "roc.png")]) == 0
    doc = json.loads(out.read_text())
    assert 0 <= doc["psds"] <= 1 and doc["n_operating_points"] == 2
    assert (tables / "roc.png").stat().st_size > 0
    scores = tables / "scores"
    stamps = np.arange(101) * 0.1
    for clip in ("a", "b", "c"):
        write_scores(scores / f"{clip}.tsv", stamps, ["Cat", "Dog"], np.random.default_rng(0).random((100, 2)))
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--scores", str(scores), "--json", str(out)]) == 0
    whole = json.loads(out.read_text())
    assert "threshold-free" in whole["method"] and "bootstrap" not in whole
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--scores", str(scores), "--json", str(out), "--bootstrap", "50", "--max-efpr", "1000"]) == 0
    boot = json.loads(out.read_text())["bootstrap"]
    assert boot["n_resamples"] == 50 and boot["seed"] == 0 and len(boot["values"]) == 50
    assert "95 % interval" in capsys.readouterr().out
    # The threshold-free PSDS only: operating points cannot be resampled this way.
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--estimated", str(tables / "est.tsv"), "--bootstrap", "10"]) == 2
    assert "--bootstrap N needs" in capsys.readouterr().err


def _bad(tables, name, text):
    path = tables / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("estimated, expected", [
    ("filename\tonset\toffset\n", "est.tsv:1: missing column event_label"),
    ("filename,onset,offset,event_label\na.wav,1,2,Dog\n", "tab-separated"),
    (HEADER + "a.wav\tone\t2\tDog\n", "est.tsv:2: onset 'one' is not a number of seconds"),
    (HEADER + "a.wav\t-1\t2\tDog\n", "est.tsv:2: negative onset -1"),
    (HEADER + "a.wav\t3\t2\tDog\n", "est.tsv:2: onset 3 is after offset 2"),
    (HEADER + "a.wav\t1\t2\tBird\n", "est.tsv:2: label 'Bird' is not in the class list"),
    (HEADER + "z.wav\t1\t2\tDog\n", "est.tsv:2: estimated file z.wav is not in the reference"),
    (HEADER + "a.wav\t1\t\tDog\n", "est.tsv:2: empty offset"),
    ("", "est.tsv: empty file"),
])
def test_bad_estimated_table(tables, capsys, estimated, expected):
    path = _bad(tables, "est.tsv", estimated)
    for command in (["eval", "event"], ["eval", "segment"]):
        assert main([*command, "--reference", str(tables / "ref.tsv"), "--estimated", path]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and expected in err, err


def test_missing_files_and_options(tables, capsys):
    assert main(["eval", "event", "--reference", str(tables / "nope.tsv"), "--estimated", str(tables / "est.tsv")]) == 2
    assert "nope.tsv: no such file" in capsys.readouterr().err
    assert main(["eval", "event", "--reference", str(tables / "ref.tsv")]) == 2
    assert "--estimated" in capsys.readouterr().err
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--estimated", str(tables / "est.tsv")]) == 2
    assert "--durations" in capsys.readouterr().err
    assert main(["eval", "event", "--reference", str(tables / "ref.tsv"), "--estimated", str(tables / "est.tsv"),
                 "--t-collar-s", "0"]) == 2
    assert "t_collar must be > 0" in capsys.readouterr().err
    json_path = tables / "never.json"
    assert main(["eval", "event", "--reference", str(tables / "ref.tsv"), "--estimated",
                 _bad(tables, "x.tsv", HEADER + "q.wav\t1\t2\tDog\n"), "--json", str(json_path)]) == 2
    assert not json_path.exists()


def test_eval_does_not_import_torch_or_pandas(tables):
    code = ("import sys; from sedkit.cli.main import main;"
            f"rc = main(['eval', 'event', '--reference', r'{tables / 'ref.tsv'}', '--estimated', r'{tables / 'est.tsv'}']);"
            "assert rc == 0; bad = [m for m in ('torch', 'pandas', 'matplotlib') if m in sys.modules];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
