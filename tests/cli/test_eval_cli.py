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
    # Keys added over time (never renamed): clip_counts for the bootstrap; parameters and the S/D/I rates.
    assert set(doc) == {"micro", "macro", "per_class", "clip_counts", "parameters"}
    assert sum(map(sum, doc["clip_counts"]["tp"])) == 2 and sum(map(sum, doc["clip_counts"]["n_est"])) == 3 + 1
    rates = {"f1", "precision", "recall", "error_rate", "deletion_rate", "insertion_rate"}
    assert set(doc["micro"]) == rates | {"substitution_rate"} and set(doc["macro"]) == rates
    assert set(doc["per_class"]) == {"Cat", "Dog"}
    assert set(doc["per_class"]["Dog"]) == rates | {"n_ref", "n_est"}
    # By hand: 3 reference events, 4 estimates, 2 hits; a.wav's Dog at 3-4 s misses Cat's offset collar,
    # so no substitution: D = 1, I = 2 (rates / 3).
    assert doc["micro"]["substitution_rate"] == 0.0
    assert doc["micro"]["deletion_rate"] == pytest.approx(1 / 3)
    assert doc["micro"]["insertion_rate"] == pytest.approx(2 / 3)
    assert "Sub" in stdout and "Del" in stdout and "Ins" in stdout
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


def test_event_onset_offset_switches(tables, capsys):
    """--no-offset: a.wav's Dog at 3-4 s now meets Cat's event (onset within 0.2 s): a substitution."""
    out = tables / "m.json"
    base = ["eval", "event", "--reference", str(tables / "ref.tsv"), "--estimated", str(tables / "est.tsv")]
    assert main([*base, "--no-offset", "--json", str(out)]) == 0
    assert "offsets not evaluated" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["parameters"]["evaluate_offset"] is False and doc["parameters"]["evaluate_onset"] is True
    assert doc["micro"]["substitution_rate"] == pytest.approx(1 / 3)
    assert doc["micro"]["deletion_rate"] == pytest.approx(0.0, abs=1e-12)
    assert doc["micro"]["insertion_rate"] == pytest.approx(1 / 3)
    assert main([*base, "--no-onset", "--no-offset"]) == 2
    assert "evaluate at least one of onset and offset" in capsys.readouterr().err


@pytest.mark.parametrize("handling, cat_f1, macro_f1", [(None, None, 0.75), ("default", None, 0.75),
                                                          ("zero_score", 0.0, 0.375)])
def test_segment_empty_system_output(tables, capsys, handling, cat_f1, macro_f1):
    """Cat has 2 reference segments and no estimate. Dog by hand: segments a {1} vs {1, 2, 3}, b {0, 1}
    vs {0, 1}: tp 3, n_est 5, n_ref 3, F1 0.75. sed_eval's default leaves Cat out of the mean."""
    (tables / "dog_only.tsv").write_text(HEADER + "a.wav\t1.05\t2.1\tDog\na.wav\t3.0\t4.0\tDog\n"
                                         "b.wav\t0.4\t1.4\tDog\n")
    out = tables / "s.json"
    extra = ["--empty-system-output", handling] if handling else []
    assert main(["eval", "segment", "--reference", str(tables / "ref.tsv"), "--estimated",
                 str(tables / "dog_only.tsv"), "--durations", str(tables / "dur.tsv"), "--json", str(out),
                 *extra]) == 0
    stdout = capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["per_class"]["Cat"]["f1"] == cat_f1
    assert doc["per_class"]["Dog"]["f1"] == pytest.approx(0.75)
    assert doc["macro"]["f1"] == pytest.approx(macro_f1)
    assert doc["parameters"]["empty_system_output"] == (handling or "default")
    # Dog: 30 segments, tp 3, fp 2, fn 0, tn 25 -> specificity 25 / 27.
    assert doc["per_class"]["Dog"]["specificity"] == pytest.approx(25 / 27)
    assert doc["per_class"]["Dog"]["sensitivity"] == pytest.approx(1.0)
    assert doc["per_class"]["Dog"]["accuracy"] == pytest.approx(28 / 30)
    assert doc["per_class"]["Dog"]["balanced_accuracy"] == pytest.approx((1 + 25 / 27) / 2)
    assert "balanced accuracy" in stdout


