"""recipes/dcase2018_task1/asc1/run.sh on tiny generated data, in a temporary copy."""
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "dcase2018_task1" / "asc1"


def test_confs_load_strictly():
    from sedkit.config import load_config
    from sedkit.features.logmel import LogMelConfig
    from sedkit.training.classification import ClassificationExperimentConfig

    for features in ("features.yaml", "features_mini.yaml"):
        load_config(LogMelConfig, RECIPE / "conf" / features)
    for base in ("train.yaml", "train_mini.yaml"):
        for method in (RECIPE / "conf" / "methods").glob("*.yaml"):
            config = load_config(ClassificationExperimentConfig, [RECIPE / "conf" / base, method])
            assert config.model_name == "cpresnet"


def _parameters(configs) -> int:
    import dataclasses

    from sedkit.config import load_config
    from sedkit.models.registry import get
    from sedkit.training.classification import ClassificationExperimentConfig

    config = load_config(ClassificationExperimentConfig, configs)
    model_class, _ = get(config.model_name)
    net = model_class(dataclasses.replace(config.model, n_classes=10))
    return sum(p.numel() for p in net.parameters())


def test_model_sizes_are_the_papers():
    """MrKD (Sec. 4.3): CP-ResNet of 3.57 M parameters on DCASE 2018 task 1 (within 2 %); DCASE 2020 task 1b:
    the small model of the task's 500 KB budget (0.25 M parameters in float16, so at most 256 000)."""
    full = _parameters([RECIPE / "conf" / "train.yaml"])
    assert abs(full - 3.57e6) <= 0.02 * 3.57e6, full
    small = _parameters([RECIPE / "conf" / "train.yaml", RECIPE / "conf" / "model_tau2020_3class.yaml"])
    assert 0.2e6 <= small <= 256_000, small


def test_mini_run_and_bad_root(tmp_path, copy_recipe, run_recipe):
    recipe = copy_recipe(tmp_path, "dcase2018_task1/asc1")
    run_recipe(recipe, "--mini_scale", "0.07", "--methods", "ce mrkd", "--mixup", "false true", "--seeds", "1",
        "--train_args", "run.epochs=1")
    for tag in ("ce", "ce_mixup", "mrkd", "mrkd_mixup"):
        assert (recipe / "exp" / f"{tag}_seed1" / "eval_test" / "metrics.json").exists()
    assert "| mrkd_mixup | 1 |" in (recipe / "RESULTS.md").read_text()
    bad = run_recipe(recipe, "--asc_root", str(tmp_path / "nowhere"), check=False)
    assert bad.returncode == 2 and "nowhere: no such folder" in bad.stderr
    bad = run_recipe(recipe, "--asc_root", str(tmp_path / "nowhere"), "--asc_corpus", "tau2020_3class", check=False)
    assert bad.returncode == 2 and "(TAU Urban Acoustic Scenes 2020 3Class development)" in bad.stderr
    bad = run_recipe(recipe, "--asc_root", str(tmp_path / "nowhere"), "--asc_corpus", "tau2019", check=False)
    assert bad.returncode == 2 and "--asc_corpus must be tut2018 or tau2020_3class" in bad.stderr
