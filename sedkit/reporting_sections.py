"""Extra sections of a SED RESULTS.md (`sedkit results --conditions ... --per-class --selection-plot`).

- Conditions: the same systems scored on other versions of the reported set (the same soundscapes resampled,
  at another level, ...). Each cell gives the condition's mean over seeds and its difference to the reported
  set with the 95 % interval of a bootstrap over clips paired across the two conditions (the clips are the
  same soundscapes, so each resample draws the same clips in both).
- Per class: event-based F1 of each class, mean over seeds, per system (and per other scored network on
  request), with each column's difference to the baseline.
- Selection curves: each system's model-selection score against the training step, every seed (a figure).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import List, Sequence

import numpy as np

from sedkit.errors import InputError
from sedkit.metrics.bootstrap import bootstrap_macro_f1, paired_difference, resample_weights, same_clips
from sedkit.reporting import SystemResult, _cell, _points, collect_results, metrics_log, scored_folder

__all__ = ["conditions_section", "per_class_section"]


def _paired_cell(condition: SystemResult, reported: SystemResult, n_resamples: int, seed: int) -> str:
    """``condition - reported`` event macro F1 in points with its paired 95 % interval, over the seeds scored
    in both (each resample draws the same clips in both conditions)."""
    seeds = [s for s in reported.seeds if s in condition.seeds]
    if not seeds:
        return "-"

    def pick(result: SystemResult, what: list) -> list:
        return [what[result.seeds.index(s)] for s in seeds]

    value = float(np.nanmean(pick(condition, condition.values["event macro F1"]))
                  - np.nanmean(pick(reported, reported.values["event macro F1"])))
    counts = pick(condition, condition.clip_counts), pick(reported, reported.clip_counts)
    if any(c is None for side in counts for c in side):
        return _points(value, True)
    same_clips([(f"{name} seed {s}", c) for name, side in zip(("condition", "reported"), counts)
                for s, c in zip(seeds, side)])
    weights = resample_weights(len(counts[0][0].files), n_resamples, seed)
    interval = paired_difference(*([bootstrap_macro_f1(c, weights) for c in side] for side in counts))
    return f"{_points(value, True)} [{_points(interval['low'], True)}, {_points(interval['high'], True)}]"


def conditions_section(exp_dir: str | Path, results: Sequence[SystemResult], seeds: Sequence[int],
                       reported_set: str, conditions: Sequence[str], n_resamples: int, seed: int) -> List[str]:
    """Markdown lines: per condition and system, event macro F1 / segment macro F1 / PSDS and the paired
    difference of event macro F1 to ``reported_set``."""
    if not conditions:
        return []
    lines = ["", f"## The same soundscapes through other chains (vs {reported_set})", "",
             "| condition | system | event macro F1 | Δ event F1 vs " + reported_set + " [95 % CI] | "
             "segment macro F1 | PSDS |", "|---|---|---|---|---|---|"]
    for condition in conditions:
        scored = {r.system: r for r in collect_results(exp_dir, [r.system for r in results], seeds, condition)}
        for reported in results:
            other = scored[reported.system]
            lines.append(f"| {condition} | {reported.system} | {_cell(other.values['event macro F1'])} | "
                         f"{_paired_cell(other, reported, n_resamples, seed)} | "
                         f"{_cell(other.values['segment macro F1'])} | {_cell(other.values['PSDS'])} |")
    lines += ["", "Each condition holds the reported set's soundscapes (same names, same reference events) made "
              "otherwise: the condition's name says how (e.g. `-16k`: resampled to 16 kHz; `-20db`: 20 dB quieter). "
              "Δ: the condition minus the reported set for the same system and seeds, in points, with the 95 % "
              f"interval of a bootstrap over clips paired across the two ({n_resamples} resamples, seed {seed})."]
    return lines


def _per_class_f1(run: Path) -> dict:
    """Class -> event-based F1 (fraction, nan where undefined) of one scored folder's ``event.json``."""
    document = json.loads((run / "event.json").read_text())
    return {c: math.nan if v.get("f1") is None else float(v["f1"]) for c, v in document.get("per_class", {}).items()}


