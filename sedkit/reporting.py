"""Experiment reporting (`sedkit results`): results tables of recipe runs, per system mean +- std over seeds,
with the paper's number beside it. Not a metric: it reads the experiment folders the recipes write.

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
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.metrics.bootstrap import (DEFAULT_RESAMPLES, DEFAULT_SEED, ClipCounts, bootstrap_macro_f1,
                                      paired_difference, resample_weights, same_clips)

__all__ = ["SystemResult", "collect_results", "results_markdown", "training_minutes", "write_results",
           "validation_gain", "run_folder", "scored_folder", "keep_scores"]

SED_COLUMNS = (("event macro F1", "event", ("macro", "f1")), ("event micro F1", "event", ("micro", "f1")),
               ("segment macro F1", "segment", ("macro", "f1")), ("PSDS", "psds", ("psds",)))
CLASSIFICATION_COLUMNS = (("clip error", "metrics", ("clip_error",)), ("group error", "metrics", ("group_error",)),
                          ("accuracy", "metrics", ("accuracy",)))
# The run-folder naming, defined here only (recipes' stage 8 and utils/keep_scores.sh use it through the CLI):
# EXP/<system>_seed<k>/ is a run; in it, the scored model's outputs on a set are decode_<set>/ (SED) or
# eval_<set>/ (classification), with event.json / metrics.json once scored; decode_<set>_<network>/ holds
# another network of the same run (its decode_*/model.yaml names it).
RUN_FOLDER = "{system}_seed{seed}"
SCORED_FOLDERS = {"sed": ("decode_{set}", "event.json"), "classification": ("eval_{set}", "metrics.json")}
KINDS = {"sed": (SED_COLUMNS, *SCORED_FOLDERS["sed"]),
         "classification": (CLASSIFICATION_COLUMNS, *SCORED_FOLDERS["classification"])}


def run_folder(system: str, seed: int) -> str:
    """The folder name of one run: ``<system>_seed<k>``."""
    return RUN_FOLDER.format(system=system, seed=seed)


def parse_run_folder(name: str) -> Optional[tuple]:
    """(system, seed) of a run folder's name (:func:`run_folder`'s inverse), or None for another name."""
    import re

    pattern = re.escape(RUN_FOLDER).replace(re.escape("{system}"), "(?P<system>.+)").replace(
        re.escape("{seed}"), "(?P<seed>-?[0-9]+)")
    match = re.fullmatch(pattern, name)
    return (match["system"], int(match["seed"])) if match else None


def scored_folder(kind: str, scored_set: str, network: Optional[str] = None) -> str:
    """The folder of a run's scores on ``scored_set``: ``decode_<set>`` (``_<network>`` for another network)
    or ``eval_<set>``."""
    name = SCORED_FOLDERS[kind][0].format(set=scored_set)
    return f"{name}_{network}" if network else name


@dataclass
class SystemResult:
    system: str
    seeds: List[int]
    values: Dict[str, List[float]]  # column -> per-seed values (fractions)
    run_dirs: List[Path]
    train_minutes: List[float] = field(default_factory=list)  # per seed; nan where metrics.csv is missing
    models: List[dict] = field(default_factory=list)  # per seed: decode_<set>/model.yaml ({} if absent)
    clip_counts: List[Optional[ClipCounts]] = field(default_factory=list)  # per seed: event.json clip_counts
    psds_replicates: List[Optional[np.ndarray]] = field(default_factory=list)  # per seed: psds.json bootstrap
    validation_gains: List[float] = field(default_factory=list)  # per seed: see validation_gain()
    networks: Dict[str, Dict[str, List[float]]] = field(default_factory=dict)  # network -> column -> per seed


def _get(document: dict, keys) -> float:
    for key in keys:
        document = document[key]
    return math.nan if document is None else float(document)


def metrics_log(run_dir: str | Path, *columns: str) -> Optional[List[tuple]]:
    """The rows of ``run_dir/metrics.csv`` (the trainer's per-epoch log) where every one of ``columns`` has a
    value, as tuples of floats in that order; None when the run kept no log."""
    path = Path(run_dir) / "metrics.csv"
    if not path.exists():
        return None
    with open(path, newline="") as handle:
        return [tuple(float(row[c]) for c in columns) for row in csv.DictReader(handle)
                if all(row.get(c) not in (None, "") for c in columns)]


def training_minutes(run_dir: str | Path) -> float:
    """Minutes a run spent in training epochs (sum of ``time_s`` in ``run_dir/metrics.csv``); nan if absent."""
    rows = metrics_log(run_dir, "time_s")
    return math.nan if rows is None else sum(seconds for seconds, in rows) / 60


def training_energy(run_dir: str | Path) -> float:
    """kWh a run's training epochs used (sum of ``energy_kwh`` in ``run_dir/metrics.csv``, recorded when
    CodeCarbon is installed: sedkit.training.energy); nan when not recorded."""
    rows = metrics_log(run_dir, "energy_kwh")
    return float(sum(kwh for kwh, in rows)) if rows else math.nan


def _size_columns(results: List[SystemResult]) -> Tuple[List[str], dict]:
    """DCASE's reporting columns (parameters, MACs per second of audio, training kWh per run) where any run
    recorded them: ([headers], system -> [cells])."""
    energies = {r.system: [training_energy(run.parent) for run in r.run_dirs] for r in results}
    has_size = any("parameters" in card for r in results for card in r.models)
    has_energy = any(not math.isnan(v) for values in energies.values() for v in values)
    if not (has_size or has_energy):
        return [], {}
    cells = {}
    for result in results:
        cards = [card for card in result.models if "parameters" in card]
        row = []
        if has_size:
            row += [f"{cards[0]['parameters']:,}" if cards else "-",
                    f"{cards[0]['macs_per_second'] / 1e6:.1f}" if cards else "-"]
        if has_energy:
            finite = [v for v in energies[result.system] if not math.isnan(v)]
            row.append(f"{np.mean(finite):.3g}" if finite else "-")
        cells[result.system] = row
    headers = (["params", "MMACs/s of audio"] if has_size else []) + (["train kWh/run"] if has_energy else [])
    return headers, cells


def validation_gain(run_dir: str | Path, share: float = 0.2) -> float:
    """Change of the validation score (``val_score`` in ``run_dir/metrics.csv``: the model-selection set)
    over the last ``share`` of the training steps: the last logged value minus the one logged at or before
    ``(1 - share)`` of the final step. About 0 for a run that has converged; nan without the log."""
    rows = metrics_log(run_dir, "step", "val_score") or []
    if len(rows) < 2:
        return math.nan
    cut = (1 - share) * rows[-1][0]
    earlier = [score for step, score in rows if step <= cut]
    return rows[-1][1] - earlier[-1] if earlier else math.nan


def _peer_columns(exp_dir: Path, systems: Sequence[str], seeds: Sequence[int], folder: str) -> tuple:
    """Columns for Cut^nMix runs (``peers`` in metrics.json): peer 2..J accuracy and the mean of peers."""
    peers = 0
    for system in systems:
        for seed in seeds:
            path = exp_dir / run_folder(system, seed) / folder / "metrics.json"
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
    columns, _, marker = KINDS[kind]
    folder = scored_folder(kind, decode_set)
    if kind == "classification":
        columns = columns + _peer_columns(Path(exp_dir), systems, seeds, folder)
    results = []
    for system in systems:
        values = {name: [] for name, _, _ in columns}
        runs, found, minutes = [], [], []
        for seed in seeds:
            run = Path(exp_dir) / run_folder(system, seed) / folder
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
                             f"(looked for {run_folder(system, '<k>')}/{folder}/{marker})")
        result = SystemResult(system, found, values, runs, minutes)
        if kind == "sed":
            _sed_details(result, columns, decode_set)
        results.append(result)
    return results


def _sed_details(result: SystemResult, columns, decode_set: str) -> None:
    """Model cards, per-clip counts, PSDS replicates, validation gains and the other networks' scores."""
    from sedkit.config import load_yaml

    for run in result.run_dirs:
        card = run / "model.yaml"
        result.models.append(load_yaml(card) if card.exists() else {})
        event = json.loads((run / "event.json").read_text())
        result.clip_counts.append(ClipCounts.from_json(event["clip_counts"], str(run / "event.json"))
                                  if "clip_counts" in event else None)
        psds_path = run / "psds.json"
        psds = json.loads(psds_path.read_text()) if psds_path.exists() else {}
        replicates = (psds.get("bootstrap") or {}).get("values")
        result.psds_replicates.append(None if replicates is None else np.asarray(replicates, dtype=np.float64))
        result.validation_gains.append(validation_gain(run.parent))
        prefix = scored_folder("sed", decode_set) + "_"
        for other in sorted(run.parent.glob(f"{prefix}*")):
            network = other.name[len(prefix):]
            if not (other / "event.json").exists():
                continue
            scores = result.networks.setdefault(network, {name: [] for name, _, _ in columns})
            for name, file, keys in columns:
                path = other / f"{file}.json"
                scores[name].append(_get(json.loads(path.read_text()), keys) if path.exists() else math.nan)


