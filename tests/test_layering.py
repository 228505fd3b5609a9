"""The import layering of sedkit: a package imports only from packages of lower layers (or its own), and the
scoring code stays free of torch and pandas. Checked on the source (AST), so it holds for imports inside
functions too."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "sedkit"
LAYERS = {  # lower number = lower layer
    "errors": 0, "registry": 1,
    "io": 1, "config": 1, "parallel": 1, "compiled": 1,
    "features": 2, "metrics": 2, "postprocess": 2, "models": 2,
    "data": 3, "tuning": 3,  # tuning: post-processing (postprocess) chosen by a metric (metrics)
    "inference": 4,  # the model package and the Detector: above models, features and postprocess
    "training": 5,   # writes packages (training.export); inference never imports training
    "reporting": 6, "reporting_sections": 7,  # extra RESULTS.md sections built on reporting
    "cli": 8,
}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def test_every_package_has_a_layer():
    packages = {_package(p) for p in ROOT.rglob("*.py") if p.name != "__init__.py" or p.parent != ROOT}
    assert packages <= set(LAYERS), sorted(packages - set(LAYERS))


def test_no_upward_import():
    upward = []
    for path in ROOT.rglob("*.py"):
        if path.parent == ROOT and path.name == "__init__.py":
            continue
        own = _package(path)
        for module, line in _imports(path):
            if module.startswith("sedkit."):
                target = module.split(".")[1]
                if target != own and LAYERS[target] >= LAYERS[own]:
                    upward.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {module}")
    assert not upward, "\n".join(upward)


def test_scoring_code_imports_neither_torch_nor_pandas():
    files = (list((ROOT / "metrics").glob("*.py")) + list((ROOT / "cli").glob("eval*.py"))
             + [ROOT / "io.py", ROOT / "errors.py"])
    heavy = [f"{p.relative_to(ROOT)}:{line}: {module}" for p in files for module, line in _imports(p)
             if module.split(".")[0] in ("torch", "pandas")]
    assert not heavy, heavy
