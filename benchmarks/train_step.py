#!/usr/bin/env python3
"""Benchmark: cost of one training step of the SED systems (MT, DA, MMT-DA), clips/s and peak memory.

Each system runs in its own process (so peak memory is its own): the paper-size CRNN on 10 s log-mel
inputs (512 x 128), a DCASE batch of 24 clips (6 strong, 6 weak, 12 unlabelled), random features and
targets; after warm-up steps it times forward + backward + optimiser + EMA updates. Target: MMT-DA costs at
most ~2.5x MT per batch (two students and two teachers against one and one).

usage: python benchmarks/train_step.py [--device cpu|cuda] [--steps 3] [--warmup 1] [--systems mt_total da mmt_da]
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
    from sedkit.training.mmt_da import SEDSystem, SystemConfig

    torch.manual_seed(0)
    dev = torch.device(device)
    model = SEDSystem(SystemConfig(name=system), lambda: CRNN(CRNNConfig(attention=attention))).to(dev)
    model.train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    kinds = ["strong"] * 6 + ["weak"] * 6 + ["unlabel"] * 12
    flag = lambda k: torch.tensor([x == k for x in kinds], device=dev)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--attention", default="none")
    parser.add_argument("--systems", nargs="+", default=["mt_total", "da", "mmt_da"])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
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
