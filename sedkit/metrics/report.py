"""Results tables of recipe runs: per system, mean +- std over seeds, with the paper's number beside it.

Reads what the scoring stage of a SED recipe writes for each run ``<exp>/<system>_seed<k>/decode_<set>/``:
``event.json`` and ``segment.json`` (``sedkit eval ... --json``) and ``psds.json``; classification recipes
``eval_<set>/metrics.json``. The training time of a run is the sum of the ``time_s`` column of its
``metrics.csv`` (the trainer's per-epoch log, validation included), so a run resumed over several sessions
counts only the time it spent training.
"""
from __future__ import annotations

import csv
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["SystemResult", "collect_results", "results_markdown", "training_minutes", "write_results"]

SED_COLUMNS = (("event macro F1", "event", ("macro", "f1")), ("event micro F1", "event", ("micro", "f1")),
               ("segment macro F1", "segment", ("macro", "f1")), ("PSDS", "psds", ("psds",)))
CLASSIFICATION_COLUMNS = (("clip error", "metrics", ("clip_error",)), ("group error", "metrics", ("group_error",)),
                          ("accuracy", "metrics", ("accuracy",)))
KINDS = {"sed": (SED_COLUMNS, "decode_{set}", "event.json"),
         "classification": (CLASSIFICATION_COLUMNS, "eval_{set}", "metrics.json")}


@dataclass
class SystemResult:
    system: str
    seeds: List[int]
    values: Dict[str, List[float]]  # column -> per-seed values (fractions)
    run_dirs: List[Path]
    train_minutes: List[float] = field(default_factory=list)  # per seed; nan where metrics.csv is missing


def _get(document: dict, keys) -> float:
    for key in keys:
        document = document[key]
    return math.nan if document is None else float(document)


def training_minutes(run_dir: str | Path) -> float:
    """Minutes a run spent in training epochs (sum of ``time_s`` in ``run_dir/metrics.csv``); nan if absent."""
    path = Path(run_dir) / "metrics.csv"
    if not path.exists():
        return math.nan
    with open(path, newline="") as handle:
        return sum(float(row["time_s"]) for row in csv.DictReader(handle) if row.get("time_s")) / 60


def _peer_columns(exp_dir: Path, systems: Sequence[str], seeds: Sequence[int], folder: str) -> tuple:
    """Columns for Cut^nMix runs (``peers`` in metrics.json): peer 2..J accuracy and the mean of peers."""
    peers = 0
    for system in systems:
        for seed in seeds:
            path = exp_dir / f"{system}_seed{seed}" / folder / "metrics.json"
            if path.exists():
                peers = max(peers, len(json.loads(path.read_text()).get("peers", {}).get("accuracy", [])))
    if not peers:
        return ()
    return (*((f"peer {j} accuracy", "metrics", ("peers", "accuracy", j - 1)) for j in range(2, peers + 1)),
            ("mean of peers accuracy", "metrics", ("peers", "mean_accuracy")))


def collect_results(exp_dir: str | Path, systems: Sequence[str], seeds: Sequence[int],
                    decode_set: str = "validation", kind: str = "sed") -> List[SystemResult]:
    """Per system, the seeds that were scored and their values. Classification runs of Cut^nMix add the
    columns of :func:`_peer_columns` ("-" for the single-network systems beside them)."""
    columns, folder, marker = KINDS[kind]
    if kind == "classification":
        columns = columns + _peer_columns(Path(exp_dir), systems, seeds, folder.format(set=decode_set))
    results = []
    for system in systems:
        values = {name: [] for name, _, _ in columns}
        runs, found, minutes = [], [], []
        for seed in seeds:
            run = Path(exp_dir) / f"{system}_seed{seed}" / folder.format(set=decode_set)
            if not (run / marker).exists():
                continue
            found.append(seed)
            runs.append(run)
            minutes.append(training_minutes(run.parent))
            for name, file, keys in columns:
                path = run / f"{file}.json"
                document = json.loads(path.read_text()) if path.exists() else None
                if document is None or (keys[0] == "peers" and "peers" not in document):
                    values[name].append(math.nan)
                else:
                    values[name].append(_get(document, keys))
        if not found:
            raise InputError(f"{exp_dir}: no scored run of {system} "
                             f"(looked for {system}_seed<k>/{folder.format(set=decode_set)}/{marker})")
        results.append(SystemResult(system, found, values, runs, minutes))
    return results


