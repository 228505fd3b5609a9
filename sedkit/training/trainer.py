"""The one training loop of sedkit: optimiser and schedule, epochs, validation, checkpoints, resume, logs,
distributed data parallelism. Tasks (SED, classification) plug in through a small interface:

- ``task.model``: an ``nn.Module`` holding every network (frozen ones have ``requires_grad=False``);
- ``task.batches(epoch, rank, world_size)`` and ``task.steps_per_epoch()``: the epoch's batches;
- ``task.training_step(batch, epoch, progress, device)``: named loss tensors with the total under ``loss``;
- ``task.after_optimizer_step(step)``: e.g. EMA teacher updates;
- ``task.validate(device)``: metrics with the one to maximise under ``score`` (for ``best.pt``);
- optionally ``task.checkpoint_extra()``: what inference needs besides weights (stored in checkpoints).

Checkpoints (``checkpoints/last.pt`` every epoch, ``best.pt`` on a new best score) are written atomically and
hold the resolved config, all weights (teachers included), the optimiser, the epoch/step counters and the
history. Every epoch starts by seeding torch from (seed, epoch) and the task draws its batches from (seed,
epoch), so a run resumed from ``last.pt`` ends with the same weights as an uninterrupted one (tested on
CPU). Under ``torchrun --nproc_per_node N`` each process takes every N-th row of each global batch and
gradients are averaged across processes after every backward pass (what DistributedDataParallel does),
gloo on CPU, nccl on GPU; only rank 0 validates, logs and writes checkpoints.
"""
from __future__ import annotations

import csv
import io
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Literal, Optional, Tuple

import torch

from sedkit.errors import InputError
from sedkit.io import atomic_write

