"""recipes/esc50/cls1/run.sh (Cut^nMix and UniKD) on tiny generated data, in a temporary copy."""
import shutil
from datetime import datetime

from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "esc50" / "cls1"


def test_confs_load_strictly():
    from sedkit.config import load_config
    from sedkit.training.classification import ClassificationExperimentConfig

    for base in ("train.yaml", "train_mini.yaml"):
        for method in (RECIPE / "conf" / "methods").glob("*.yaml"):
            assert load_config(ClassificationExperimentConfig, [RECIPE / "conf" / base, method]).criterion.name


def test_mini_run_and_bad_root(tmp_path, run_recipe, repo):
    outputs = shutil.ignore_patterns("data", "dump", "exp", "exp_*", "RESULTS_demo*")
    shutil.copytree(repo / "recipes", tmp_path / "recipes", symlinks=True, ignore=outputs)
    recipe = tmp_path / "recipes" / "esc50" / "cls1"
    run_recipe(recipe, "--mini_scale", "0.07", "--cutnmix_methods", "ce cutnmix", "--unikd_methods", "unikd",
        "--teachers", "101 102", "--seeds", "1", "--train_args", "run.epochs=1", "--train_jobs", "2")
    text = (recipe / "RESULTS.md").read_text()
    assert "| cutnmix | 1 |" in text and "| unikd | 1 |" in text and "| ensemble | 0 |" in text
    assert "| peer 2 accuracy | mean of peers accuracy |" in text  # the Cut^nMix table scores both peers
    assert (recipe / "exp" / "ensemble_seed0" / "eval_test" / "metrics.json").exists()
    assert not list(recipe.glob("RESULTS_part_*")) and not (recipe / "RESULTS_teacher_confusion.png").exists()
    # two at a time: each run's console in its folder; the students started after both teachers had finished
    teachers = [recipe / "exp" / f"teacher_seed{t}" / "checkpoints" / "best.pt" for t in (101, 102)]
    student_log = recipe / "exp" / "unikd_seed1" / "console.log"
    assert student_log.exists() and (recipe / "exp" / "teacher_seed102" / "console.log").exists()
    first_line = (recipe / "exp" / "unikd_seed1" / "train.log").read_text().splitlines()[0]
    started = datetime.strptime(first_line[:19], "%Y-%m-%d %H:%M:%S")
    assert all(datetime.fromtimestamp(int(t.stat().st_mtime)) <= started for t in teachers), first_line
    bad_jobs = run_recipe(recipe, "--train_jobs", "0", "--stage", "2", check=False)
    assert bad_jobs.returncode == 2 and "--train_jobs 0: expected a positive integer" in bad_jobs.stderr
    bad = run_recipe(recipe, "--esc50_root", str(tmp_path / "nowhere"), check=False)
    assert bad.returncode == 2 and "nowhere: no such folder" in bad.stderr