def _cell(values: List[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "-"
    mean = 100 * float(np.mean(values))
    return f"{mean:.1f}" if len(values) == 1 else f"{mean:.1f} ± {100 * float(np.std(values)):.1f}"


def _minutes(values: List[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    return f"{np.mean(values):.1f}" if values else "-"


def results_markdown(results: List[SystemResult], paper: Dict[str, float], title: str,
                     notes: Sequence[str] = (), kind: str = "sed") -> str:
    columns = list(KINDS[kind][0])
    columns += [(name, None, None) for name in (results[0].values if results else {}) if name not in
                {c[0] for c in columns}]
    paper_column = "paper (event macro F1)" if kind == "sed" else "paper"
    header = ["system", "seeds", *[name for name, _, _ in columns], paper_column, "train min/run"]
    lines = [f"# {title}", "", *notes, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        reference = paper.get(result.system)
        cells = [result.system, " ".join(map(str, result.seeds)),
                 *[_cell(result.values[name]) for name, _, _ in columns],
                 "-" if reference is None else f"{reference:.1f}", _minutes(result.train_minutes)]
        lines.append("| " + " | ".join(cells) + " |")
    if kind == "sed":
        lines += ["", "Values in %, mean ± standard deviation over seeds (population std). Event-based F1: collar "
                  "0.2 s, offset 20 % of the reference length (sed_eval's definition, as the paper). PSDS: "
                  "threshold-free (sed_scores_eval's), dtc = gtc = 0.7, alpha_st 1, max_efpr 100 per hour. Train "
                  "min/run: mean over seeds of the minutes each run spent in its training epochs (validation "
                  "included), from its metrics.csv."]
    else:
        lines += ["", "Values in %, mean ± standard deviation over seeds (population std), on the test set. Group "
                  "error: one decision per song / recording from its clips (mean probability unless the config "
                  "says vote). Train min/run: mean over seeds of the minutes each run spent in its training epochs "
                  "(validation included), from its metrics.csv."]
        if any(name.startswith("mean of peers") for name, _, _ in columns):
            lines[-1] += (" Systems of several peers: the first columns score peer 1, the peer columns each "
                          "peer's clip accuracy and their mean (\"-\": a single network).")
    return "\n".join(lines) + "\n"


def write_results(path: str | Path, results: List[SystemResult], paper: Dict[str, float], title: str,
                  notes: Sequence[str] = (), kind: str = "sed") -> Optional[str]:
    """Write RESULTS.md and copy the best system's first-seed plots beside it; returns the best system."""
    from sedkit.io import atomic_write

    path = Path(path)
    main_column, plots = ("event macro F1", ("f1.png", "psd_roc.png")) if kind == "sed" else ("accuracy", ("confusion.png",))
    best = max(results, key=lambda r: np.nanmean(r.values[main_column]) if r.values[main_column] else -1)
    for name in plots:
        source = best.run_dirs[0] / name
        if source.exists():
            shutil.copyfile(source, path.parent / f"RESULTS_{best.system}_{name}")
    pictures = [f"![{name}](RESULTS_{best.system}_{name})" for name in plots
                if (path.parent / f"RESULTS_{best.system}_{name}").exists()]
    text = results_markdown(results, paper, title, notes, kind)
    if pictures:
        text += f"\nBest system: **{best.system}** (seed {best.seeds[0]} shown).\n\n" + "\n".join(pictures) + "\n"
    with atomic_write(path) as handle:
        handle.write(text)
    return best.system
