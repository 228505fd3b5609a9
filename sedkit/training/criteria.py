"""Classification methods behind one interface, found by name (as :mod:`sedkit.models.registry` finds networks).

A *criterion* is what a classification method adds to the plain network ``net`` (the network
``sedkit classify`` scores): the networks or state it trains or holds beside it, how it changes a batch,
its loss on a training step, what it does after each optimiser step, which parameters skip weight decay
and which networks it reports. :class:`~sedkit.training.classification.ClassificationTask` calls only this
interface and names no method; adding one is a module with a :class:`Criterion` subclass registered by
:func:`register` and a config that selects it (``criterion.name``, its options under
``criterion.<section>``)::

    @dataclass
    class ToyConfig:
        weight: float = 1.0

    @register("toy", section="toy", config_class=ToyConfig)
    class Toy(Criterion):
        def loss(self, batch, device):
            ...

The built-in methods register themselves in :mod:`sedkit.training.distill` (``lsr``: CE and the LSR family;
``mrkd``; ``cutnmix``; ``unikd``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, List, Tuple, Type

import numpy as np
import torch
from torch import nn

from sedkit.data.augment import mixup_clips
from sedkit.errors import InputError
from sedkit.registry import Registry, RegistryError, definition_place

__all__ = ["Criterion", "CriterionContext", "register", "criterion_class", "criterion_names",
           "criterion_config_class", "build_criterion"]


@dataclass
class CriterionContext:
    """What a criterion may use of its task.

    ``net``: the network scored by ``sedkit classify`` (module ``net`` of the checkpoint);
    ``build_network()``: a new network of the same model and config (peers, ...); ``data`` / ``run``: the
    experiment's ``data`` and ``run`` sections; ``train``: the training :class:`~sedkit.data.datasets.ClipTable`;
    ``stats``: the feature statistics batches are normalised with; ``steps_per_epoch``; ``exp_dir``."""

    net: nn.Module
    build_network: Callable[[], nn.Module]
    classes: List[str]
    data: Any
    run: Any
    train: Any
    stats: Any
    steps_per_epoch: int
    exp_dir: Path

    @property
    def n_classes(self) -> int:
        return len(self.classes)


class Criterion:
    """One classification method. Subclasses override what their method changes; the defaults are plain
    training of ``net`` (the loss itself, :meth:`loss`, is always the subclass's).

    Class attributes: ``accepts_mixup`` (whether ``data.mixup_alpha`` may be used with it: the task then mixes
    the batches, :func:`~sedkit.data.augment.mixup_clips`, and the loss gets ``y_b`` and ``lam``) and
    ``accepts_distort`` (whether ``data.distort`` may be used: the base augmentation applied to every batch
    before :meth:`prepare_batch`).
    """

    accepts_mixup: ClassVar[bool] = True
    accepts_distort: ClassVar[bool] = True

    def __init__(self, name: str, config: Any, context: CriterionContext):
        self.name, self.config, self.context = name, config, context

    def modules(self) -> Dict[str, nn.Module]:
        """Networks and state trained or held beside ``net``, saved in its checkpoints under these names."""
        return {}

    def prepare_batch(self, batch: dict, epoch: int, step: int) -> dict:
        """The batch the loss sees, from the task's (``x`` normalised clips, ``y`` class indices, ``rows``
        their rows in the training table); by default mixup when ``data.mixup_alpha`` > 0."""
        alpha = self.context.data.mixup_alpha
        if alpha > 0:
            return mixup_clips(batch, alpha, np.random.default_rng([self.context.run.seed, epoch, step, 11]))
        return batch

    def loss(self, batch: dict, device: torch.device) -> Dict[str, torch.Tensor]:
        """Named loss terms of one training step, their total as ``loss``."""
        raise NotImplementedError

    @staticmethod
    def tensors(batch: dict, device: torch.device, *keys: str) -> List[torch.Tensor]:
        """``batch[key]`` on ``device`` for each key (numpy arrays from :meth:`prepare_batch`)."""
        return [torch.from_numpy(np.asarray(batch[key])).to(device) for key in keys]

    def after_optimizer_step(self, step: int) -> None:
        """Called after each optimiser step; ``step``: the steps taken so far (1-based: 1 after the first), as
        :class:`~sedkit.training.trainer.Trainer` counts them (MrKD rotates its backups on it)."""

    def no_weight_decay(self) -> List[nn.Parameter]:
        """Parameters trained without weight decay whatever ``optim.weight_decay`` says."""
        return []

    @classmethod
    def scored_modules(cls, config: Any) -> List[str]:
        """The checkpoint modules that are networks to report, the scored one (``net``) first."""
        return ["net"]

    def scored_networks(self) -> List[nn.Module]:
        nets = {"net": self.context.net, **self.modules()}
        return [nets[name] for name in self.scored_modules(self.config)]


def _load_builtin() -> None:
    import sedkit.training.distill.cutnmix  # noqa: F401  (each registers itself)
    import sedkit.training.distill.lsr  # noqa: F401
    import sedkit.training.distill.mrkd  # noqa: F401
    import sedkit.training.distill.unikd  # noqa: F401


# criterion.name -> (class, config section); criterion.<section> -> its config dataclass
CRITERIA = Registry("criterion", "criterion.name", _load_builtin)
SECTIONS = Registry("criterion section", "criterion")


def register(*names: str, section: str, config_class: type) -> Callable:
    """Class decorator: ``criterion.name`` values served by the class, and the ``criterion.<section>`` holding
    its options (a dataclass, shared by the names of one family; registered once)."""
    def wrap(cls):
        where = definition_place(cls)
        for name in names:
            CRITERIA.register(name, (cls, section), where)
        if section in SECTIONS._entries:
            if SECTIONS._entries[section][0] is not config_class:
                raise RegistryError(f"criterion section {section!r} is registered twice with different configs: "
                                    f"at {SECTIONS._entries[section][1]} and at {where}")
        else:
            SECTIONS.register(section, config_class, where)
        return cls
    return wrap


def criterion_names() -> List[str]:
    return CRITERIA.names()


def criterion_class(name: str) -> Tuple[Type[Criterion], str]:
    """(criterion class, name of its config section) registered under ``name``."""
    return CRITERIA.get(name)


_CONFIG_CLASSES: Dict[tuple, type] = {}


def criterion_config_class() -> type:
    """The ``criterion:`` section's dataclass: ``name`` plus one field per registered section, each typed by its
    criterion's config class (so ``sedkit train --dump-config`` shows every option with its default)."""
    CRITERIA.names()  # the built-in criteria registered
    sections = {name: SECTIONS.get(name) for name in SECTIONS.names()}
    key = tuple(sorted((section, id(cls)) for section, cls in sections.items()))
    if key not in _CONFIG_CLASSES:
        def check(self):
            criterion_class(self.name)

        fields = [("name", str, dataclasses.field(default="ce"))]
        fields += [(section, cls, dataclasses.field(default_factory=cls)) for section, cls in sorted(sections.items())]
        _CONFIG_CLASSES[key] = dataclasses.make_dataclass("CriterionConfig", fields, namespace={"__post_init__": check})
    return _CONFIG_CLASSES[key]


def build_criterion(config: Any, context: CriterionContext) -> Criterion:
    """The criterion ``config.name`` (``config``: the ``criterion:`` section) for a task."""
    cls, section = criterion_class(config.name)
    data = context.data  # refused before anything is built (peers, teachers)
    if data.mixup_alpha > 0 and not cls.accepts_mixup:
        raise InputError(f"data.mixup_alpha: criterion {config.name} makes its own batches; mixup applies to "
                         f"{', '.join(n for n in criterion_names() if criterion_class(n)[0].accepts_mixup)}")
    if data.distort and not cls.accepts_distort:
        raise InputError(f"data.distort: criterion {config.name} needs unaugmented batches")
    return cls(config.name, getattr(config, section), context)
