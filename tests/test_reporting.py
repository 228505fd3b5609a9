"""Results tables (sedkit.reporting): mean ± std over seeds, missing runs, training minutes, best plots."""
import json
import math

import pytest

from sedkit.errors import InputError
from sedkit.reporting import collect_results, results_markdown, training_minutes, validation_gain, write_results


def _sed_run(exp, system, seed, macro, seconds=None):
    run = exp / f"{system}_seed{seed}" / "decode_validation"
    run.mkdir(parents=True)
    (run / "event.json").write_text(json.dumps({"macro": {"f1": macro}, "micro": {"f1": macro + 0.1}}))
    (run / "segment.json").write_text(json.dumps({"macro": {"f1": 0.5}}))
    (run / "psds.json").write_text(json.dumps({"psds": None}))
    (run / "f1.png").write_bytes(b"png")
    if seconds is not None:
        rows = "\n".join(f"{i + 1},{s}" for i, s in enumerate(seconds))
        (run.parent / "metrics.csv").write_text("epoch,time_s\n" + rows + "\n")
    return run


def test_mean_std_over_seeds_and_missing_seeds(tmp_path):
    _sed_run(tmp_path, "a", 1, 0.2, seconds=[60, 60])
    _sed_run(tmp_path, "a", 2, 0.4, seconds=[120, 120])
    _sed_run(tmp_path, "b", 1, 0.5)
    results = collect_results(tmp_path, ["a", "b"], [1, 2, 3])
    assert results[0].seeds == [1, 2] and results[1].seeds == [1]
    assert results[0].train_minutes == [2.0, 4.0] and math.isnan(results[1].train_minutes[0])
    table = results_markdown(results, {"a": 35.0}, "T")
    row_a = next(line for line in table.splitlines() if line.startswith("| a |"))
    # no model card, no baseline, no bounds, no validation log: those cells are "-"; event macro 30.0 ± 10.0,
    # micro 40.0 ± 10.0, segment 50.0, PSDS None -> "-", paper 35.0, 3.0 min per run
    assert row_a == "| a | - | 1 2 | 30.0 ± 10.0 | - | 40.0 ± 10.0 | 50.0 ± 0.0 | - | - | - | - | 35.0 | 3.0 |"
    row_b = next(line for line in table.splitlines() if line.startswith("| b |"))
    assert row_b.endswith("| 50.0 | - | 60.0 | 50.0 | - | - | - | - | - | - |")


def _counts(tp, n_est, n_ref):
    files = [f"c{i}.wav" for i in range(len(tp))]
    return {"files": files, "classes": ["x"], "tp": [[v] for v in tp], "n_est": [[v] for v in n_est],
            "n_ref": [[v] for v in n_ref]}


def test_confidence_intervals_gap_closed_model_and_convergence(tmp_path):
    """Baseline finds 2 of 10 events, the system 8 of 10 (F1 0.2 and 0.8); bounds 0.0 and 1.0."""

    from sedkit.metrics.bootstrap import bootstrap_macro_f1, ClipCounts, paired_difference, resample_weights

    hits = {"base": [1, 1] + [0] * 8, "sys": [1] * 8 + [0, 0], "low": [0] * 10, "high": [1] * 10}
    for name, tp in hits.items():
        run = _sed_run(tmp_path, name, 1, sum(tp) / 10)
        event = json.loads((run / "event.json").read_text())
        event["clip_counts"] = _counts(tp, tp, [1] * 10)
        (run / "event.json").write_text(json.dumps(event))
        (run / "model.yaml").write_text("checkpoint: best.pt\nnetwork: teacher\nstep: 2900\n")
        (run.parent / "metrics.csv").write_text("epoch,step,val_score,time_s\n1,1000,0.1,60\n2,2000,0.30,60\n"
                                                "3,2400,0.35,60\n4,3000,0.36,60\n")
        other = run.parent / "decode_validation_student"
        other.mkdir()
        (other / "event.json").write_text(json.dumps({"macro": {"f1": 0.1}, "micro": {"f1": 0.1}}))
    results = collect_results(tmp_path, list(hits), [1])
    table = results_markdown(results, {}, "T", baseline="base", bounds=["low", "high"], n_resamples=200)
    row = next(line for line in table.splitlines() if line.startswith("| sys |")).split(" | ")
    weights = resample_weights(10, 200, 0)
    replicates = {n: bootstrap_macro_f1(ClipCounts.from_json(_counts(t, t, [1] * 10)), weights)
                  for n, t in hits.items()}
    interval = paired_difference([replicates["sys"]], [replicates["base"]])
    assert row[1] == "teacher, best.pt @ step 2900"
    assert row[4] == f"+60.0 [{100 * interval['low']:+.1f}, {100 * interval['high']:+.1f}]"
    assert interval["low"] > 0  # 6 of 10 clips better, none worse
    assert row[9] == "80 %"  # (0.8 - 0.0) / (1.0 - 0.0)
    assert row[10] == "+1.0"  # 0.36 at step 3000 minus 0.35 at step 2400 (80 % of the steps)
    assert "| base | baseline |" not in table and " | baseline | " in next(
        line for line in table.splitlines() if line.startswith("| base |"))
    assert "| sys | student | 10.0 | - |" in table  # every student and teacher
    bounds = next(line for line in table.splitlines() if line.startswith("| sys |") and "below" not in line
                  and line.count("[") == 2)  # the bounds table: above low (+80), below high (+20), no PSDS
    assert bounds.startswith("| sys | +80.0 [") and "| +20.0 [" in bounds and bounds.endswith("| - | - |")