def test_psds_operating_point_output_by_hand(tables, capsys):
    """dtc = gtc = 0.5 on 30 s of audio: Dog's two detections at 1.05-2.1 (a) and 0.4-1.4 (b) are TPs, the
    one at 3-4 on a.wav is a FP and a cross-trigger on Cat (2 s of Cat events); Cat's only detection (c.wav)
    is a FP. Dog: TPR 1, FPR 1 / 30 s = 120 per hour, CTR on Cat 1 / 2 s = 1800 per hour, intersection F1
    2*2 / (2*2 + 0 + 1) = 0.8; Cat: no TP, F1 undefined (psds_eval's 0 / 0) and out of the mean."""
    out, csv = tables / "p.json", tables / "roc.csv"
    (tables / "dur2.tsv").write_text(DUR + "a.wav\t10.0\n")
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur2.tsv"),
                 "--estimated", str(tables / "est.tsv"), "--dtc", "0.5", "--gtc", "0.5", "--json", str(out),
                 "--csv", str(csv)]) == 0
    captured = capsys.readouterr()
    assert "dur2.tsv: 1 repeated row(s) with the same duration read once" in captured.err
    point = json.loads(out.read_text())["operating_points"][0]
    assert point["name"] == str(tables / "est.tsv")
    assert point["tpr"] == {"Cat": 0.0, "Dog": 1.0}
    assert point["fpr_per_hour"] == {"Cat": pytest.approx(120.0), "Dog": pytest.approx(120.0)}
    assert point["ctr_per_hour"]["Dog"]["Cat"] == pytest.approx(1800.0)
    assert point["intersection_f1"] == {"macro": pytest.approx(0.8),
                                        "per_class": {"Cat": None, "Dog": pytest.approx(0.8)}}
    assert " 80.00" in captured.out  # the per-point table
    lines = csv.read_text().splitlines()
    assert lines[0] == "efpr_per_hour,etpr,tpr_Cat,tpr_Dog"
    # Cat's ROC: (0, 0), (120, 0); Dog's: (0, 0), (120, 1). eTPR = mean - std = 0.5 - 0.5 = 0.
    assert lines[1:] == ["0,0,0,0", "120,0,0,1"]


def test_psds_ignores_unknown_labels_and_extra_score_columns(tables, capsys):
    import numpy as np

    from sedkit.io import write_scores

    (tables / "zebra.tsv").write_text(EST + "a.wav\t6.0\t7.0\tZebra\n")
    base = ["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv")]
    out1, out2 = tables / "1.json", tables / "2.json"
    assert main([*base, "--estimated", str(tables / "est.tsv"), "--json", str(out1)]) == 0
    assert main([*base, "--estimated", str(tables / "zebra.tsv"), "--json", str(out2)]) == 0
    err = capsys.readouterr().err
    assert "1 detection(s) with labels not in the class list ignored, as psds_eval does (Zebra)" in err
    assert json.loads(out1.read_text())["psds"] == json.loads(out2.read_text())["psds"]
    # Scores: Dog 0.8 exactly over a.wav's Dog event (1-2 s), 0 elsewhere; Cat and Owl 0.1 everywhere.
    for clip in ("a", "b", "c"):
        scores = np.full((10, 3), 0.1)
        scores[:, 1] = 0.0
        if clip == "a":
            scores[1, 1] = 0.8
        write_scores(tables / "scores" / f"{clip}.tsv", np.arange(11.0), ["Cat", "Dog", "Owl"], scores)
    assert main([*base, "--scores", str(tables / "scores"), "--classes", "Cat", "Dog", "--json", str(out1)]) == 0
    assert "score columns Owl are not in --classes: ignored" in capsys.readouterr().err
    doc = json.loads(out1.read_text())
    assert doc["classes"] == ["Cat", "Dog"] and set(doc["per_class_roc"]) == {"Cat", "Dog"}
    # Dog at >= 0.8: the 1-2 s detection finds one of the two Dog events, no false positive; lower
    # thresholds only add whole-file detections that fail the DTC. The staircase keeps that one point.
    assert doc["per_class_roc"]["Dog"] == {"threshold": [0.8], "tpr": [0.5], "efpr_per_hour": [0.0]}


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
                 "--scores", str(scores), "--json", str(out), "--nj", "2"]) == 0
    assert json.loads(out.read_text()) == whole
    capsys.readouterr()
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--scores", str(scores), "--json", str(tables / "nj0.json"), "--nj", "0"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["sedkit eval psds: error: --nj 0: must be at least 1"]
    assert not (tables / "nj0.json").exists()
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--scores", str(scores), "--json", str(out), "--bootstrap", "50", "--max-efpr", "1000"]) == 0
    boot = json.loads(out.read_text())["bootstrap"]
    assert boot["n_resamples"] == 50 and boot["seed"] == 0 and len(boot["values"]) == 50
    assert "95 % interval" in capsys.readouterr().out
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--estimated", str(tables / "est.tsv"), "--bootstrap", "-1"]) == 2
    assert "--bootstrap must be >= 1" in capsys.readouterr().err


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
            f"rc = main(['eval', 'event', '--reference', r'{tables / 'ref.tsv'}',"
            f" '--estimated', r'{tables / 'est.tsv'}']);"
            "assert rc == 0; bad = [m for m in ('torch', 'pandas', 'matplotlib') if m in sys.modules];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_bootstrap_on_every_eval_command(tables, capsys):
    base = ["--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv")]
    for command, extra in (("event", ["--estimated", str(tables / "est.tsv")]),
                           ("segment", ["--estimated", str(tables / "est.tsv")]),
                           ("psds", ["--estimated", str(tables / "est.tsv"), "--dtc", "0.5", "--gtc", "0.5",
                                     "--alpha-st", "0", "--max-efpr", "1000"])):
        out = tables / f"{command}.json"
        assert main(["eval", command, *base, *extra, "--bootstrap", "50", "--seed", "3", "--json", str(out)]) == 0
        stdout = capsys.readouterr().out
        assert "bootstrap over 3 clips (50 resamples, replacement)" in stdout
        doc = json.loads(out.read_text())["bootstrap"]
        assert doc["n_resamples"] == 50 and doc["seed"] == 3 and doc["scheme"] == "replacement"
        summary = doc["psds"] if command == "psds" else doc["macro"]["f1"]
        assert set(summary) == {"mean", "std", "low", "high"}
        assert summary["low"] <= summary["mean"] <= summary["high"] and summary["std"] > 0
    assert main(["eval", "event", *base, "--estimated", str(tables / "est.tsv"), "--bootstrap", "7",
                 "--bootstrap-scheme", "folds", "--json", str(tables / "never.json")]) == 2
    err = capsys.readouterr().err
    assert "needs a multiple of --bootstrap-folds 5" in err and len(err.strip().splitlines()) == 1
    assert not (tables / "never.json").exists()


