"""Memory-replay knowledge distillation (MrKD; Wang et al., Sensors 2021).

The student theta learns from its own past: ``n_backups`` copies of its weights, refreshed every ``kappa``
(given in epochs, converted to steps): at the start of step t with t mod kappa = 0, backup_i <- backup_(i-1)
for i = n..2 and backup_1 <- theta (Algorithms 1-2); all start as theta_0. The backups' logits (no gradient,
eval mode) are combined by an FCN phi, Linear(nM, M) - ReLU - Linear(M, M) (``fcn_layers: 2``; 1: one
linear layer; L > 2: L linear layers with ReLU between them, Fig. 9), into z_ens. Knowledge Adjustment (KA, Sec. 3.4)
swaps z_ens's largest entry with the true class's when they differ, so the target's argmax is right (done
with gather/scatter, so it stays differentiable in phi). The loss (Eq. 8) is

    (1 - alpha) CE(p(theta; 1), q) + alpha tau^2 KL(p(z_correct; tau) || p(theta; tau)),

and phi is trained by the KL term only (Eq. 10): its gradient reaches phi through the target side. Without an
FCN (``fcn_layers: 0``) the backups teach as Eq. 6 writes it, the mean of one KL term per backup,

    (1 - alpha) CE + alpha tau^2 (1/n) sum_i KL(p(z_i; tau) || p(theta; tau))   (``plain_target: per_backup``),

(each z_i knowledge-adjusted when KA is on); ``plain_target: mean_logits`` instead takes one KL to the softmax
of the backups' averaged logits (sedkit's earlier reading; the gradients differ). Ablations: ``fcn_loss: kl``
(the paper's), ``ce`` (phi trained by CE(z_ens, y), KL target detached) or ``ce_kl`` (both; Table 4); Table
3's "plain" is ``fcn_layers: 0, knowledge_adjustment: false``, "w/o KA" is ``knowledge_adjustment: false``.
Defaults where the paper is silent (sedkit's choices, docs/papers.md): alpha 0.5, tau 3, kappa = epochs / 8,
ReLU in the FCN, no weight decay on phi.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Dict, Literal, Optional

import torch
import torch.nn.functional as F
from torch import nn

from sedkit.training.criteria import Criterion, register
from sedkit.training.distill.lsr import kl_div

__all__ = ["MrKDConfig", "MrKD", "knowledge_adjustment", "MrKDCriterion"]


@dataclass
class MrKDConfig:
    n_backups: int = 3
    kappa_epochs: Optional[float] = None  # null: epochs / 8
    alpha: float = 0.5
    tau: float = 3.0
    fcn_layers: int = 2  # 0: no FCN (Eq. 6); 1, 2 (the paper's), or more (Fig. 9)
    knowledge_adjustment: bool = True
    fcn_loss: Literal["kl", "ce", "ce_kl"] = "kl"
    plain_target: Literal["per_backup", "mean_logits"] = "per_backup"  # fcn_layers 0: Eq. 6, or one KL

    def __post_init__(self):
        from sedkit.errors import InputError

        if self.fcn_layers < 0 or self.n_backups < 1:
            raise InputError(f"mrkd: fcn_layers must be >= 0 and n_backups >= 1, got {self.fcn_layers}, "
                             f"{self.n_backups}")


def knowledge_adjustment(z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Swap each row's largest entry with its true-class entry (a no-op where they coincide)."""
    top = z.argmax(dim=1, keepdim=True)
    y = labels[:, None]
    z_top, z_true = z.gather(1, top), z.gather(1, y)
    return z.scatter(1, y, z_top).scatter(1, top, z_true)


