"""recipes/dcase2020_task4/sed1/run.sh end to end on tiny generated data, in a temporary copy."""
import json
import os
import shutil
from pathlib import Path

import pytest

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "dcase2020_task4" / "sed1"
TINY = ["--mini_scale", "0.03", "--seeds", "1", "--systems", "da", "--train_args",
        "run.epochs=1 data.steps_per_epoch=10"]


def test_every_conf_loads_strictly():
    from sedkit.config import load_config
    from sedkit.features.logmel import LogMelConfig
    from sedkit.training.sed import SEDExperimentConfig

    for features in ("features.yaml", "features_mini.yaml"):
        load_config(LogMelConfig, RECIPE / "conf" / features)
    systems = sorted((RECIPE / "conf" / "systems").glob("*.yaml"))
    assert len(systems) >= 11
    for base in ("train.yaml", "train_mini.yaml"):
        for system in systems:
            config = load_config(SEDExperimentConfig, [RECIPE / "conf" / base, system])
            assert config.system.name


@pytest.fixture(scope="module")
def finished(tmp_path_factory, copy_recipe, run_recipe):
    recipe = copy_recipe(tmp_path_factory.mktemp("sed1"), "dcase2020_task4/sed1")
    first = run_recipe(recipe, *TINY)
    return recipe, first


def test_all_stages_write_their_outputs(finished):
    recipe, first = finished
    # stages 0-3: the tables, the features and their statistics
    assert (recipe / "data" / "classes.txt").read_text().split()[0] == "Alarm_bell_ringing"
    for name in ("train_synth", "train_weak", "train_unlabel", "validation", "validation_synth"):
        assert (recipe / "dump" / name / "feats.tsv").exists(), name
    decode = recipe / "exp" / "da_seed1" / "decode_validation"
    for name in ("scores", "predictions.tsv", "median_windows.yaml", "event.json", "segment.json", "psds.json",
                 "f1.png", "psd_roc.png", "model.yaml"):
        assert (decode / name).exists(), name
    assert len(json.loads((decode / "psds.json").read_text())["bootstrap"]["values"]) == 1000
    assert "clip_counts" in json.loads((decode / "event.json").read_text())
    # Selected on the synthetic validation set, scored on the real one.
    config = (recipe / "exp" / "da_seed1" / "config.yaml").read_text()
    assert "validation_synth/strong.tsv" in config
    assert "network: student" in (decode / "model.yaml").read_text()
    results = (recipe / "RESULTS.md").read_text()
    assert "Command:" in results
    header = next(line for line in results.splitlines() if line.startswith("| system | scored model |"))
    row = next(line for line in results.splitlines() if line.startswith("| da | student, best.pt @ step 10 | 1 |"))
    cells = dict(zip([c.strip() for c in header.split("|")], [c.strip() for c in row.split("|")]))
    # A 10-step model's score depends on the torch build and CPU: check it is a percentage, not its value.
    assert 0.0 <= float(cells["event macro F1"]) <= 100.0 and 0.0 <= float(cells["PSDS"]) <= 100.0
    assert cells["paper (event macro F1)"] == "45.5"  # conf/paper_results.yaml, not a score
    assert "n_mels: 64" in config and "ema_decay: 0.997" in config  # conf/train_mini.yaml (TINY: fewer steps)
    assert (recipe / "dump" / "stats.npz").exists() and (recipe / "data" / "corpus" / ".done").exists()
    from sedkit.inference.package import read_package

    package = read_package(recipe / "exp" / "da_seed1" / "detector.pt")  # stage 5: the scored network's package
    assert package.provenance["network"] == "student" and package.provenance["step"] == 10


def test_rerun_skips_finished_steps_and_stage_7_alone_reuses_outputs(finished, run_recipe):
    recipe, _ = finished
    kept = [recipe / "exp" / "da_seed1" / "checkpoints" / "last.pt", recipe / "data" / "corpus" / ".done",
            next((recipe / "dump" / "validation").glob("*.npy"))]
    stamps = [p.stat().st_mtime_ns for p in kept]
    run_recipe(recipe, *TINY, "--stop_stage", "4")  # finished data, features and runs are left alone
    assert [p.stat().st_mtime_ns for p in kept] == stamps
    scores = recipe / "exp" / "da_seed1" / "decode_validation" / "scores"
    score_stamp = next(scores.iterdir()).stat().st_mtime_ns
    (recipe / "RESULTS.md").unlink()
    run_recipe(recipe, *TINY, "--stage", "7")  # scoring again from the decoded scores, no new inference
    assert next(scores.iterdir()).stat().st_mtime_ns == score_stamp and (recipe / "RESULTS.md").exists()


