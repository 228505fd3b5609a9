"""recipes/esc50/cls1/run.sh (Cut^nMix and UniKD) on tiny generated data, in a temporary copy."""
import shutil

from tests.recipes.test_sed1 import REPO, run

RECIPE = REPO / "recipes" / "esc50" / "cls1"


def test_confs_load_strictly():
    from sedkit.config import load_config
    from sedkit.training.classification import ClassificationExperimentConfig

    for base in ("train.yaml", "train_mini.yaml"):
        for method in (RECIPE / "conf" / "methods").glob("*.yaml"):
            assert load_config(ClassificationExperimentConfig, [RECIPE / "conf" / base, method]).criterion.name


def test_mini_run_and_bad_root(tmp_path):
    outputs = shutil.ignore_patterns("data", "dump", "exp", "exp_*", "RESULTS_demo*")
    shutil.copytree(REPO / "recipes", tmp_path / "recipes", symlinks=True, ignore=outputs)
    shutil.copytree(REPO / "data_prep", tmp_path / "data_prep")
    recipe = tmp_path / "recipes" / "esc50" / "cls1"
    run(recipe, "--mini_scale", "0.07", "--cutnmix_methods", "ce cutnmix", "--unikd_methods", "unikd",
        "--teachers", "101 102", "--seeds", "1", "--train_args", "run.epochs=1")
    text = (recipe / "RESULTS.md").read_text()
    assert "| cutnmix | 1 |" in text and "| unikd | 1 |" in text and "| ensemble | 0 |" in text
    assert (recipe / "exp" / "ensemble_seed0" / "eval_test" / "metrics.json").exists()
    assert not list(recipe.glob("RESULTS_part_*"))
    bad = run(recipe, "--esc50_root", str(tmp_path / "nowhere"), check=False)
    assert bad.returncode == 2 and "nowhere: no such folder" in bad.stderr