class MrKD(nn.Module):
    """The MrKD criterion: holds the backups and the FCN; ``forward`` gives the loss terms."""

    def __init__(self, student: nn.Module, n_classes: int, config: MrKDConfig, kappa_steps: int):
        super().__init__()
        self.config, self.kappa_steps = config, max(1, int(kappa_steps))
        self.backups = nn.ModuleList(copy.deepcopy(student) for _ in range(config.n_backups))
        for backup in self.backups:
            backup.requires_grad_(False)
        width = config.n_backups * n_classes
        if config.fcn_layers == 0:
            self.fcn = None
        else:
            layers = [nn.Linear(width, n_classes)]
            for _ in range(config.fcn_layers - 1):
                layers += [nn.ReLU(), nn.Linear(n_classes, n_classes)]
            self.fcn = layers[0] if len(layers) == 1 else nn.Sequential(*layers)

    def train(self, mode: bool = True):
        super().train(mode)
        self.backups.eval()  # backups: running BatchNorm statistics, no dropout
        return self

    @torch.no_grad()
    def maybe_rotate(self, student: nn.Module, next_step: int) -> bool:
        """At the start of step ``next_step`` (1-based): rotate when next_step is a multiple of kappa."""
        if next_step % self.kappa_steps != 0:
            return False
        for i in range(len(self.backups) - 1, 0, -1):
            self.backups[i].load_state_dict(self.backups[i - 1].state_dict())
        self.backups[0].load_state_dict(student.state_dict())
        return True

    def backup_logits(self, x: torch.Tensor) -> list:
        with torch.no_grad():
            return [backup(x)["logits"] for backup in self.backups]

    def ensemble_logits(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.backup_logits(x)
        if self.fcn is None:
            return torch.stack(logits).mean(dim=0)
        return self.fcn(torch.cat(logits, dim=1))

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, x: torch.Tensor,
                labels_b: Optional[torch.Tensor] = None, lam: float = 1.0) -> Dict[str, torch.Tensor]:
        """Loss terms; with mixup (``labels_b``, ``lam``) the CE is mixed and KA uses the dominant label
        (``labels`` when ``lam >= 0.5``), the paper needing one label per clip (Wang et al. 2021, Algorithm 2)."""
        c = self.config
        ce = F.cross_entropy(logits, labels)
        if labels_b is not None:
            ce = lam * ce + (1 - lam) * F.cross_entropy(logits, labels_b)
            labels = labels if lam >= 0.5 else labels_b
        log_student = F.log_softmax(logits / c.tau, dim=1)
        adjust = (lambda z: knowledge_adjustment(z, labels)) if c.knowledge_adjustment else (lambda z: z)
        if self.fcn is None and c.plain_target == "per_backup":  # Eq. 6: one KL term per backup, averaged
            backups = self.backup_logits(x)
            kd = sum(kl_div(F.softmax(adjust(z) / c.tau, dim=1), log_student) for z in backups) / len(backups)
            z_ens = None
        else:
            z_ens = self.ensemble_logits(x)
            target = F.softmax(adjust(z_ens) / c.tau, dim=1)
            if c.fcn_loss == "ce":
                target = target.detach()
            kd = kl_div(target, log_student)
        loss = (1 - c.alpha) * ce + c.alpha * c.tau ** 2 * kd
        terms = {"ce": ce, "kd": kd}
        if c.fcn_loss in ("ce", "ce_kl") and self.fcn is not None and z_ens is not None:
            terms["fcn_ce"] = F.cross_entropy(z_ens, labels)
            loss = loss + terms["fcn_ce"]
        terms["loss"] = loss
        return terms


@register("mrkd", section="mrkd", config_class=MrKDConfig)
class MrKDCriterion(Criterion):
    """MrKD as a classification method: the :class:`MrKD` module (backups and FCN, checkpoint module
    ``criterion``), its rotation after every optimiser step, its FCN phi without weight decay (sedkit's choice:
    the paper regularises the student; phi only combines its backups)."""

    def __init__(self, name, config: MrKDConfig, context):
        super().__init__(name, config, context)
        kappa_epochs = config.kappa_epochs if config.kappa_epochs is not None else context.run.epochs / 8
        self.module = MrKD(context.net, context.n_classes, config, round(kappa_epochs * context.steps_per_epoch))

    def modules(self):
        return {"criterion": self.module}

    def loss(self, batch, device) -> Dict[str, torch.Tensor]:
        x, y = self.tensors(batch, device, "x", "y")
        y_b = self.tensors(batch, device, "y_b")[0] if "y_b" in batch else None
        return self.module(self.context.net(x)["logits"], y, x, y_b, float(batch.get("lam", 1.0)))

    def after_optimizer_step(self, step: int) -> None:
        self.module.maybe_rotate(self.context.net, step + 1)

    def no_weight_decay(self):
        return list(self.module.fcn.parameters()) if self.module.fcn is not None else []
