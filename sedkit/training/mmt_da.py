"""The SED training systems of the MMT-DA paper (Tables 1 and 2), registered by name (``system.name``).

A system is a :class:`SEDSystem` subclass (its networks and its loss terms) plus :class:`SystemTraits`,
registered with :func:`register_system`; the SED task builds whichever ``system.name`` names
(:func:`build_system`) and names none itself. The single-student systems share :class:`SingleStudent`, whose
traits say what they hold; MMT-DA is :class:`MMTDA`. A new system is one registration (traits, and a class
where its loss is new) plus one config.

| ``system.name`` | networks | loss per batch |
|---|---|---|
| ``mt_real`` | student + EMA teacher | L_W + w(t) L_consist, real clips only (Eq. 1) |
| ``mt_total`` | student + EMA teacher | L_S + L_W + w(t) L_consist |
| ``da`` | student + domain classifier (GRL) | L_S + L_W + w_d L_D |
| ``mt_da`` | student + GRL + EMA teacher | L_S + L_W + w_d L_D + w(t) L_consist |
| ``mmt_da`` | DA student/teacher + GRL, SSL student/teacher | Eq. 6 (SSL) + Eq. 7 (DA) |
| ``fixed_teacher`` | student (+ GRL if ``fixed_teacher.student_grl``) + frozen pretrained teacher | (a) |
| ``supervised`` | student | L_S + L_W (b) |

(a) As the student's system, with the frozen teacher as consistency target (Table 2).
(b) On whatever labelled clips the batches hold: sedkit's bounds, not in the paper (``source_only`` on
synthetic strong clips only, ``oracle`` on real-domain strong labels).

``L_S``: frame BCE on strongly labelled (synthetic) clips; ``L_W``: clip BCE on weakly labelled clips;
``L_D``: domain BCE (1 = synthetic) through the GRL; ``L_consist``: MSE between student and detached
teacher outputs (frame and clip) on ``x_u`` — the real clips without strong labels (weak and unlabelled,
``consistency_on: real_unlabeled``) or only the unlabelled ones. In MMT-DA (Eqs. 4-5) the SSL student is
taught by the **DA teacher** and the DA student by the **SSL teacher**; the DA pair sees synthetic and real
clips, the SSL pair only real ones. The two students' losses touch disjoint parameters, so one Adam over
both equals two optimisers. Teachers run in eval mode without gradients (deterministic targets; their
BatchNorm statistics are the EMA of the student's).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from sedkit.models.grl import DomainClassifier
from sedkit.registry import Registry, definition_place
from sedkit.training.mean_teacher import consistency_loss, ema_update, make_teacher, sigmoid_rampup

__all__ = ["SystemConfig", "FixedTeacherConfig", "MMTDAConfig",
           "SEDSystem", "SingleStudent", "MMTDA", "SystemTraits", "register_system", "build_system",
           "system_names", "system_entry"]



@dataclass(frozen=True)
class SystemTraits:
    """What a system is made of: an EMA teacher, a domain classifier (GRL) on the student, synthetic clips in
    the student's batches, a frozen pretrained teacher, and the network it is scored on. ``None``: set by
    ``system.fixed_teacher.student_grl``)."""

    ema_teacher: bool
    grl: Optional[bool]
    synthetic: Optional[bool]
    evaluated: str
    fixed_teacher: bool = False


SYSTEMS = Registry("system", "system.name")


def register_system(name: str, traits: SystemTraits, system_class: Optional[type] = None):
    """Register a system once: ``name`` (``system.name``), its traits, and the class computing its losses
    (:class:`SingleStudent`: one student as the traits say). Usable as a class decorator
    (``@register_system("x", traits)``) or called with the class."""
    caller = sys._getframe(1)

    def wrap(cls):
        # decorated: the class's definition; called with a class: the line that registered it
        where = (f"{caller.f_code.co_filename}:{caller.f_lineno}" if system_class is not None
                 else definition_place(cls))
        SYSTEMS.register(name, (cls, traits), where)
        return cls
    return wrap(system_class) if system_class is not None else wrap


def system_names() -> List[str]:
    return SYSTEMS.names()


def system_entry(name: str) -> Tuple[type, SystemTraits]:
    """(class, traits) of the system registered under ``name``."""
    return SYSTEMS.get(name)


@dataclass
class FixedTeacherConfig:
    """``system.fixed_teacher`` (Table 2's systems): the frozen pretrained teacher and the student it teaches.

    Attributes:
        checkpoint: checkpoint of the pretrained teacher (required).
        network: which network of that checkpoint teaches (default: the one it evaluates).
        student_grl: the student is a DA model (GRL, all data: "Base to GRL") or a base CRNN on real data
            ("GRL to Base").
    """

    checkpoint: Optional[str] = None
    network: Optional[str] = None
    student_grl: bool = True


@dataclass
class MMTDAConfig:
    """``system.mmt_da``: options of mutual mean teaching beyond the paper.

    Attributes:
        ssl_strong_labels: a control, not in the paper: the SSL student also gets the frame BCE on the
            unlabelled real clips from ``data.unlabel_strong_labels`` (real-domain strong labels the DA branch
            never sees), so the SSL branch holds information the DA branch lacks.
    """

    ssl_strong_labels: bool = False


SYSTEM_SECTIONS = {"fixed_teacher": FixedTeacherConfig, "mmt_da": MMTDAConfig}  # section -> its system's name
_MOVED_TO_SECTIONS = {"teacher_checkpoint": ("fixed_teacher", "checkpoint"),
                      "teacher_network": ("fixed_teacher", "network"),
                      "student_grl": ("fixed_teacher", "student_grl"),
                      "ssl_strong_labels": ("mmt_da", "ssl_strong_labels")}


@dataclass
class SystemConfig:
    """Which system, and its loss weights (paper Sec. 4.3 unless marked as a sedkit default); the options of one
    system only live in its section (``system.fixed_teacher``, ``system.mmt_da``).

    Attributes:
        name: one of mt_real, mt_total, da, mt_da, mmt_da, fixed_teacher, supervised.
        w_d: domain-loss weight (paper: 0.05).
        grl_weight: gradient-reversal factor lambda (sedkit default 1, constant).
        grl_schedule: ``constant`` or ``ganin``: lambda * (2 / (1 + exp(-10 p)) - 1), p = training progress.
        domain_hidden, domain_dropout: the domain classifier on the student's ``domain_features`` (not in the
            paper; sedkit defaults 128 hidden units, dropout 0.5; docs/models.md).
        max_consistency_weight: w(t) after the ramp-up (paper: 1).
        consistency_rampup_epochs: ramp-up length of w(t) (paper: 20 epochs).
        ema_decay: EMA decay of the teachers (sedkit default 0.999, as the DCASE baseline).
        consistency_on: ``real_unlabeled`` (weak + unlabelled clips) or ``unlabeled_only``.
        pseudo_labels: ``soft`` (MSE on probabilities) or ``hard`` (BCE on thresholded teacher outputs).
        hard_threshold: threshold for hard pseudo labels (sedkit default 0.5).
        evaluate: network used for validation, checkpoints' "best" and inference (default: da_teacher for
            mmt_da as the paper reports, teacher for mt_*, student for da and fixed_teacher).
        input_noise_std: systems with an EMA teacher only: Gaussian noise of this standard deviation added to
            the normalised log-mel input of every student and every teacher pass, an independent draw each
            (mean teaching perturbs the two inputs independently, eta and eta': Tarvainen & Valpola 2017,
            Sec. 2; their ConvNet's input noise is sigma = 0.15, the value of Laine & Aila 2017's Pi model,
            taken as sedkit's default; the MMT-DA paper names no perturbation). 0: student and teacher see
            the identical input and only dropout differs (sedkit before 2026-12-04).
        fixed_teacher: :class:`FixedTeacherConfig` (system fixed_teacher only).
        mmt_da: :class:`MMTDAConfig` (system mmt_da only).
    """

    name: str = "mmt_da"
    w_d: float = 0.05
    grl_weight: float = 1.0
    grl_schedule: Literal["constant", "ganin"] = "constant"
    domain_hidden: int = 128
    domain_dropout: float = 0.5
    max_consistency_weight: float = 1.0
    consistency_rampup_epochs: float = 20.0
    ema_decay: float = 0.999
    consistency_on: Literal["real_unlabeled", "unlabeled_only"] = "real_unlabeled"
    pseudo_labels: Literal["soft", "hard"] = "soft"
    hard_threshold: float = 0.5
    evaluate: Optional[str] = None
    input_noise_std: float = 0.15
    fixed_teacher: FixedTeacherConfig = field(default_factory=FixedTeacherConfig)
    mmt_da: MMTDAConfig = field(default_factory=MMTDAConfig)

    @staticmethod
    def config_migrations(data: dict) -> dict:
        """Options of one system moved into its section (2026-12-04): ``teacher_checkpoint``,
        ``teacher_network``, ``student_grl`` -> ``fixed_teacher.*``; ``ssl_strong_labels`` -> ``mmt_da.*``."""
        for key, (section, name) in _MOVED_TO_SECTIONS.items():
            if key in data:
                value = data.pop(key)
                data[section] = {**(data.get(section) or {}), name: value}
        return data

    def __post_init__(self):
        from sedkit.config import ConfigError

        system_entry(self.name)  # a registered system
        if self.input_noise_std < 0:
            raise ConfigError(f"system.input_noise_std {self.input_noise_std}: must be >= 0")
        for section, config_class in SYSTEM_SECTIONS.items():
            if section != self.name and getattr(self, section) != config_class():
                raise ConfigError(f"system.{section}: options of system {section} only, not of {self.name}")

    @property
    def traits(self) -> SystemTraits:
        return system_entry(self.name)[1]

    @property
    def evaluated_network(self) -> str:
        return self.evaluate or self.traits.evaluated

    @property
    def uses_grl(self) -> bool:
        grl = self.traits.grl
        return self.fixed_teacher.student_grl if grl is None else grl

    @property
    def sees_synthetic(self) -> bool:
        """Whether the student's batches include synthetic clips (its L_S term)."""
        synthetic = self.traits.synthetic
        return self.fixed_teacher.student_grl if synthetic is None else synthetic

    @property
    def needs_teacher(self) -> bool:
        """Whether the system is taught by a frozen pretrained network (``fixed_teacher.checkpoint``)."""
        return self.traits.fixed_teacher


def _masked_bce(probs: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    if not bool(mask.any()):
        return probs.new_zeros(())
    return F.binary_cross_entropy(probs[mask], targets[mask])


class SEDSystem(nn.Module):
    """All networks of one system and the computation of its losses on a batch: the shared parts. A system is
    a subclass that builds its networks (:meth:`build`) and computes its loss terms (:meth:`losses`), registered
    by :func:`register_system`; :func:`build_system` makes the one ``system.name`` names."""

    teachers_in_eval = ("teacher", "da_teacher", "ssl_teacher", "fixed_teacher")

    def __init__(self, config: SystemConfig, build_network, teacher: Optional[nn.Module] = None):
        super().__init__()
        self.config = config
        self.nets = nn.ModuleDict()
        self.build(build_network)
        if config.uses_grl:
            student = self.nets[self.domain_student]
            self.nets["domain"] = DomainClassifier(student.domain_feature_dim, config.domain_hidden,
                                                   config.domain_dropout)
        if config.needs_teacher:
            if teacher is None:
                raise ValueError(f"{config.name} needs a pretrained teacher network")
            self.nets["fixed_teacher"] = teacher
            for parameter in teacher.parameters():
                parameter.requires_grad_(False)
        if config.evaluated_network not in self.nets:
            from sedkit.errors import InputError

            raise InputError(f"system.evaluate: {config.name} has no network {config.evaluated_network!r}; "
                             f"it has {', '.join(n for n in self.nets if n != 'domain')}")

    domain_student = "student"  # the network the domain classifier reads (GRL)

    def build(self, build_network) -> None:
        """Add the system's networks to ``self.nets`` (``build_network()`` makes one)."""
        raise NotImplementedError

    @property
    def ema_pairs(self) -> List[Tuple[str, str]]:
        """(teacher, student) names of the EMA pairs, updated after every optimiser step."""
        return []

    def losses(self, batch: Dict[str, torch.Tensor], epoch: float, progress: float) -> Dict[str, torch.Tensor]:
        """Named loss terms and ``loss`` (their weighted total) for one batch."""
        raise NotImplementedError

    def evaluated(self) -> nn.Module:
        return self.nets[self.config.evaluated_network]

    def train(self, mode: bool = True):
        super().train(mode)
        for name in self.teachers_in_eval:
            if name in self.nets:
                self.nets[name].eval()
        return self

    def after_optimizer_step(self, step: int) -> None:
        for teacher, student in self.ema_pairs:
            ema_update(self.nets[teacher], self.nets[student], self.config.ema_decay, step)

    def weights(self, epoch: float, progress: float) -> Tuple[float, float]:
        """(consistency weight w(t), GRL factor) at fractional ``epoch`` / training ``progress`` in [0, 1]."""
        c = self.config
        w = c.max_consistency_weight * sigmoid_rampup(epoch, c.consistency_rampup_epochs)
        grl = c.grl_weight
        if c.grl_schedule == "ganin":
            grl *= 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0
        return w, grl

    def _perturbed(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with its own draw of input noise (``input_noise_std``; EMA-teacher systems only). Drawn from
        torch's generator, which the trainer seeds per epoch, so a resumed run draws the same noise."""
        std = self.config.input_noise_std
        if std <= 0 or not self.config.traits.ema_teacher or not self.training:
            return x
        return x + std * torch.randn_like(x)

    def _teacher_targets(self, name: str, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        with torch.no_grad():
            out = self.nets[name](self._perturbed(x))
        return {"frame": out["frame"], "clip": out["clip"]}

    def _consistency(self, student_out, teacher_out) -> torch.Tensor:
        c = self.config
        return consistency_loss(student_out, teacher_out, hard=c.pseudo_labels == "hard", threshold=c.hard_threshold)

    def _supervised(self, out, batch, rows=None) -> Tuple[torch.Tensor, torch.Tensor]:
        pick = (lambda t: t) if rows is None else (lambda t: t[rows])
        strong = _masked_bce(out["frame"], pick(batch["strong"]), pick(batch["is_strong"]))
        weak = _masked_bce(out["clip"], pick(batch["weak"]), pick(batch["is_weak"]))
        return strong, weak

    def _domain(self, out, batch, grl: float) -> torch.Tensor:
        logits = self.nets["domain"](out["domain_features"], grl)
        return F.binary_cross_entropy_with_logits(logits, batch["is_synthetic"].float())

    def _consistency_rows(self, batch) -> torch.Tensor:
        """The real clips without strong labels that the consistency terms use (``consistency_on``)."""
        x_u = batch["is_unlabel"] | (batch["is_weak"] & (self.config.consistency_on == "real_unlabeled"))
        return x_u & ~batch["is_synthetic"]


class SingleStudent(SEDSystem):
    """One student, with what the traits give it: an EMA teacher, the GRL, synthetic clips, a frozen
    teacher (mt_real, mt_total, da, mt_da, fixed_teacher, supervised)."""

    def build(self, build_network) -> None:
        self.nets["student"] = build_network()
        if self.config.traits.ema_teacher:
            self.nets["teacher"] = make_teacher(self.nets["student"])

    @property
    def ema_pairs(self) -> List[Tuple[str, str]]:
        return [("teacher", "student")] if "teacher" in self.nets else []

    def losses(self, batch: Dict[str, torch.Tensor], epoch: float, progress: float) -> Dict[str, torch.Tensor]:
        c = self.config
        w, grl = self.weights(epoch, progress)
        x, x_u = batch["x"], self._consistency_rows(batch)
        terms: Dict[str, torch.Tensor] = {}
        zero = x.new_zeros(())
        sees_synthetic = c.sees_synthetic
        rows = None if sees_synthetic else torch.nonzero(~batch["is_synthetic"]).squeeze(1)
        out = self.nets["student"](self._perturbed(x if rows is None else x[rows]))
        terms["L_S"], terms["L_W"] = self._supervised(out, batch, rows)
        total = terms["L_W"] + (terms["L_S"] if sees_synthetic else zero)
        if "domain" in self.nets:
            terms["L_D"] = self._domain(out, batch, grl)
            total = total + c.w_d * terms["L_D"]
        teacher = "teacher" if "teacher" in self.nets else ("fixed_teacher" if "fixed_teacher" in self.nets else None)
        if teacher is not None:
            if bool(x_u.any()):
                u_rows = torch.nonzero(x_u).squeeze(1)
                student_rows = x_u if rows is None else x_u[rows]
                targets = self._teacher_targets(teacher, x[u_rows])
                terms["L_consist"] = self._consistency({k: out[k][student_rows] for k in ("frame", "clip")}, targets)
            else:
                terms["L_consist"] = zero
            total = total + w * terms["L_consist"]
        terms["loss"] = total
        return terms


class MMTDA(SEDSystem):
    """Mutual mean teaching (Eqs. 4-7): a DA pair (student and EMA teacher, GRL, synthetic and real clips) and
    an SSL pair (real clips only), each student taught by the other pair's teacher."""

    domain_student = "da_student"

    def build(self, build_network) -> None:
        self.nets["da_student"], self.nets["ssl_student"] = build_network(), build_network()
        self.nets["da_teacher"] = make_teacher(self.nets["da_student"])
        self.nets["ssl_teacher"] = make_teacher(self.nets["ssl_student"])

    @property
    def ema_pairs(self) -> List[Tuple[str, str]]:
        return [("da_teacher", "da_student"), ("ssl_teacher", "ssl_student")]

    def losses(self, batch: Dict[str, torch.Tensor], epoch: float, progress: float) -> Dict[str, torch.Tensor]:
        c = self.config
        w, grl = self.weights(epoch, progress)
        x, x_u = batch["x"], self._consistency_rows(batch)
        real = ~batch["is_synthetic"]
        terms: Dict[str, torch.Tensor] = {}
        zero = x.new_zeros(())
        da_out = self.nets["da_student"](self._perturbed(x))
        real_rows = torch.nonzero(real).squeeze(1)
        ssl_out = self.nets["ssl_student"](self._perturbed(x[real_rows]))
        terms["da_L_S"], terms["da_L_W"] = self._supervised(da_out, batch)
        terms["da_L_D"] = self._domain(da_out, batch, grl)
        terms["ssl_L_W"] = self._supervised(ssl_out, batch, real_rows)[1]
        ssl_total = terms["ssl_L_W"]
        if c.mmt_da.ssl_strong_labels:  # the control: real-domain strong labels for the SSL branch only
            terms["ssl_L_S"] = _masked_bce(ssl_out["frame"], batch["strong"][real_rows], batch["is_oracle"][real_rows])
            ssl_total = ssl_total + terms["ssl_L_S"]
        if bool(x_u.any()):
            u_rows = torch.nonzero(x_u).squeeze(1)
            u_in_real = x_u[real_rows]
            da_teacher = self._teacher_targets("da_teacher", x[u_rows])
            ssl_teacher = self._teacher_targets("ssl_teacher", x[u_rows])
            terms["L_MMT"] = self._consistency({k: ssl_out[k][u_in_real] for k in ("frame", "clip")}, da_teacher)
            terms["L_MMT'"] = self._consistency({k: da_out[k][u_rows] for k in ("frame", "clip")}, ssl_teacher)
        else:
            terms["L_MMT"] = terms["L_MMT'"] = zero
        ssl_total = ssl_total + w * terms["L_MMT"]  # Eq. 6
        da_total = terms["da_L_S"] + terms["da_L_W"] + c.w_d * terms["da_L_D"] + w * terms["L_MMT'"]  # Eq. 7
        terms["loss"] = ssl_total + da_total
        return terms


def build_system(config: SystemConfig, build_network, teacher: Optional[nn.Module] = None) -> SEDSystem:
    """The system ``config.name`` with its networks (``build_network()`` makes one; ``teacher``: the frozen
    pretrained network of a system that needs one)."""
    return system_entry(config.name)[0](config, build_network, teacher)


for _name, _traits in {
    "mt_real": SystemTraits(ema_teacher=True, grl=False, synthetic=False, evaluated="teacher"),
    "mt_total": SystemTraits(ema_teacher=True, grl=False, synthetic=True, evaluated="teacher"),
    "da": SystemTraits(ema_teacher=False, grl=True, synthetic=True, evaluated="student"),
    "mt_da": SystemTraits(ema_teacher=True, grl=True, synthetic=True, evaluated="teacher"),
    "fixed_teacher": SystemTraits(ema_teacher=False, grl=None, synthetic=None, evaluated="student",
                                  fixed_teacher=True),
    "supervised": SystemTraits(ema_teacher=False, grl=False, synthetic=True, evaluated="student"),
}.items():
    register_system(_name, _traits, SingleStudent)
register_system("mmt_da", SystemTraits(ema_teacher=True, grl=True, synthetic=True, evaluated="da_teacher"), MMTDA)
