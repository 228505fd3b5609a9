"""recipes/gtzan/cls1/run.sh on tiny generated data, in a temporary copy."""

from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "gtzan" / "cls1"
TINY = ["--mini_scale", "0.07", "--methods", "ce lsr_os_tc", "--models", "nnet1", "--seeds", "1",
        "--train_args", "run.epochs=1"]


def test_confs_load_strictly():
    from sedkit.config import load_config
    from sedkit.features.logmel import LogMelConfig
    from sedkit.training.classification import ClassificationExperimentConfig

    for features in ("features.yaml", "features_mini.yaml"):
        load_config(LogMelConfig, RECIPE / "conf" / features)
    for base in ("train.yaml", "train_mini.yaml"):
        for method in (RECIPE / "conf" / "methods").glob("*.yaml"):
            for model in (RECIPE / "conf" / "models").glob("*.yaml"):
                assert load_config(ClassificationExperimentConfig, [RECIPE / "conf" / base, method, model]).criterion


def test_model_sizes_are_the_papers():
    """LSR-OS-TC's GTZAN models (Sec. 5.3): nnet1 0.46 M and nnet2 1.25 M parameters, each within 2 %."""
    import dataclasses

    from sedkit.config import load_config
    from sedkit.models.registry import get
    from sedkit.training.classification import ClassificationExperimentConfig

    for model, target in (("nnet1", 0.46e6), ("nnet2", 1.25e6)):
        config = load_config(ClassificationExperimentConfig, [RECIPE / "conf" / "train.yaml",
                                                              RECIPE / "conf" / "models" / f"{model}.yaml"])
        model_class, _ = get(config.model_name)
        net = model_class(dataclasses.replace(config.model, n_classes=10))
        count = sum(p.numel() for p in net.parameters())
        assert abs(count - target) <= 0.02 * target, (model, count)


def test_mini_run_rerun_and_bad_root(tmp_path, copy_recipe, run_recipe):
    import json

    recipe = copy_recipe(tmp_path, "gtzan/cls1")
    run_recipe(recipe, *TINY)
    # each stage's output: 0 the tables, 1 the features, 2 the checkpoints, 3 the test scores, 4 the table
    assert (recipe / "data" / "test.tsv").exists() and (recipe / "dump" / "all" / "feats.tsv").exists()
    table = (recipe / "RESULTS.md").read_text()
    for system in ("ce_nnet1", "lsr_os_tc_nnet1"):
        run = recipe / "exp" / f"{system}_seed1"
        assert (run / "checkpoints" / "best.pt").exists()
        metrics = json.loads((run / "eval_test" / "metrics.json").read_text())
        row = next(line for line in table.splitlines() if line.startswith(f"| {system} | 1 |"))
        assert f"{100 * metrics['clip_error']:.1f}" in row, row  # the row holds the run's own test error
    kept = [recipe / "exp" / "ce_nnet1_seed1" / "checkpoints" / "last.pt", recipe / "data" / ".done",
            next((recipe / "dump" / "all").glob("*.npy"))]
    stamps = [p.stat().st_mtime_ns for p in kept]
    run_recipe(recipe, *TINY, "--stop_stage", "2")  # a rerun leaves finished data, features and runs alone
    assert stamps == [p.stat().st_mtime_ns for p in kept]
    bad = run_recipe(recipe, "--gtzan_root", str(tmp_path / "nowhere"), check=False)
    assert bad.returncode == 2 and "nowhere: no such folder" in bad.stderr