def per_class_section(results: Sequence[SystemResult], decode_set: str = "validation", baseline: str | None = None,
                      networks: Sequence[str] = ()) -> List[str]:
    """Markdown lines: event-based F1 per class (rows) and system (columns), mean ± std over seeds.

    ``networks``: other scored networks of a run (``decode_<set>_<network>``, e.g. MMT-DA's ``ssl_teacher``)
    shown as columns ``<system>/<network>`` for the systems whose every seed scored them. ``baseline``: a second
    table, each column minus the baseline's F1 per class, in points, averaged over the seeds both scored (the
    same seeds on both sides, so a difference of seed means)."""
    columns = []  # (name, {seed: {class: f1}})
    shown = set()  # the networks that gave at least one column
    for result in results:
        columns.append((result.system, {s: _per_class_f1(run) for s, run in zip(result.seeds, result.run_dirs)}))
        for network in networks:
            folders = [run.parent / scored_folder("sed", decode_set, network) for run in result.run_dirs]
            if folders and all((folder / "event.json").exists() for folder in folders):
                columns.append((f"{result.system}/{network}",
                                {s: _per_class_f1(folder) for s, folder in zip(result.seeds, folders)}))
                shown.add(network)
    missing = [n for n in networks if n not in shown]
    if missing:
        raise InputError(f"--per-class-networks {missing[0]}: no system has a scored "
                         f"{scored_folder('sed', decode_set, missing[0])} folder for every seed")
    classes: List[str] = []
    for _, per_seed in columns:
        for values in per_seed.values():
            classes += [c for c in values if c not in classes]
    if not classes:
        return []

    def table(names: List[str], cell) -> List[str]:
        rows = ["| class | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        return rows + [f"| {c} | " + " | ".join(cell(name, c) for name in names) + " |" for c in classes]

    by_name = dict(columns)
    lines = ["", "## Event-based F1 per class", ""]
    lines += table([name for name, _ in columns],
                   lambda name, c: _cell([v.get(c, math.nan) for v in by_name[name].values()]))
    lines += ["", "Values in %, mean ± std over seeds, on the reported set (collar 0.2 s, offset 20 %)"
              + (f"; `<system>/<network>`: another network of the same runs ({', '.join(networks)})." if networks
                 else ".")]
    if baseline in by_name:
        others = [name for name, _ in columns if name != baseline]

        def difference(name: str, c: str) -> str:
            seeds = [s for s in by_name[name] if s in by_name[baseline]]
            gaps = [by_name[name][s].get(c, math.nan) - by_name[baseline][s].get(c, math.nan) for s in seeds]
            gaps = [g for g in gaps if not math.isnan(g)]
            return _points(float(np.mean(gaps)), True) if gaps else "-"

        lines += ["", f"### Difference to {baseline} per class", ""]
        lines += table(others, difference)
        lines += ["", f"Each column's event-based F1 minus {baseline}'s, per class, in points, averaged over the "
                  "seeds both scored (no interval: per-class F1 of one seed rests on few events)."]
    return lines


def selection_curves(results: Sequence[SystemResult]) -> list:
    """Per system with kept training logs: (system, [(seed, steps, selection scores in %, scored step)]), from
    each seed's metrics.csv (``step``, ``val_score``) and the scored model's model.yaml (``step``)."""
    curves = []
    for result in results:
        lines = []
        for seed, run, model in zip(result.seeds, result.run_dirs, result.models or [{}] * len(result.seeds)):
            rows = metrics_log(Path(run).parent, "step", "val_score")  # run_dirs: <run>/decode_<set>
            if rows:
                lines.append((seed, [int(step) for step, _ in rows], [100 * score for _, score in rows],
                              (model or {}).get("step")))
        if lines:
            curves.append((result.system, lines))
    return curves


def seed_colours(curves: list) -> dict:
    """Seed -> matplotlib colour, the same in every panel of :func:`selection_curves_section` (systems may have
    different seeds: seed 4 keeps its colour in a panel without seed 3), in seed order over all curves."""
    seeds = sorted({line[0] for _, lines in curves for line in lines})
    return {seed: f"C{i % 10}" for i, seed in enumerate(seeds)}


def selection_curves_section(results: Sequence[SystemResult], out: str | Path) -> List[str]:
    """One panel per system (:func:`selection_curves`): its model-selection score against the training step,
    every seed a line, the scored checkpoint's step marked; written to ``out`` (PNG) and shown by the returned
    markdown lines. Systems whose runs kept no metrics.csv are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = selection_curves(results)
    if not curves:
        return []
    columns = min(3, len(curves))
    rows_n = math.ceil(len(curves) / columns)
    figure, axes = plt.subplots(rows_n, columns, figsize=(4.2 * columns, 2.8 * rows_n), sharex=True, sharey=True,
                                squeeze=False)
    for axis in axes.flat[len(curves):]:
        axis.set_visible(False)
    colours = seed_colours(curves)
    for axis, (system, lines) in zip(axes.flat, curves):
        for seed, steps, scores, scored_step in lines:
            axis.plot(steps, scores, linewidth=1.0, color=colours[seed])
            if scored_step in steps:
                axis.plot([scored_step], [scores[steps.index(scored_step)]], "o", color=colours[seed], markersize=4)
        axis.set_title(system, fontsize=9)
        axis.grid(alpha=0.3)
    for axis in axes[-1]:
        axis.set_xlabel("training step")
    for axis in axes[:, 0]:
        axis.set_ylabel("selection score (%)")
    from matplotlib.lines import Line2D

    axes.flat[0].legend(handles=[Line2D([], [], color=colour, linewidth=1.0, label=f"seed {seed}")
                                 for seed, colour in colours.items()], fontsize=7)  # every seed of every panel
    figure.tight_layout()
    out = Path(out)
    figure.savefig(out, dpi=80, metadata={"Software": None})
    plt.close(figure)
    return ["", "## Model-selection score during training", "",
            "Each system's model-selection score (event macro F1 on the selection set, never the reported one) "
            "against the training step, one line per seed; the dot is the scored checkpoint (best.pt).", "",
            f"![selection score against steps]({out.name})"]