def _cell(values: List[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "-"
    mean = 100 * float(np.mean(values))
    return f"{mean:.1f}" if len(values) == 1 else f"{mean:.1f} ± {100 * float(np.std(values)):.1f}"


def _minutes(values: List[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    return f"{np.mean(values):.1f}" if values else "-"


def _points(value: float, signed: bool = False) -> str:
    return "-" if value is None or math.isnan(value) else (f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}")


def _model_cell(cards: List[dict]) -> str:
    cards = [c for c in cards if c]
    if not cards:
        return "-"
    networks = sorted({str(c.get("network")) for c in cards})
    checkpoints = sorted({str(c.get("checkpoint")) for c in cards})
    steps = sorted(int(c.get("step", 0)) for c in cards)
    at = f"{steps[0]}" if steps[0] == steps[-1] else f"{steps[0]}-{steps[-1]}"
    return f"{'/'.join(networks)}, {'/'.join(checkpoints)} @ step {at}"


class _Bootstrap:
    """Paired bootstrap CIs of differences between systems (event macro F1 and PSDS), against a baseline."""

    def __init__(self, results: List[SystemResult], baseline: Optional[str], n_resamples: int, seed: int):
        self.baseline = next((r for r in results if r.system == baseline), None)
        self.n_resamples, self.seed = n_resamples, seed
        self.f1: Dict[str, List[np.ndarray]] = {}
        runs = [(f"{r.system} seed {s}", c) for r in results for s, c in zip(r.seeds, r.clip_counts) if c is not None]
        if not runs:
            return
        same_clips(runs)
        weights = resample_weights(len(runs[0][1].files), n_resamples, seed)
        for result in results:
            if all(c is not None for c in result.clip_counts):
                self.f1[result.system] = [bootstrap_macro_f1(c, weights) for c in result.clip_counts]

    def difference(self, result: SystemResult, base: SystemResult, column: str) -> str:
        """``result - base`` in points with its 95 % interval, or "-" where the runs lack replicates."""
        if column == "event macro F1":
            system, other = self.f1.get(result.system), self.f1.get(base.system)
        else:
            system, other = result.psds_replicates, base.psds_replicates
            ok = all(x is not None and x.shape[0] == self.n_resamples for x in list(system) + list(other))
            system, other = (system, other) if ok and system and other else (None, None)
        if not system or not other:
            return "-"
        interval = paired_difference(system, other)
        value = float(np.nanmean(result.values[column]) - np.nanmean(base.values[column]))
        return f"{_points(value, True)} [{_points(interval['low'], True)}, {_points(interval['high'], True)}]"

    def cell(self, result: SystemResult, column: str) -> str:
        if self.baseline is None:
            return "-"
        if result.system == self.baseline.system:
            return "baseline"
        return self.difference(result, self.baseline, column)


def _bounds_section(results: List[SystemResult], bounds: Optional[Sequence[str]], bootstrap: _Bootstrap) -> List[str]:
    """Each system against both bounds: above the lower one, below the upper one, with 95 % intervals."""
    by_name = {r.system: r for r in results}
    if not bounds or any(b not in by_name for b in bounds):
        return []
    low, high = (by_name[b] for b in bounds)
    lines = ["", f"## Between the bounds ({low.system} and {high.system})", "",
             f"| system | event F1 above {low.system} | event F1 below {high.system} | PSDS above {low.system} | "
             f"PSDS below {high.system} |", "|---|---|---|---|---|"]
    for result in results:
        if result.system in bounds:
            continue
        cells = [bootstrap.difference(result, low, "event macro F1"),
                 bootstrap.difference(high, result, "event macro F1"),
                 bootstrap.difference(result, low, "PSDS"), bootstrap.difference(high, result, "PSDS")]
        lines.append(f"| {result.system} | " + " | ".join(cells) + " |")
    lines += ["", "Differences in points with their 95 % paired-bootstrap intervals, as in the main table: a system "
              "lies between the bounds where both intervals of a metric exclude 0."]
    return lines


def _gap_closed(result: SystemResult, bounds: Optional[Sequence[str]], results: List[SystemResult]) -> str:
    by_name = {r.system: r for r in results}
    if not bounds or any(b not in by_name for b in bounds):
        return "-"
    low, high = (float(np.nanmean(by_name[b].values["event macro F1"])) for b in bounds)
    if math.isclose(low, high):
        return "-"
    return f"{100 * (float(np.nanmean(result.values['event macro F1'])) - low) / (high - low):.0f} %"


def psds_criteria_text(parameters: dict) -> str:
    """The PSDS criteria of a psds.json's ``parameters`` in words (cttc and alpha_ct only where cross-triggers
    count)."""
    p = parameters
    text = f"dtc = gtc = {p['dtc']:g}" if p["dtc"] == p["gtc"] else f"dtc {p['dtc']:g}, gtc {p['gtc']:g}"
    if p.get("alpha_ct"):
        text += f", cttc {p['cttc']:g}, alpha_ct {p['alpha_ct']:g}"
    return text + f", alpha_st {p['alpha_st']:g}, max_efpr {p['max_efpr']:g} per hour"


def _psds_criteria_text(results: List[SystemResult]) -> str:
    """The criteria the runs' psds.json files record (read, never assumed); several when runs differ."""
    texts = []
    for result in results:
        for run in result.run_dirs:
            path = run / "psds.json"
            parameters = json.loads(path.read_text()).get("parameters") if path.exists() else None
            if parameters:
                text = psds_criteria_text(parameters)
                if text not in texts:
                    texts.append(text)
    if not texts:
        return "criteria not recorded"
    return texts[0] if len(texts) == 1 else "runs scored with different criteria: " + "; ".join(texts)


def _sed_markdown(results: List[SystemResult], paper: Dict[str, float], title: str, notes: Sequence[str],
                  baseline: Optional[str], bounds: Optional[Sequence[str]], n_resamples: int, seed: int,
                  tables: Optional[Sequence[Tuple[str, Sequence[str]]]] = None) -> str:
    bootstrap = _Bootstrap(results, baseline, n_resamples, seed)
    delta = f"vs {bootstrap.baseline.system}" if bootstrap.baseline else "vs baseline"
    gap_header = f"{bounds[0]}→{bounds[1]} gap closed" if bounds else "gap closed"
    header = ["system", "scored model", "seeds", "event macro F1", f"Δ event F1 {delta} [95 % CI]",
              "event micro F1", "segment macro F1", "PSDS", f"Δ PSDS {delta} [95 % CI]", gap_header,
              "val. gain, last 20 %", "paper (event macro F1)", "train min/run"]
    size_headers, size_cells = _size_columns(results)
    header += size_headers
    by_name = {r.system: r for r in results}

    def row(result: SystemResult) -> str:
        reference = paper.get(result.system)
        gains = [g for g in result.validation_gains if not math.isnan(g)]
        cells = [result.system, _model_cell(result.models), " ".join(map(str, result.seeds)),
                 _cell(result.values["event macro F1"]), bootstrap.cell(result, "event macro F1"),
                 _cell(result.values["event micro F1"]), _cell(result.values["segment macro F1"]),
                 _cell(result.values["PSDS"]), bootstrap.cell(result, "PSDS"), _gap_closed(result, bounds, results),
                 _points(float(np.mean(gains)), True) if gains else "-",
                 "-" if reference is None else f"{reference:.1f}", _minutes(result.train_minutes),
                 *size_cells.get(result.system, [])]
        return "| " + " | ".join(cells) + " |"

    lines = [f"# {title}", "", *notes]
    table_head = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    if not tables:
        lines += ["", *table_head, *(row(r) for r in results)]
    for name, systems in tables or ():
        shown = [by_name[s] for s in systems if s in by_name]
        missing = [s for s in systems if s not in by_name]
        lines += ["", f"## {name}", ""]
        lines += ([*table_head, *(row(r) for r in shown)] if shown
                  else ["None of this table's systems is among this reading's --systems."])
        if missing and shown:
            lines += ["", f"Not among this reading's --systems: {', '.join(missing)}."]
    lines += ["", "Values in %, mean ± standard deviation over seeds (population std). Event-based F1: collar 0.2 s, "
              "offset 20 % of the reference length (sed_eval's definition, as the paper; a class without estimates "
              "counts 0, as DESED_task asks). Segment-based F1: 1 s segments, sed_eval's default (a class without "
              "estimated segments is left out of the mean, so a system that never detects a class can score higher "
              "here than one that detects it badly). PSDS: threshold-free "
              f"(sed_scores_eval's), {_psds_criteria_text(results)}. Scored model: the network "
              "and checkpoint decoded (best.pt: the best validation score on the model-selection set, never the "
              "reported one) and its training step. Δ: difference of the means to the baseline in points, with the "
              f"95 % interval of a paired bootstrap over the reported clips ({bootstrap.n_resamples} resamples, seed "
              f"{bootstrap.seed}, seeds pooled); an interval that excludes 0 is an effect. Gap closed: (system - "
              "lower bound) / (upper bound - lower bound) of the mean event macro F1. Val. gain, last 20 %: change "
              "of the model-selection score over the last 20 % of the training steps, mean over seeds (about 0: "
              "converged). Train min/run: mean over seeds of the minutes each run spent in its training epochs "
              "(validation included), from its metrics.csv."
              + (" Params: trainable parameters of the scored network; MMACs/s of audio: its multiply-accumulates "
                 "per second of input (sedkit.models.complexity); train kWh/run: the training's energy (CodeCarbon), "
                 "mean over seeds." if size_headers else "")]
    lines += _bounds_section(results, bounds, bootstrap)
    if any(r.networks for r in results):
        lines += ["", "## Every student and teacher", "", "| system | network | event macro F1 | PSDS |",
                  "|---|---|---|---|"]
        for result in results:
            scored = "/".join(sorted({str(c.get("network")) for c in result.models if c})) or "scored"
            lines.append(f"| {result.system} | {scored} (scored) | {_cell(result.values['event macro F1'])} | "
                         f"{_cell(result.values['PSDS'])} |")
            for network, values in sorted(result.networks.items()):
                lines.append(f"| {result.system} | {network} | {_cell(values['event macro F1'])} | "
                             f"{_cell(values['PSDS'])} |")
    return "\n".join(lines) + "\n"


def _classification_pairs(results: List[SystemResult], baseline, n_resamples: int,
                          seed: int) -> Tuple[List[str], Dict[str, List[str]]]:
    """Columns Δ accuracy vs the baseline [95 % CI] (paired bootstrap over groups) and best validation accuracy,
    where every run's metrics.json has per-group counts (``per_group``). ``baseline``: one system for all, or a
    mapping system -> its own baseline (then a column names each row's)."""
    from sedkit.metrics.classification import group_bootstrap_accuracy

    by_name = {r.system: r for r in results}
    named = isinstance(baseline, dict)
    mapping = dict(baseline) if named else {r.system: baseline for r in results}
    if not any(system in by_name and base in by_name for system, base in mapping.items()):
        return [], {}
    per_group = {r.system: [json.loads((run / "metrics.json").read_text()).get("per_group") for run in r.run_dirs]
                 for r in results}
    if any(g is None for groups in per_group.values() for g in groups):
        return [], {}
    names = next(iter(per_group.values()))[0]["groups"]
    if any(g["groups"] != names for groups in per_group.values() for g in groups):
        raise InputError("sedkit results: the runs were scored on different test groups; cannot pair them")
    weights = resample_weights(len(names), n_resamples, seed)
    replicates = {system: [group_bootstrap_accuracy(g, weights) for g in groups]
                  for system, groups in per_group.items()}
    cells = {}
    for result in results:
        base = by_name.get(mapping.get(result.system))
        if base is None:
            delta = "-"
        elif result.system == base.system:
            delta = "baseline"
        else:
            interval = paired_difference(replicates[result.system], replicates[base.system])
            value = float(np.mean(result.values["accuracy"]) - np.mean(base.values["accuracy"]))
            delta = f"{_points(value, True)} [{_points(interval['low'], True)}, {_points(interval['high'], True)}]"
        best = _cell([_best_validation(run.parent) for run in result.run_dirs])
        cells[result.system] = ([mapping.get(result.system, "-")] if named else []) + [delta, best]
    if named:
        return ["baseline", "Δ accuracy vs its baseline [95 % CI]", "best val. accuracy"], cells
    return [f"Δ accuracy vs {baseline} [95 % CI]", "best val. accuracy"], cells


def _best_validation(run_dir: Path) -> float:
    rows = metrics_log(run_dir, "val_accuracy")
    return max(value for value, in rows) if rows else math.nan


def results_markdown(results: List[SystemResult], paper: Dict[str, float], title: str,
                     notes: Sequence[str] = (), kind: str = "sed", baseline=None,
                     bounds: Optional[Sequence[str]] = None, n_resamples: int = DEFAULT_RESAMPLES,
                     seed: int = DEFAULT_SEED, tables: Optional[Sequence[Tuple[str, Sequence[str]]]] = None) -> str:
    """The results table (classification: ``baseline`` may map each system to its own). SED tables also give,
    where the runs' files allow: the scored model, paired
    bootstrap CIs of the difference to ``baseline``, the share of the ``bounds`` (lower, upper) gap each
    system closes, the validation gain over the last 20 % of training, and every network's scores.
    ``tables`` (SED): (title, systems) of several tables, e.g. one per paper table, each under its own heading
    (a system may appear in several; systems of a table left out of the reading are named under it); the statistics
    (bootstrap against ``baseline``, bounds) are over all ``results``."""
    if kind == "sed":
        return _sed_markdown(results, paper, title, notes, baseline, bounds, n_resamples, seed, tables)
    columns = list(KINDS[kind][0])
    columns += [(name, None, None) for name in (results[0].values if results else {}) if name not in
                {c[0] for c in columns}]
    pair_headers, pair_cells = _classification_pairs(results, baseline, n_resamples, seed)
    header = ["system", "seeds", *[name for name, _, _ in columns], *pair_headers, "paper", "train min/run"]
    lines = [f"# {title}", "", *notes, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        reference = paper.get(result.system)
        cells = [result.system, " ".join(map(str, result.seeds)),
                 *[_cell(result.values[name]) for name, _, _ in columns], *pair_cells.get(result.system, []),
                 "-" if reference is None else f"{reference:.1f}", _minutes(result.train_minutes)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Values in %, mean ± standard deviation over seeds (population std), on the test set. Group "
              "error: one decision per song / recording from its clips (mean probability unless the config "
              "says vote). Train min/run: mean over seeds of the minutes each run spent in its training epochs "
              "(validation included), from its metrics.csv."]
    if pair_headers:
        against = "each row's baseline (its column)" if isinstance(baseline, dict) else baseline
        lines[-1] += (f" Δ accuracy: difference of the mean test accuracy to {against} in points with the 95 % "
                      f"interval of a paired bootstrap over the test *groups* (recordings or songs, whose clips are "
                      f"not independent; {n_resamples} resamples, seed {seed}, seeds pooled): an interval that "
                      "contains 0 is not resolved. Best val. accuracy: the best validation accuracy of each run "
                      "(metrics.csv), mean ± std over seeds.")
    if any(name.startswith("mean of peers") for name, _, _ in columns):
        lines[-1] += (" Systems of several peers: the first columns score peer 1, the peer columns each "
                      "peer's clip accuracy and their mean (\"-\": a single network).")
    return "\n".join(lines) + "\n"


def write_results(path: str | Path, results: List[SystemResult], paper: Dict[str, float], title: str,
                  notes: Sequence[str] = (), kind: str = "sed", sections: Sequence[str] = (),
                  **statistics) -> Optional[str]:
    """Write RESULTS.md and copy the best system's first-seed plots beside it (``<results stem>_<system>_<plot>``);
    returns the best system. ``sections``: extra markdown lines after the tables (sedkit.reporting_sections)."""
    from sedkit.io import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    main_column, plots = (("event macro F1", ("f1.png", "psd_roc.png")) if kind == "sed"
                          else ("accuracy", ("confusion.png",)))
    best = max(results, key=lambda r: np.nanmean(r.values[main_column]) if r.values[main_column] else -1)
    prefix = f"{path.stem}_{best.system}"  # RESULTS_<best>_f1.png beside RESULTS.md, RESULTS_demo_<best>_... beside
    for name in plots:                     # RESULTS_demo.md: one results file never overwrites another's plots
        source = best.run_dirs[0] / name
        if source.exists():
            shutil.copyfile(source, path.parent / f"{prefix}_{name}")
    pictures = [f"![{name}]({prefix}_{name})" for name in plots if (path.parent / f"{prefix}_{name}").exists()]
    text = results_markdown(results, paper, title, notes, kind, **statistics)
    if sections:
        text += "\n" + "\n".join(sections).lstrip("\n") + "\n"
    if pictures:
        text += f"\nBest system: **{best.system}** (seed {best.seeds[0]} shown).\n\n" + "\n".join(pictures) + "\n"
    with atomic_write(path) as handle:
        handle.write(text)
    return best.system


def _scored_dirs(run: Path) -> List[Path]:
    """The folders of ``run`` holding scores (decode_* with event.json, eval_* with metrics.json)."""
    found = []
    for template, marker in SCORED_FOLDERS.values():
        prefix = template.split("{")[0]
        found += [d for d in sorted(run.glob(f"{prefix}*")) if d.is_dir() and (d / marker).exists()]
    return found


def _other_network(scored: Path, siblings: Sequence[Path]) -> bool:
    """Whether ``scored`` is another network's folder (``decode_<set>_<network>`` beside ``decode_<set>``),
    not the scored model's."""
    return any(scored.name.startswith(f"{other.name}_") for other in siblings if other != scored)


def keep_scores(exp_dir: str | Path, dest: str | Path) -> Tuple[List[str], List[str]]:
    """Copy what RESULTS.md is written from, for every scored run of ``exp_dir``, into ``dest`` in the same
    layout (docs/recipes.md, "What results_mini keeps"): config.yaml, metrics.csv, every scored folder's JSON
    and YAML files, and the plots (PNG) of the scored model's folders only; no checkpoints, features, frame
    scores, logs, text tables or other networks' plots. Folders without scores are left out, scored folders
    without a training run (an ensemble of other runs' checkpoints) are kept. Returns (kept runs, runs with a
    config.yaml but no scores yet)."""
    exp_dir, dest = Path(exp_dir), Path(dest)
    if not exp_dir.is_dir():
        raise InputError(f"{exp_dir}: no such experiment folder")
    kept, unscored = [], []
    for run in sorted(p for p in exp_dir.iterdir() if p.is_dir()):
        scored = _scored_dirs(run)
        if not scored:
            if (run / "config.yaml").exists():
                unscored.append(run.name)
            continue
        target = dest / run.name
        target.mkdir(parents=True, exist_ok=True)
        for name in ("config.yaml", "metrics.csv"):
            if (run / name).exists():
                shutil.copy2(run / name, target / name)
        for folder in scored:
            keep = {".json", ".yaml"} | (set() if _other_network(folder, scored) else {".png"})
            (target / folder.name).mkdir(exist_ok=True)
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix in keep:
                    shutil.copy2(path, target / folder.name / path.name)
        kept.append(run.name)
    return kept, unscored
