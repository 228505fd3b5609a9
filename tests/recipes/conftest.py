"""Shared by the recipe tests: copy the recipes to a temporary folder and run a recipe's run.sh there."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _copy(tmp: Path, recipe: str) -> Path:
    """Copy recipes/ (without outputs a `make demo` may have left) to ``tmp``; return ``tmp/recipes/<recipe>``."""
    outputs = shutil.ignore_patterns("data", "dump", "data_*", "dump_*", "exp", "exp_*", "RESULTS_demo*")
    if not (tmp / "recipes").exists():
        shutil.copytree(REPO / "recipes", tmp / "recipes", symlinks=True, ignore=outputs)
    return tmp / "recipes" / recipe


def _run(recipe: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``bash run.sh ARGS`` in ``recipe`` with this interpreter's bin folder first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "run.sh", *args], cwd=recipe, env=env, capture_output=True, text=True,
                            timeout=900)
    if check:
        assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def copy_recipe():
    """``copy_recipe(tmp, "dcase2020_task4/sed1")`` -> the copied recipe folder."""
    return _copy


@pytest.fixture(scope="session")
def run_recipe():
    """``run_recipe(recipe, *args, check=True)`` -> the finished process (asserts exit 0 when ``check``)."""
    return _run