def test_validation_gain_reads_the_selection_curve(tmp_path):
    (tmp_path / "metrics.csv").write_text("epoch,step,val_score\n1,100,0.1\n2,200,0.2\n3,300,0.25\n4,400,0.5\n"
                                          "5,500,0.55\n")
    assert validation_gain(tmp_path) == pytest.approx(0.55 - 0.5)  # 80 % of 500 = step 400
    assert math.isnan(validation_gain(tmp_path / "missing"))


def test_system_without_scored_run_is_refused(tmp_path):
    _sed_run(tmp_path, "a", 1, 0.2)
    with pytest.raises(InputError, match="no scored run of c"):
        collect_results(tmp_path, ["a", "c"], [1])


def test_training_minutes_reads_metrics_csv(tmp_path):
    (tmp_path / "metrics.csv").write_text("epoch,loss,time_s\n1,0.5,30\n2,0.4,90\n")
    assert training_minutes(tmp_path) == pytest.approx(2.0)
    assert math.isnan(training_minutes(tmp_path / "missing"))


def test_write_results_copies_the_best_systems_plot(tmp_path):
    _sed_run(tmp_path / "exp", "a", 1, 0.2)
    _sed_run(tmp_path / "exp", "b", 1, 0.6)
    results = collect_results(tmp_path / "exp", ["a", "b"], [1])
    best = write_results(tmp_path / "RESULTS.md", results, {}, "T", ["note line"])
    assert best == "b"
    text = (tmp_path / "RESULTS.md").read_text()
    assert "note line" in text and "![f1.png](RESULTS_b_f1.png)" in text
    assert (tmp_path / "RESULTS_b_f1.png").read_bytes() == b"png"


def _cls_run(exp, system, seed, accuracy, peers=None):
    run = exp / f"{system}_seed{seed}" / "eval_test"
    run.mkdir(parents=True)
    metrics = {"accuracy": accuracy, "clip_error": 1 - accuracy, "group_error": 0.1}
    if peers:
        metrics["peers"] = {"accuracy": peers, "mean_accuracy": sum(peers) / len(peers)}
    (run / "metrics.json").write_text(json.dumps(metrics))


def test_classification_table_adds_peer_columns_only_when_runs_have_peers(tmp_path):
    _cls_run(tmp_path, "ce", 1, 0.7)
    _cls_run(tmp_path, "cnm", 1, 0.8, peers=[0.8, 0.6])
    _cls_run(tmp_path, "cnm", 2, 0.9, peers=[0.9, 0.7])
    table = results_markdown(collect_results(tmp_path, ["ce", "cnm"], [1, 2], "test", "classification"), {}, "T",
                             kind="classification")
    header = next(line for line in table.splitlines() if line.startswith("| system"))
    assert "| peer 2 accuracy | mean of peers accuracy |" in header
    assert "| cnm | 1 2 | 15.0 ± 5.0 | 10.0 ± 0.0 | 85.0 ± 5.0 | 65.0 ± 5.0 | 75.0 ± 5.0 | - | - |" in table
    assert "| ce | 1 | 30.0 | 10.0 | 70.0 | - | - | - | - |" in table
    plain = results_markdown(collect_results(tmp_path, ["ce"], [1], "test", "classification"), {}, "T",
                             kind="classification")
    assert "peer" not in plain


