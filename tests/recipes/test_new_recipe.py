"""docs/recipes.md, "Adding a recipe": the toy recipe written there, built from the shared steps of
recipes/utils/ only, runs end to end; its results table holds the runs' own test accuracies."""
import json
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _doc_files() -> dict:
    text = (REPO / "docs" / "recipes.md").read_text()
    section = text[text.index("## Adding a recipe"):]
    return {m.group(1): m.group(2) for m in re.finditer(r"```\w+ file=(\S+)\n(.*?)```", section, re.S)}


def test_toy_recipe_from_the_docs_runs(tmp_path, run_recipe):
    files = _doc_files()
    assert set(files) == {"run.sh", "path.sh", "conf/features.yaml", "conf/train.yaml", "conf/systems/ce.yaml",
                          "conf/systems/lsr.yaml"}
    recipe = tmp_path / "recipes" / "toy" / "cls1"
    for name, body in files.items():
        (recipe / name).parent.mkdir(parents=True, exist_ok=True)
        (recipe / name).write_text(body)
    (tmp_path / "recipes" / "utils").symlink_to(REPO / "recipes" / "utils")
    os.symlink("../../utils", recipe / "utils")
    result = run_recipe(recipe, "--mini_scale", "0.07", "--seeds", "1", "--train_args", "run.epochs=1")
    runs = {(system, seed): recipe / "exp" / f"{system}_seed{seed}" for system in ("ce", "lsr") for seed in (1,)}
    accuracy = {}
    for (system, seed), run in runs.items():
        metrics = json.loads((run / "eval_test" / "metrics.json").read_text())
        accuracy[system, seed] = metrics["accuracy"]
        assert "lsr" in (run / "config.yaml").read_text() or system == "ce"
    table = (recipe / "RESULTS.md").read_text()
    for system in ("ce", "lsr"):  # the row's accuracy is the run's own (in %, as the table shows)
        row = next(line for line in table.splitlines() if line.startswith(f"| {system} |"))
        assert f"{100 * accuracy[system, 1]:.1f}" in row, (row, accuracy[system, 1])
    assert "Stage 4: results" in result.stderr
    unknown = run_recipe(recipe, "--systems_typo", "x", check=False)
    assert unknown.returncode == 2
