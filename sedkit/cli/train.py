"""Train a SED system (MT, DA, MT-DA, MMT-DA, fixed teacher) or, with `task: classification`, a clip
classifier with a distillation criterion (CE, LSR, Tf-KD, LSR-OS, LSR-OS-TC, MrKD).

CONF.yaml has sections data, model, system, optim, run, postprocess (see docs/training.md and
`sedkit train --dump-config`); section.key=value tokens override it. Writes DIR/config.yaml, train.log,
metrics.csv, curves.png and checkpoints/{last,best}.pt. Rerunning the same command resumes an interrupted
run; an experiment folder holding another config is refused unless --overwrite.
Distributed: torchrun --nproc_per_node N -m sedkit.cli.main train ... (gloo on CPU, nccl on GPU).

examples:
  sedkit train --config conf/mmt_da_tsp.yaml --exp-dir exp/mmt_da_tsp_seed1 run.seed=1
  sedkit train --config conf/da.yaml --exp-dir exp/da optim.lr=5e-4 run.epochs=50
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", metavar="SECTION.KEY=VALUE", help="config overrides")
    parser.add_argument("--config", metavar="YAML", action="append",
                        help="experiment config; repeat to layer files (later ones override earlier ones)")
    parser.add_argument("--exp-dir", metavar="DIR", help="experiment folder")
    parser.add_argument("--overwrite", action="store_true", help="start over in an existing experiment folder")
    parser.add_argument("--dump-config", action="store_true", help="print the resolved config and exit")


def _task_kind(args: argparse.Namespace) -> str:
    """``task:`` of the layered config files and overrides (sed when absent)."""
    from sedkit.config import apply_overrides, load_yaml, merge

    data: dict = {}
    for path in args.config or []:
        data = merge(data, load_yaml(path))
    return str(apply_overrides(data, args.overrides).get("task", "sed"))


def run(args: argparse.Namespace) -> int:
    from sedkit.config import dump_yaml, from_dict, load_config, to_dict
    from sedkit.errors import InputError
    from sedkit.training.trainer import Trainer

    kind = _task_kind(args)
    if kind == "classification":
        from sedkit.training.classification import ClassificationExperimentConfig as Config
        from sedkit.training.classification import ClassificationTask as Task
    elif kind == "sed":
        from sedkit.training.sed import SEDExperimentConfig as Config
        from sedkit.training.sed import SEDTask as Task
    else:
        raise InputError(f"task: {kind!r}; expected sed or classification")
    config = load_config(Config, args.config, [o for o in args.overrides if not o.startswith("task=")])
    if args.dump_config:
        sys.stdout.write(dump_yaml(to_dict(config)))
        return 0
    if not args.exp_dir:
        raise InputError("--exp-dir is required")
    task = Task(config, args.exp_dir)
    trainer = Trainer(task, config.optim, config.run, args.exp_dir, to_dict(config), overwrite=args.overwrite,
                      defaults=to_dict(Config()), migrate=lambda stored: to_dict(from_dict(Config, stored)))
    from sedkit.models.registry import count_parameters

    networks = task.system.nets if hasattr(task, "system") else task.modules
    for name, net in networks.items():
        trainable = count_parameters(net)
        total = trainable or sum(p.numel() for p in net.parameters())
        trainer.logger.info(f"network {name}: {total:,} parameters{'' if trainable else ' (frozen)'}")
    last = trainer.fit()
    if trainer.is_main and last:
        print(f"{args.exp_dir}: {trainer.epoch} epochs; best validation score {trainer.best_score:.4f}")
    return 0
