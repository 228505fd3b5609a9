"""Results tables of recipe runs: per system, mean +- std over seeds, with the paper's number beside it.

Reads what the scoring stage of a SED recipe writes for each run ``<exp>/<system>_seed<k>/decode_<set>/``:
``event.json`` and ``segment.json`` (``sedkit eval ... --json``) and ``psds.json``.
"""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["SystemResult", "collect_results", "results_markdown", "write_results"]

COLUMNS = (("event macro F1", "event", ("macro", "f1")), ("event micro F1", "event", ("micro", "f1")),
           ("segment macro F1", "segment", ("macro", "f1")), ("PSDS", "psds", ("psds",)))


@dataclass
class SystemResult:
    system: str
    seeds: List[int]
    values: Dict[str, List[float]]  # column -> per-seed values (fractions)
    run_dirs: List[Path]


def _get(document: dict, keys) -> float:
    for key in keys:
        document = document[key]
    return math.nan if document is None else float(document)


def collect_results(exp_dir: str | Path, systems: Sequence[str], seeds: Sequence[int],
                    decode_set: str = "validation") -> List[SystemResult]:
    results = []
    for system in systems:
        values = {name: [] for name, _, _ in COLUMNS}
        runs, found = [], []
        for seed in seeds:
            run = Path(exp_dir) / f"{system}_seed{seed}" / f"decode_{decode_set}"
            if not (run / "event.json").exists():
                continue
            found.append(seed)
            runs.append(run)
            for name, file, keys in COLUMNS:
                path = run / f"{file}.json"
                values[name].append(_get(json.loads(path.read_text()), keys) if path.exists() else math.nan)
        if not found:
            raise InputError(f"{exp_dir}: no scored run of {system} (looked for {system}_seed<k>/decode_{decode_set}/event.json)")
        results.append(SystemResult(system, found, values, runs))
    return results


def _cell(values: List[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "-"
    mean = 100 * float(np.mean(values))
    return f"{mean:.1f}" if len(values) == 1 else f"{mean:.1f} ± {100 * float(np.std(values)):.1f}"


def results_markdown(results: List[SystemResult], paper: Dict[str, float], title: str,
                     notes: Sequence[str] = ()) -> str:
    header = ["system", "seeds", *[name for name, _, _ in COLUMNS], "paper (event macro F1)"]
    lines = [f"# {title}", "", *notes, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        reference = paper.get(result.system)
        cells = [result.system, " ".join(map(str, result.seeds)),
                 *[_cell(result.values[name]) for name, _, _ in COLUMNS],
                 "-" if reference is None else f"{reference:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Values in %, mean ± standard deviation over seeds (population std). Event-based F1: collar 0.2 s, "
              "offset 20 % of the reference length (sed_eval's definition, as the paper). PSDS: threshold-free "
              "(sed_scores_eval's), dtc = gtc = 0.7, alpha_st 1, max_efpr 100 per hour."]
    return "\n".join(lines) + "\n"


def write_results(path: str | Path, results: List[SystemResult], paper: Dict[str, float], title: str,
                  notes: Sequence[str] = ()) -> Optional[str]:
    """Write RESULTS.md and copy the best system's first-seed plots beside it; returns the best system."""
    from sedkit.io import atomic_write

    path = Path(path)
    best = max(results, key=lambda r: np.nanmean(r.values["event macro F1"]) if r.values["event macro F1"] else -1)
    for name in ("f1.png", "psd_roc.png"):
        source = best.run_dirs[0] / name
        if source.exists():
            shutil.copyfile(source, path.parent / f"RESULTS_{best.system}_{name}")
    plots = [f"![{name}](RESULTS_{best.system}_{name})" for name in ("f1.png", "psd_roc.png")
             if (path.parent / f"RESULTS_{best.system}_{name}").exists()]
    text = results_markdown(results, paper, title, notes)
    if plots:
        text += f"\nBest system: **{best.system}** (seed {best.seeds[0]} shown).\n\n" + "\n".join(plots) + "\n"
    with atomic_write(path) as handle:
        handle.write(text)
    return best.system