def test_results_cli_baseline_must_be_a_listed_system(tmp_path, capsys):
    from sedkit.cli.main import main

    _sed_run(tmp_path, "a", 1, 0.2)
    _sed_run(tmp_path, "b", 1, 0.4)
    out = str(tmp_path / "R.md")
    assert main(["results", "--exp", str(tmp_path), "--systems", "a b", "--seeds", "1", "--out", out,
                 "--baseline", "mt_real"]) == 2
    assert "--baseline/--bounds mt_real: not among --systems" in capsys.readouterr().err
    assert not (tmp_path / "R.md").exists()
    assert main(["results", "--exp", str(tmp_path), "--systems", "a b", "--seeds", "1", "--out", out,
                 "--baseline", "a"]) == 0
    assert "Δ event F1 vs a [95 % CI]" in (tmp_path / "R.md").read_text()


def test_several_tables_share_the_statistics(tmp_path, capsys):
    """--tables: one heading per table, a system in two tables gets the same row in both, systems left out of
    --systems are named under their table; a system in no table is refused."""
    from sedkit.cli.main import main

    for system, macro in (("mt_real", 0.3), ("a", 0.5), ("b", 0.6)):
        _sed_run(tmp_path, system, 1, macro)
    (tmp_path / "tables.yaml").write_text('"Table 1: x": [mt_real, a]\n"Table 2: y": [a, b, c]\n"Table 3: z": [d]\n')
    out = tmp_path / "R.md"
    args = ["results", "--exp", str(tmp_path), "--seeds", "1", "--out", str(out), "--bootstrap", "10",
            "--tables", str(tmp_path / "tables.yaml")]
    assert main([*args, "--systems", "mt_real a b"]) == 0
    text = out.read_text()
    sections = text.split("\n## ")
    assert [s.splitlines()[0] for s in sections[1:4]] == ["Table 1: x", "Table 2: y", "Table 3: z"]
    rows_a = [line for line in text.splitlines() if line.startswith("| a |")]
    assert len(rows_a) == 2 and rows_a[0] == rows_a[1] and rows_a[0].startswith("| a | - | 1 | 50.0 | ")
    assert "| mt_real |" in sections[1] and "| mt_real |" not in sections[2] and "| b |" in sections[2]
    assert "Not among this reading's --systems: c." in sections[2]
    assert "None of this table's systems is among this reading's --systems." in sections[3]
    assert text.count("Values in %") == 1  # the legend once, after the tables
    capsys.readouterr()
    assert main([*args, "--systems", "mt_real a b e"]) == 2
    assert "--systems e: in none of the tables" in capsys.readouterr().err


def _cls_run_groups(exp, system, seed, correct_clips, val):
    import json

    run = exp / f"{system}_seed{seed}"
    (run / "eval_test").mkdir(parents=True)
    groups = [f"song{k}" for k in range(len(correct_clips))]
    accuracy = sum(correct_clips) / (3 * len(groups))
    (run / "eval_test" / "metrics.json").write_text(json.dumps({
        "accuracy": accuracy, "clip_error": 1 - accuracy, "group_error": 0.0,
        "per_group": {"groups": groups, "clips": [3] * len(groups), "correct_clips": correct_clips,
                      "group_correct": [int(c >= 2) for c in correct_clips]}}))
    (run / "metrics.csv").write_text("epoch,val_accuracy,time_s\n1,0.5,1\n2," + str(val) + ",1\n")


def test_classification_pairs_over_groups(tmp_path):
    """Δ accuracy paired over test groups: a system right on one more clip of every group lies above the baseline
    with an interval that excludes 0; the baseline against itself is labelled; best validation accuracy read."""
    from sedkit.metrics.classification import group_bootstrap_accuracy
    from sedkit.reporting import collect_results, results_markdown

    exp = tmp_path / "exp"
    for seed in (1, 2):
        _cls_run_groups(exp, "ce", seed, [1, 2, 1, 2, 1, 2], 0.6)
        _cls_run_groups(exp, "kd", seed, [2, 3, 2, 3, 2, 3], 0.7)
    results = collect_results(exp, ["ce", "kd"], [1, 2], "test", "classification")
    text = results_markdown(results, {}, "t", kind="classification", baseline="ce", n_resamples=200, seed=0)
    row = next(line for line in text.splitlines() if line.startswith("| kd |"))
    assert "+33.3 [+33.3, +33.3]" in row and "70.0" in row  # 1 of 3 clips more in every group: always +1/3
    assert "| baseline |" in next(line for line in text.splitlines() if line.startswith("| ce |"))
    # all weights 1: the plain accuracy (9 of 18 clips)
    per_group = {"clips": [3] * 6, "correct_clips": [1, 2, 1, 2, 1, 2]}
    assert group_bootstrap_accuracy(per_group, __import__("numpy").ones((1, 6)))[0] == 0.5