__all__ = ["OptimConfig", "RunConfig", "Trainer", "distributed_context", "resolve_device"]


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule (SED defaults: the MMT-DA paper's Adam, 1e-3, 20-epoch ramp-up).

    ``schedule``: ``rampup`` (lr x exp(-5 (1 - t/T)^2) for t < ``rampup_epochs``, then constant), ``constant``,
    ``step`` (x ``gamma`` at each epoch in ``milestones``), ``cosine`` (to ``min_lr``), ``linear`` (to 0).
    """

    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = 1e-3
    betas: Tuple[float, float] = (0.9, 0.999)
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: Literal["rampup", "constant", "step", "cosine", "linear"] = "rampup"
    rampup_epochs: float = 20.0
    milestones: List[int] = field(default_factory=list)
    gamma: float = 0.1
    min_lr: float = 0.0
    grad_clip_norm: Optional[float] = None

    def lr_at(self, epoch: float, total_epochs: int) -> float:
        """Learning rate at fractional ``epoch``."""
        from sedkit.training.mean_teacher import sigmoid_rampup

        if self.schedule == "rampup":
            return self.lr * sigmoid_rampup(epoch, self.rampup_epochs)
        if self.schedule == "step":
            return self.lr * self.gamma ** sum(1 for m in self.milestones if epoch >= m)
        if self.schedule == "cosine":
            progress = min(epoch / total_epochs, 1.0)
            return self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress))
        if self.schedule == "linear":
            return self.lr * max(0.0, 1.0 - epoch / total_epochs)
        return self.lr


@dataclass
class RunConfig:
    """Length, seed and hardware of a run."""

    epochs: int = 100
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: bool = False
    validate_every: int = 1
    num_threads: Optional[int] = None
    energy: bool = True  # record each epoch's kWh (energy_kwh in metrics.csv) when CodeCarbon is installed


def _identity(config: dict) -> dict:
    """The parts of a run's config that define the experiment: all but where and how it runs (run.device,
    run.num_threads, run.energy), so a run started on 2 threads may resume on 1, or on another device."""
    run = {k: v for k, v in config.get("run", {}).items() if k not in ("device", "num_threads", "energy")}
    return {**config, "run": run}


def same_experiment(stored, current, defaults=None) -> bool:
    """Whether a finished or interrupted run's config (``stored``) and this one (``current``, both through
    :func:`_identity`) define the same experiment. A field that ``stored`` lacks (written by an older sedkit,
    before the field existed) counts as equal when ``current`` holds its default (from ``defaults``, the
    config class's defaults); any other difference, or a field ``current`` lacks, makes them differ."""
    if not (isinstance(stored, dict) and isinstance(current, dict)):
        return stored == current
    defaults = defaults if isinstance(defaults, dict) else {}
    for key in set(stored) | set(current):
        if key not in current:
            return False
        if key not in stored:
            if key not in defaults or defaults[key] != current[key]:
                return False
        elif not same_experiment(stored[key], current[key], defaults.get(key)):
            return False
    return True


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("run.device cuda: no CUDA device is available")
    return torch.device(name)


def distributed_context(device: torch.device) -> Tuple[int, int]:
    """(rank, world_size); initialises torch.distributed when started by torchrun (WORLD_SIZE > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), world


class Trainer:
    def __init__(self, task, optim: OptimConfig, run: RunConfig, exp_dir: str | Path, config: dict,
                 overwrite: bool = False, defaults: Optional[dict] = None, migrate=None):
        self.task, self.optim_config, self.run, self.config = task, optim, run, config
        self.defaults = defaults  # the config class's defaults: fields added since a run started (see same_experiment)
        self.migrate = migrate  # stored config -> today's keys (a run started before a key moved; config.from_dict)
        self.exp_dir = Path(exp_dir)
        self.device = resolve_device(run.device)
        if run.num_threads:
            torch.set_num_threads(run.num_threads)
        if self.device.type == "cuda" and "LOCAL_RANK" in os.environ:
            self.device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        self.rank, self.world = distributed_context(self.device)
        self.is_main = self.rank == 0
        self.model = task.model.to(self.device)
        self.parameters = [p for p in self.model.parameters() if p.requires_grad]
        # Parameters the task exempts from weight decay (MrKD's FCN phi) get a group of their own.
        exempt = {id(p) for p in getattr(task, "no_weight_decay", lambda: [])()}
        groups = [{"params": [p for p in self.parameters if id(p) not in exempt]}]
        if exempt:
            groups.append({"params": [p for p in self.parameters if id(p) in exempt], "weight_decay": 0.0})
        if optim.optimizer == "adam":
            self.optimizer = torch.optim.Adam(groups, lr=optim.lr, betas=tuple(optim.betas),
                                              weight_decay=optim.weight_decay)
        else:
            self.optimizer = torch.optim.SGD(groups, lr=optim.lr, momentum=optim.momentum,
                                             nesterov=optim.nesterov, weight_decay=optim.weight_decay)
        self.scaler = torch.amp.GradScaler("cuda", enabled=run.amp and self.device.type == "cuda")
        self.epoch, self.step, self.best_score, self.history = 0, 0, -math.inf, []
        self.checkpoints = self.exp_dir / "checkpoints"
        self.logger = self._make_logger()
        self._prepare_exp_dir(overwrite)

    # --- setup -------------------------------------------------------------------------------------------

    def _make_logger(self) -> logging.Logger:
        logger = logging.getLogger(f"sedkit.train.{id(self)}")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        if self.is_main:
            self.exp_dir.mkdir(parents=True, exist_ok=True)
            formatter = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")
            for handler in (logging.StreamHandler(), logging.FileHandler(self.exp_dir / "train.log")):
                handler.setFormatter(formatter)
                logger.addHandler(handler)
        return logger

    def _prepare_exp_dir(self, overwrite: bool) -> None:
        from sedkit.config import dump_yaml

        last = self.checkpoints / "last.pt"
        if last.exists() and not overwrite:
            state = torch.load(last, map_location="cpu", weights_only=False)
            if not same_experiment(_identity(self._migrated(state["config"])), _identity(self.config), self.defaults):
                raise InputError(f"{self.exp_dir}: holds another experiment (its config.yaml differs); "
                                 "use another --exp-dir or --overwrite")
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.epoch, self.step = state["epoch"], state["step"]
            self.best_score, self.history = state["best_score"], state["history"]
            self.logger.info(f"resuming from {last} at epoch {self.epoch}")
        elif overwrite and self.is_main:
            for name in ("last.pt", "best.pt"):
                (self.checkpoints / name).unlink(missing_ok=True)
        if self.is_main:
            with atomic_write(self.exp_dir / "config.yaml") as handle:
                handle.write(dump_yaml(self.config))

    # --- checkpoints -------------------------------------------------------------------------------------

    def _save(self, name: str) -> None:
        state = {"config": self.config, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "epoch": self.epoch, "step": self.step, "best_score": self.best_score, "history": self.history,
                 "extra": self.task.checkpoint_extra() if hasattr(self.task, "checkpoint_extra") else {}}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        with atomic_write(self.checkpoints / name, "wb") as handle:
            handle.write(buffer.getvalue())

    # --- the loop ----------------------------------------------------------------------------------------

    def _average_gradients(self) -> None:
        import torch.distributed as dist

        for parameter in self.parameters:
            if parameter.grad is None:
                parameter.grad = torch.zeros_like(parameter)
            dist.all_reduce(parameter.grad, op=dist.ReduceOp.SUM)
            parameter.grad /= self.world

    def fit(self) -> Dict[str, float]:

        total_epochs = self.run.epochs
        if self.epoch >= total_epochs:
            self.logger.info(f"{self.exp_dir}: already trained for {self.epoch} epochs; nothing to do")
            self._close_process_group()
            return self.history[-1] if self.history else {}
        steps = self.task.steps_per_epoch()
        trainable = sum(p.numel() for p in self.parameters)
        self.logger.info(f"training {self.exp_dir.name}: {trainable:,} trainable parameters, {steps} steps/epoch, "
                         f"epochs {self.epoch + 1}..{total_epochs}, device {self.device}, "
                         f"{self.world} process(es)")
        from sedkit.training.energy import EnergyMeter

        meter = EnergyMeter(enabled=self.is_main and self.run.energy)
        if meter.note:
            self.logger.info(meter.note)
        meter.start()
        try:
            self._epochs(steps, total_epochs, meter)
        finally:
            meter.stop()
        if self.is_main:
            self._plot_curves()
        self._close_process_group()
        return self.history[-1]

    def _migrated(self, stored: dict) -> dict:
        """A stored config in today's keys (``migrate``), or as it is where it does not load any more."""
        from sedkit.config import ConfigError

        if self.migrate is None:
            return stored
        try:
            return self.migrate(stored)
        except (ConfigError, InputError):
            return stored

    def _epochs(self, steps: int, total_epochs: int, meter) -> None:
        from tqdm import tqdm

        while self.epoch < total_epochs:
            meter.begin(f"epoch {self.epoch + 1}")
            started = time.perf_counter()
            torch.manual_seed(self.run.seed * 100003 + self.epoch)
            self.model.train()
            sums: Dict[str, float] = {}
            bar = tqdm(total=steps, desc=f"epoch {self.epoch + 1}/{total_epochs}", unit="step", leave=False,
                       disable=None if self.is_main else True)
            for index, batch in enumerate(self.task.batches(self.epoch, self.rank, self.world)):
                epoch_float = self.epoch + index / steps
                lr = self.optim_config.lr_at(epoch_float, total_epochs)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                with torch.autocast(self.device.type, enabled=self.run.amp and self.device.type == "cuda"):
                    terms = self.task.training_step(batch, epoch_float, epoch_float / total_epochs, self.device)
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(terms["loss"]).backward()
                if self.world > 1:
                    self._average_gradients()
                if self.optim_config.grad_clip_norm:
                    self.scaler.unscale_(self.optimizer)
                    torch.nn.utils.clip_grad_norm_(self.parameters, self.optim_config.grad_clip_norm)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.step += 1
                self.task.after_optimizer_step(self.step)
                for key, value in terms.items():
                    sums[key] = sums.get(key, 0.0) + float(value.detach())
                bar.update(1)
                bar.set_postfix(loss=f"{sums['loss'] / (index + 1):.4f}")
            bar.close()
            self.epoch += 1
            row = {"epoch": self.epoch, "step": self.step, "lr": lr, **{k: v / steps for k, v in sums.items()}}
            if self.is_main and (self.epoch % self.run.validate_every == 0 or self.epoch == total_epochs):
                self.model.eval()
                with torch.no_grad():
                    row.update({f"val_{k}": v for k, v in self.task.validate(self.device).items()})
            row["time_s"] = time.perf_counter() - started
            energy = meter.end()
            if energy is not None:
                row["energy_kwh"] = energy
            self.history.append(row)
            if self.is_main:
                improved = "val_score" in row and row["val_score"] > self.best_score
                if improved:
                    self.best_score = row["val_score"]
                self._save("last.pt")
                if improved:
                    self._save("best.pt")
                self._write_metrics()
                shown = ", ".join(f"{k} {v:.4f}" for k, v in row.items()
                                  if k not in ("epoch", "step", "time_s", "energy_kwh"))
                self.logger.info(f"epoch {self.epoch}: {shown} ({row['time_s']:.1f} s){' *best*' if improved else ''}")

    def _close_process_group(self) -> None:
        """Every rank waits for rank 0's last checkpoint, then leaves the process group.

        A rank that reached the interpreter's exit with the group still open could abort there ("terminate called
        without an active exception": gloo's threads torn down while joinable) while rank 0 still validated.
        """
        if self.world <= 1:
            return
        import torch.distributed as dist

        if dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()

    def _write_metrics(self) -> None:
        keys: List[str] = []
        for row in self.history:
            keys += [k for k in row if k not in keys]
        with atomic_write(self.exp_dir / "metrics.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=keys)
            writer.writeheader()
            writer.writerows(self.history)

    def _plot_curves(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        epochs = [row["epoch"] for row in self.history]
        bookkeeping = ("epoch", "step", "lr", "time_s", "energy_kwh")
        losses = [k for k in self.history[-1] if k not in bookkeeping and not k.startswith("val_")]
        scores = [k for k in self.history[-1] if k.startswith("val_")]
        fig, axes = plt.subplots(1, 2, figsize=(12, 4))
        for key in losses:
            axes[0].plot(epochs, [row.get(key, float("nan")) for row in self.history], label=key)
        axes[0].set(xlabel="epoch", ylabel="training loss", yscale="log")
        for key in scores:
            axes[1].plot(epochs, [row.get(key, float("nan")) for row in self.history], label=key)
        axes[1].set(xlabel="epoch", ylabel="validation")
        for ax in axes:
            ax.grid(alpha=0.3)
            if ax.get_lines():  # no validation set: the right panel stays empty, without a legend warning
                ax.legend(fontsize=7)
        fig.tight_layout()
        with atomic_write(self.exp_dir / "curves.png", "wb") as handle:
            fig.savefig(handle, format="png", dpi=80)
        plt.close(fig)
