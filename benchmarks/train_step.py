#!/usr/bin/env python3
"""Benchmark: cost of one training step of the SED systems (MT, DA, MMT-DA), clips/s and peak memory.

Each system runs in its own process (so peak memory is its own): the paper-size CRNN on 10 s log-mel
inputs (512 x 128), a DCASE batch of 24 clips (6 strong, 6 weak, 12 unlabelled), random features and
targets; after warm-up steps it times forward + backward + optimiser + EMA updates. Target: MMT-DA costs at
most ~2.5x MT per batch (two students and two teachers against one and one).

usage: python benchmarks/train_step.py [--device cpu|cuda] [--steps 3] [--warmup 1] [--systems mt_total da mmt_da]

Mini mode (--mini --baseline-tree DIR) times whole training steps of the sed1 recipe's mini config, as
`sedkit train` runs them (batches from the feature folders, forward, backward, Adam, EMA), for two sedkit
trees in one run: DIR (a checkout of an older sedkit, e.g. `git worktree add ../sedkit-main 9d23290`) with
its own recipe configs, and this tree. Both train mmt_da_tsp on the same small generated corpus (features
made by each tree with its own conf/features_mini.yaml), 2 epochs of --mini-steps steps without validation;
the second epoch's time per step counts. The baseline tree is imported instead of the installed sedkit
(a sitecustomize on PYTHONPATH hides the editable install).

usage: python benchmarks/train_step.py --mini --baseline-tree ../sedkit-main [--mini-steps 30] [--threads 2]
"""
import argparse
import json
import subprocess
import sys
import time


def one(system: str, device: str, steps: int, warmup: int, attention: str) -> dict:
    import resource

    import torch

    from sedkit.models.crnn import CRNN, CRNNConfig
    from sedkit.training.mmt_da import SystemConfig, build_system

    torch.manual_seed(0)
    dev = torch.device(device)
    model = build_system(SystemConfig(name=system), lambda: CRNN(CRNNConfig(attention=attention))).to(dev)
    model.train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    kinds = ["strong"] * 6 + ["weak"] * 6 + ["unlabel"] * 12
    def flag(k):
        return torch.tensor([x == k for x in kinds], device=dev)

    batch = {"x": torch.randn(24, 512, 128, device=dev), "strong": (torch.rand(24, 128, 10, device=dev) > 0.8).float(),
             "weak": (torch.rand(24, 10, device=dev) > 0.7).float(), "is_strong": flag("strong"),
             "is_weak": flag("weak"), "is_unlabel": flag("unlabel"), "is_synthetic": flag("strong")}
    times = []
    for step in range(warmup + steps):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        loss = model.losses(batch, epoch=30.0, progress=0.5)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.after_optimizer_step(step + 1)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        if step >= warmup:
            times.append(time.perf_counter() - started)
    seconds = sorted(times)[len(times) // 2]
    memory = (torch.cuda.max_memory_allocated() / 2 ** 20 if dev.type == "cuda"
              else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"system": system, "s_per_step": seconds, "clips_per_s": 24 / seconds, "peak_mb": memory,
            "memory_kind": "GPU allocated" if dev.type == "cuda" else "process RSS"}


RECIPE = "recipes/dcase2020_task4/sed1"
HIDE_EDITABLE = ("import sys\nsys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
                 "type(f).__module__ and 'editable' not in getattr(f, '__name__', '')]\n")


def _tree_env(tree, work):
    """Environment that imports sedkit from ``tree`` (None: the installed one)."""
    import os
    from pathlib import Path

    env = dict(os.environ)
    if tree is not None:
        site = Path(work) / "site"
        site.mkdir(parents=True, exist_ok=True)
        (site / "sitecustomize.py").write_text(HIDE_EDITABLE)
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(tree)])
    return env


