#!/usr/bin/env python3
"""What a recipe's runs cost: minutes per run and CPU time in all, from the kept runs (results_mini/).

Each run's training minutes are the sum of the ``time_s`` column of its metrics.csv (the trainer's per-epoch
log: training steps and validation, not decoding or scoring); its CPU minutes those times the threads it
trained with (``run.num_threads`` in its config.yaml; unset: the machine's cores, given by --cores). Printed
as a markdown table per system (runs, mean and range of minutes per run, CPU minutes) and the totals.

usage: python benchmarks/recipe_cost.py recipes/dcase2020_task4/sed1/results_mini [--systems "a b"] [--cores 2]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml


def run_cost(run: Path, cores: int) -> tuple[float, int]:
    """(training minutes, threads) of one run folder."""
    from sedkit.reporting import training_minutes

    threads = (yaml.safe_load((run / "config.yaml").read_text()).get("run") or {}).get("num_threads") or cores
    return training_minutes(run), int(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="folder of <system>_seed<k>/ runs (exp/ or results_mini/)")
    parser.add_argument("--systems", help="space-separated systems, in this order (default: all found)")
    parser.add_argument("--cores", type=int, default=2, help="threads of a run without run.num_threads (2)")
    args = parser.parse_args()
    by_system: dict[str, list[tuple[float, int]]] = {}
    from sedkit.reporting import parse_run_folder

    for run in sorted(p for p in args.runs.iterdir() if (p / "metrics.csv").exists() and parse_run_folder(p.name)):
        by_system.setdefault(parse_run_folder(run.name)[0], []).append(run_cost(run, args.cores))
    systems = args.systems.split() if args.systems else sorted(by_system)
    print("| system | runs | train min/run (mean, range) | CPU min |")
    print("|---|---|---|---|")
    total_runs, total_minutes, total_cpu = 0, 0.0, 0.0
    for system in systems:
        costs = by_system.get(system, [])
        if not costs:
            continue
        minutes = [m for m, _ in costs]
        cpu = sum(m * t for m, t in costs)
        print(f"| {system} | {len(costs)} | {sum(minutes) / len(minutes):.1f} ({min(minutes):.1f}-{max(minutes):.1f}) "
              f"| {cpu:.0f} |")
        total_runs, total_minutes, total_cpu = total_runs + len(costs), total_minutes + sum(minutes), total_cpu + cpu
    print(f"| all | {total_runs} | {total_minutes / max(total_runs, 1):.1f} | {total_cpu:.0f} |")
    print(f"\n{total_runs} runs, {total_minutes / 60:.1f} h of training, {total_cpu / 60:.1f} CPU hours")


if __name__ == "__main__":
    main()