def test_parallel_training_lanes(finished, run_recipe):
    recipe, _ = finished
    result = run_recipe(recipe, *TINY, "--stage", "4", "--seeds", "1 2", "--train_jobs", "2", "--results",
                        "RESULTS_2.md",
                 "--results_note", "Runs of the lanes test.")
    assert "nothing to do" in (recipe / "exp" / "da_seed1" / "console.log").read_text()  # seed 1: already done
    threads = max(len(os.sched_getaffinity(0)) // 2, 1)  # nproc / train_jobs
    assert f"num_threads: {threads}" in (recipe / "exp" / "da_seed2" / "config.yaml").read_text()
    assert (recipe / "exp" / "da_seed2" / "console.log").stat().st_size > 0  # each lane's log in its run
    del result
    table = (recipe / "RESULTS_2.md").read_text()
    assert "| 1 2 | " in table and "Runs of the lanes test." in table
    assert "--seeds '1 2' --train_jobs 2" in table  # the command as typed, quoted where it had spaces


def test_bad_options_fail_fast(tmp_path, copy_recipe, run_recipe):
    recipe = copy_recipe(tmp_path, "dcase2020_task4/sed1")
    bad = run_recipe(recipe, "--desed_root", str(tmp_path / "nowhere"), check=False)
    assert bad.returncode == 2 and "--desed_root" in bad.stderr and "no such folder" in bad.stderr
    (tmp_path / "half" / "audio").mkdir(parents=True)
    half = run_recipe(recipe, "--desed_root", str(tmp_path / "half"), check=False)
    assert half.returncode == 2 and "missing audio/train/synthetic20/soundscapes" in half.stderr
    assert not (recipe / "data").exists()  # nothing started
    unknown = run_recipe(recipe, "--frobnicate", "1", check=False)
    assert unknown.returncode == 2 and "unknown option --frobnicate" in unknown.stderr
    system = run_recipe(recipe, "--systems", "nope", check=False)
    assert system.returncode == 2 and "unknown system nope" in system.stderr


def test_fake_desed_tree_runs_the_real_corpus_path(finished, tmp_path, copy_recipe, run_recipe):
    source, _ = finished
    corpus = source / "data" / "corpus"
    desed = tmp_path / "DESED"
    layout = {"train_synth": "audio/train/synthetic20/soundscapes", "train_weak": "audio/train/weak",
              "train_unlabel": "audio/train/unlabel_in_domain", "validation": "audio/validation"}
    for name, folder in layout.items():
        shutil.copytree(corpus / name / "audio", desed / folder)
    (desed / "metadata" / "train" / "synthetic20").mkdir(parents=True)
    (desed / "metadata" / "validation").mkdir(parents=True)
    shutil.copy(corpus / "train_synth" / "strong.tsv", desed / "metadata/train/synthetic20/soundscapes.tsv")
    shutil.copy(corpus / "train_weak" / "weak.tsv", desed / "metadata/train/weak.tsv")
    shutil.copy(corpus / "validation" / "strong.tsv", desed / "metadata/validation/validation.tsv")
    recipe = copy_recipe(tmp_path / "run", "dcase2020_task4/sed1")
    small = ["model.channels=[8,8,8,8,8]", "model.rnn_hidden=8", "run.epochs=1"]
    result = run_recipe(recipe, "--desed_root", str(desed), "--seeds", "1", "--systems", "da", "--train_args",
                        " ".join(small))
    del result
    assert not (recipe / "data" / "corpus").exists()  # DESED's soundscapes as distributed: nothing synthesised
    assert (recipe / "data" / "validation" / "durations.tsv").exists()
    # Model selection on every 10th synthetic soundscape, held out of training.
    held_out = (recipe / "data" / "validation_synth" / "strong.tsv").read_text()
    training = (recipe / "data" / "train_synth" / "strong.tsv").read_text()
    first_clip = sorted((corpus / "train_synth" / "audio").iterdir())[0].name
    assert first_clip in held_out and first_clip not in training
    assert (recipe / "exp" / "da_seed1" / "decode_validation" / "event.json").exists()
    assert "DESED" in (recipe / "RESULTS.md").read_text()


def test_own_sound_bank_with_four_classes(tmp_path, copy_recipe, run_recipe):
    """--soundbank_dir with only some DESED classes: trained, decoded and scored on those classes."""
    from sedkit.data.soundbank import SoundBankConfig, write_soundbank

    bank = tmp_path / "bank"
    write_soundbank(bank, SoundBankConfig(clips_per_class=3, backgrounds_per_label=1, seed=4))
    kept = ["Alarm_bell_ringing", "Dog", "Frying", "Speech"]
    for folder in (bank / "foreground").iterdir():
        if folder.name not in kept:
            shutil.rmtree(folder)
    recipe = copy_recipe(tmp_path / "run", "dcase2020_task4/sed1")
    result = run_recipe(recipe, "--soundbank_dir", str(bank), "--mini_scale", "0.03", "--seeds", "1", "--systems", "da",
                 "--train_args", "run.epochs=1 data.steps_per_epoch=5")
    assert "split by source file" in result.stdout + result.stderr  # the one line saying where sources went
    assert (recipe / "data" / "classes.txt").read_text().split() == kept
    config = (recipe / "exp" / "da_seed1" / "config.yaml").read_text()
    assert "n_mels: 64" in config and "n_classes: 4" in config  # the mini config, on the bank's classes
    event = json.loads((recipe / "exp" / "da_seed1" / "decode_validation" / "event.json").read_text())
    assert sorted(event["per_class"]) == kept
    assert "| da |" in (recipe / "RESULTS.md").read_text()


def test_stage_8_reproduces_the_committed_results_byte_for_byte(tmp_path, copy_recipe, run_recipe, repo):
    """RESULTS.md is written by stage 8 from the committed kept scores (results_mini/): rerunning the command it
    records, with its recorded note, gives the same file and the same plots, byte for byte."""
    import re
    import shlex

    committed = repo / "recipes" / "dcase2020_task4" / "sed1"
    text = (committed / "RESULTS.md").read_text()
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Command: `./run.sh "))
    args = shlex.split(re.match(r"Command: `\./run\.sh (.*?)`", lines[at]).group(1))
    note = lines[at + 1]  # --results_note is recorded as '<the line below>'
    args[args.index("<the line below>")] = note
    recipe = copy_recipe(tmp_path, "dcase2020_task4/sed1")
    for path in recipe.glob("RESULTS*"):
        path.unlink()
    run_recipe(recipe, *args)
    assert (recipe / "RESULTS.md").read_text() == text
    plots = sorted(p.name for p in committed.glob("RESULTS_*.png"))
    assert plots and plots == sorted(p.name for p in recipe.glob("RESULTS_*.png"))
    for name in plots:
        assert (recipe / name).read_bytes() == (committed / name).read_bytes(), name