def test_pipsds_command(tables, capsys):
    """`eval psds --median-filter-lengths`: the piPSDS of the library, each length's PSDS alone beside it, and
    with the single length 0 the plain threshold-free PSDS; bad lengths: one line, exit 2, nothing written."""
    import numpy as np

    from sedkit.io import read_durations, read_events, write_scores
    from sedkit.metrics.criteria import scenario
    from sedkit.metrics.pipsds import pipsds_from_scores
    from sedkit.metrics.psds import prepare_ground_truth

    scores = tables / "scores"
    stamps = np.arange(101) * 0.1
    rng = np.random.default_rng(1)
    for clip in ("a", "b", "c"):
        write_scores(scores / f"{clip}.tsv", stamps, ["Cat", "Dog"], np.round(rng.random((100, 2)), 2))
    common = ["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
              "--scores", str(scores), "--max-efpr", "1000"]
    out = tables / "pi.json"
    assert main([*common, "--median-filter-lengths", "0", "0.3", "0.9", "--json", str(out), "--nj", "2"]) == 0
    doc = json.loads(out.read_text())
    gt = prepare_ground_truth(read_events(tables / "ref.tsv"), read_durations(tables / "dur.tsv"),
                              merge_touching=True)
    direct = pipsds_from_scores(gt, scores, scenario(1).replace(max_efpr=1000.0), [0.0, 0.3, 0.9])
    assert doc["pipsds"] == doc["psds"] == direct.psds
    assert doc["parameters"]["median_filter_lengths"] == [0.0, 0.3, 0.9]
    alone = [row["psds"] for row in doc["psds_per_filter_length"]]
    assert f"piPSDS {doc['psds']:.4f}" in capsys.readouterr().out
    plain = tables / "plain.json"
    assert main([*common, "--json", str(plain)]) == 0
    assert alone[0] == pytest.approx(json.loads(plain.read_text())["psds"], abs=1e-12)
    capsys.readouterr()
    for bad, message in ((["-0.5"], "lengths must be finite and >= 0 seconds, got -0.5"),
                         (["0.2", "0.2"], "a length is given twice")):
        assert main([*common, "--median-filter-lengths", *bad, "--json", str(tables / "bad.json")]) == 2
        assert capsys.readouterr().err.strip().splitlines() == [
            f"sedkit eval psds: error: --median-filter-lengths: {message}"]
        assert not (tables / "bad.json").exists()
    assert main(["eval", "psds", "--reference", str(tables / "ref.tsv"), "--durations", str(tables / "dur.tsv"),
                 "--estimated", str(tables / "est.tsv"), "--median-filter-lengths", "0.2", "--json",
                 str(tables / "bad.json")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "sedkit eval psds: error: --median-filter-lengths (piPSDS): from frame scores (--scores) only"]
    assert not (tables / "bad.json").exists()