def mini(baseline_tree: str, steps: int, threads: int, scale: float) -> dict:
    """Seconds per training step of the mini mmt_da_tsp config: baseline tree vs this tree."""
    import csv
    import tempfile
    from pathlib import Path

    here = Path(__file__).resolve().parents[1]
    sedkit = [sys.executable, "-m", "sedkit.cli.main"]
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus"
        subprocess.run(sedkit + ["make-mini-corpus", str(corpus), "--scale", str(scale), "--nj", "2",
                                 "--no-progress"], check=True, capture_output=True)
        results = {}
        for name, tree in (("baseline", Path(baseline_tree).resolve()), ("current", None)):
            root = tree or here
            env = _tree_env(tree, Path(work) / name)
            dump = Path(work) / name / "dump"
            for subset in ("train_synth", "train_weak", "train_unlabel"):
                subprocess.run(sedkit + ["features", str(corpus / subset / "audio"), str(dump / subset), "--config",
                                         str(root / RECIPE / "conf" / "features_mini.yaml"), "--nj", "2"],
                               check=True, capture_output=True, env=env)
            exp = Path(work) / name / "exp"
            args = [f"data.synth_features={dump / 'train_synth'}",
                    f"data.synth_labels={corpus / 'train_synth' / 'strong.tsv'}",
                    f"data.weak_features={dump / 'train_weak'}",
                    f"data.weak_labels={corpus / 'train_weak' / 'weak.tsv'}",
                    f"data.unlabel_features={dump / 'train_unlabel'}", f"data.steps_per_epoch={steps}",
                    "run.epochs=2", f"run.num_threads={threads}", "run.device=cpu"]
            subprocess.run(sedkit + ["train", "--config", str(root / RECIPE / "conf" / "train_mini.yaml"), "--config",
                                     str(root / RECIPE / "conf" / "systems" / "mmt_da_tsp.yaml"), "--exp-dir", str(exp),
                                     *args], check=True, capture_output=True, env=env)
            with open(exp / "metrics.csv", newline="") as handle:
                rows = list(csv.DictReader(handle))
            results[name] = {"tree": str(root), "s_per_step": float(rows[-1]["time_s"]) / steps, "steps": steps,
                             "features": (root / RECIPE / "conf" / "features_mini.yaml").read_text()}
        results["speedup"] = results["baseline"]["s_per_step"] / results["current"]["s_per_step"]
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--attention", default="none")
    parser.add_argument("--systems", nargs="+", default=["mt_total", "da", "mmt_da"])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--mini", action="store_true", help="time the mini recipe config: --baseline-tree vs this tree")
    parser.add_argument("--baseline-tree", help="checkout of the sedkit to compare with (--mini)")
    parser.add_argument("--mini-steps", type=int, default=30, help="timed steps per tree (--mini, default 30)")
    parser.add_argument("--mini-scale", type=float, default=0.05, help="corpus scale (--mini, default 0.05)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (--mini, default 2)")
    args = parser.parse_args()
    if args.mini:
        if not args.baseline_tree:
            parser.error("--mini needs --baseline-tree DIR")
        result = mini(args.baseline_tree, args.mini_steps, args.threads, args.mini_scale)
        for name in ("baseline", "current"):
            r = result[name]
            print(f"{name:<9} {r['s_per_step']:7.3f} s/step  {1 / r['s_per_step']:6.2f} steps/s  ({r['tree']})")
        print(f"mini mmt_da_tsp: {result['speedup']:.2f}x steps/s (target >= 2x)")
        return
    if args.one:
        print(json.dumps(one(args.one, args.device, args.steps, args.warmup, args.attention)))
        return
    results = {}
    for system in args.systems:
        out = subprocess.run([sys.executable, __file__, "--one", system, "--device", args.device, "--steps",
                              str(args.steps), "--warmup", str(args.warmup), "--attention", args.attention],
                             check=True, capture_output=True, text=True).stdout
        results[system] = json.loads(out.strip().splitlines()[-1])
        r = results[system]
        print(f"{system:<9} {r['s_per_step']:7.3f} s/step  {r['clips_per_s']:7.1f} clips/s  "
              f"peak {r['peak_mb']:8.0f} MB ({r['memory_kind']})")
    if "mt_total" in results and "mmt_da" in results:
        ratio = results["mmt_da"]["s_per_step"] / results["mt_total"]["s_per_step"]
        print(f"MMT-DA / MT time per batch: {ratio:.2f}x (target <= ~2.5x)")


if __name__ == "__main__":
    main()