def test_each_system_against_its_named_baseline(tmp_path, capsys):
    """--baselines: every row paired with its own baseline (named in a column); a baseline is labelled as such; a
    system without one gets "-"; a baseline outside --systems leaves its row unpaired, with a warning."""
    from sedkit.cli.main import main

    exp = tmp_path / "exp"
    for seed in (1, 2):
        _cls_run_groups(exp, "ce", seed, [1, 2, 1, 2, 1, 2], 0.6)
        _cls_run_groups(exp, "kd", seed, [2, 3, 2, 3, 2, 3], 0.7)  # ce + 1 clip a group (of 3): +33.3
        _cls_run_groups(exp, "dml", seed, [1, 1, 1, 1, 1, 1], 0.5)
        _cls_run_groups(exp, "cutnmix", seed, [2, 2, 2, 2, 2, 2], 0.5)  # dml + 1 clip a group: +33.3
    (tmp_path / "baselines.yaml").write_text("kd: ce\ncutnmix: dml\ndml: dml\n")
    out = tmp_path / "RESULTS.md"
    argv = ["results", "--kind", "classification", "--set", "test", "--exp", str(exp), "--systems",
            "ce kd dml cutnmix", "--seeds", "1 2", "--out", str(out), "--bootstrap", "100"]
    assert main([*argv, "--baselines", str(tmp_path / "baselines.yaml")]) == 0
    capsys.readouterr()
    rows = {line.split("|")[1].strip(): line for line in out.read_text().splitlines() if line.startswith("| ")}
    assert "| ce | +33.3 [+33.3, +33.3] |" in rows["kd"] and "| dml | +33.3 [+33.3, +33.3] |" in rows["cutnmix"]
    assert "| dml | baseline |" in rows["dml"] and "| - | - |" in rows["ce"]
    (tmp_path / "other.yaml").write_text("kd: nope\ncutnmix: dml\n")
    assert main([*argv, "--baselines", str(tmp_path / "other.yaml")]) == 0
    assert "kd's baseline nope is not among --systems; its row is not paired" in capsys.readouterr().err
    rows = {line.split("|")[1].strip(): line for line in out.read_text().splitlines() if line.startswith("| ")}
    assert "| nope | - |" in rows["kd"] and "| dml | +33.3 [+33.3, +33.3] |" in rows["cutnmix"]


def test_selection_curves_read_each_seeds_log_and_the_scored_step(tmp_path, capsys):
    """The selection figure's data: each seed's val_score (in %) against its step from metrics.csv, the scored
    checkpoint's step from model.yaml; a system without logs is left out; the CLI writes the figure and shows it."""
    from sedkit.cli.main import main
    from sedkit.reporting_sections import selection_curves

    for seed, scores in ((1, (0.1, 0.3, 0.25)), (2, (0.2, 0.2, 0.4))):
        run = _sed_run(tmp_path, "da", seed, 0.3)
        rows = "".join(f"{e + 1},{100 * (e + 1)},{v}\n" for e, v in enumerate(scores))
        (run.parent / "metrics.csv").write_text("epoch,step,val_score\n" + rows)
        best = 100 * (1 + scores.index(max(scores)))
        (run / "model.yaml").write_text(f"checkpoint: best.pt\nnetwork: student\nstep: {best}\n")
    _sed_run(tmp_path, "source_only", 1, 0.2)  # no metrics.csv kept
    results = collect_results(tmp_path, ["da", "source_only"], [1, 2])
    curves = selection_curves(results)
    assert [system for system, _ in curves] == ["da"]
    (seed1, steps1, scores1, scored1), (seed2, _, scores2, scored2) = curves[0][1]
    assert (seed1, steps1, scored1, seed2, scored2) == (1, [100, 200, 300], 200, 2, 300)
    assert scores1 == pytest.approx([10.0, 30.0, 25.0]) and scores2 == pytest.approx([20.0, 20.0, 40.0])
    out = tmp_path / "out" / "RESULTS.md"
    assert main(["results", "--exp", str(tmp_path), "--systems", "da source_only", "--seeds", "1 2",
                 "--out", str(out), "--selection-plot", "--bootstrap", "10"]) == 0
    capsys.readouterr()
    assert (out.parent / "RESULTS_selection.png").stat().st_size > 1000
    assert "![selection score against steps](RESULTS_selection.png)" in out.read_text()


def test_seed_colours_are_the_same_in_every_panel():
    """A seed has one colour across panels, whichever seeds a system has (matplotlib's cycle would give the
    first line of each panel C0): seeds 1 3 5 in one system and 2 4 in another -> 1:C0 2:C1 3:C2 4:C3 5:C4."""
    from sedkit.reporting_sections import seed_colours

    curves = [("a", [(1, [], [], None), (3, [], [], None), (5, [], [], None)]),
              ("b", [(4, [], [], None), (2, [], [], None)])]
    assert seed_colours(curves) == {1: "C0", 2: "C1", 3: "C2", 4: "C3", 5: "C4"}


def test_per_class_table_other_networks_and_differences(tmp_path, capsys):
    """--per-class: F1 per class as mean ± std over seeds; --per-class-networks adds another scored network of
    the runs as a column; with a baseline, each column minus the baseline per class over the seeds both scored."""
    from sedkit.cli.main import main

    per_class = {("b", 1): {"Dog": 0.5, "Cat": 0.2}, ("b", 2): {"Dog": 0.7, "Cat": None},
                 ("m", 1): {"Dog": 0.4, "Cat": 0.3}, ("m", 2): {"Dog": 0.4, "Cat": 0.1},
                 ("m", 3): {"Dog": 0.9, "Cat": 0.9}}
    for (system, seed), f1 in per_class.items():
        run = _sed_run(tmp_path, system, seed, 0.3)
        event = json.loads((run / "event.json").read_text())
        event["per_class"] = {c: {"f1": v} for c, v in f1.items()}
        (run / "event.json").write_text(json.dumps(event))
        if system == "m":
            other = run.parent / "decode_validation_ssl_teacher"
            other.mkdir()
            scores = {"Dog": {"f1": 0.1 * seed}, "Cat": {"f1": 0.0}}
            (other / "event.json").write_text(json.dumps({"macro": {"f1": 0.05}, "micro": {"f1": 0.05},
                                                          "per_class": scores}))
    out = tmp_path / "R.md"
    assert main(["results", "--exp", str(tmp_path), "--systems", "b m", "--seeds", "1 2 3", "--out", str(out),
                 "--baseline", "b", "--per-class", "--per-class-networks", "ssl_teacher", "--bootstrap", "10"]) == 0
    capsys.readouterr()
    text = out.read_text()
    # Dog: b 60.0 ± 10.0; m (0.4, 0.4, 0.9) 56.7 ± 23.6; ssl_teacher (0.1, 0.2, 0.3) 20.0 ± 8.2.
    # Cat: b has one defined value (20.0, None -> left out); m (0.3, 0.1, 0.9) 43.3 ± 34.0
    assert "| class | b | m | m/ssl_teacher |" in text
    assert "| Dog | 60.0 ± 10.0 | 56.7 ± 23.6 | 20.0 ± 8.2 |" in text
    assert "| Cat | 20.0 | 43.3 ± 34.0 | 0.0 ± 0.0 |" in text
    # differences over seeds 1-2 only (b has no seed 3): Dog m (0.4-0.5 + 0.4-0.7)/2 = -20.0,
    # ssl_teacher (0.1-0.5 + 0.2-0.7)/2 = -45.0; Cat: seed 1 only (seed 2 of b undefined): +10.0 and -20.0
    assert "### Difference to b per class" in text
    assert "| Dog | -20.0 | -45.0 |" in text and "| Cat | +10.0 | -20.0 |" in text
    assert main(["results", "--exp", str(tmp_path), "--systems", "b m", "--seeds", "1", "--out", str(out),
                 "--per-class-networks", "ssl_teacher"]) == 2
    assert "--per-class-networks: only with --per-class" in capsys.readouterr().err
    # a network that no system scored for every seed is refused, not silently left out (no run has it)
    assert main(["results", "--exp", str(tmp_path), "--systems", "b m", "--seeds", "1 2 3", "--out", str(out),
                 "--per-class", "--per-class-networks", "da_teacher"]) == 2
    assert "--per-class-networks da_teacher: no system has a scored decode_validation_da_teacher folder" \
        in capsys.readouterr().err
