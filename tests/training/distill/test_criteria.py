import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sedkit.training.distill.lsr import LSRConfig, handmade_teacher, kl_div, lsr_family_loss
from sedkit.training.distill.mrkd import MrKD, MrKDConfig, knowledge_adjustment


def _logits(seed=0, batch=5, classes=10):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, classes, generator=g, requires_grad=True), torch.randint(0, classes, (batch,),
                                                                                       generator=g)


def _grad(loss, z):
    return torch.autograd.grad(loss, z)[0]


def test_lsr_equals_ce_plus_kl_up_to_alpha_log_m():
    z, y = _logits()
    cfg = LSRConfig(alpha=0.3)
    lsr = lsr_family_loss("lsr", z, y, cfg)["loss"]
    uniform = torch.full_like(z, 0.1)
    kd_form = 0.7 * F.cross_entropy(z, y) + 0.3 * kl_div(uniform, F.log_softmax(z, dim=1))
    assert float((lsr - kd_form).detach()) == pytest.approx(0.3 * math.log(10), abs=1e-5)  # Eq. 7 up to alpha log M
    torch.testing.assert_close(_grad(lsr, z), _grad(kd_form, z))
    assert float(lsr) == pytest.approx(float(F.cross_entropy(z, y, label_smoothing=0.3)), abs=1e-6)


def test_lsr_os_at_tau_one_has_lsr_gradients():
    z, y = _logits(1)
    cfg = LSRConfig(alpha=0.2, tau=1.0)
    torch.testing.assert_close(_grad(lsr_family_loss("lsr_os", z, y, cfg)["loss"], z),
                               _grad(lsr_family_loss("lsr", z, y, cfg)["loss"], z))


def test_lsr_os_tc_gradient_is_alpha_p_tau_minus_teacher():
    z, y = _logits(2)
    cfg = LSRConfig(alpha=0.4, tau=3.0, gamma=0.25)
    terms = lsr_family_loss("lsr_os_tc", z, y, cfg)
    grad_kd = _grad(0.4 * 3.0 * terms["kd"], z) * z.shape[0]  # batchmean: undo the 1/B
    expected = 0.4 * (F.softmax(z / 3.0, dim=1) - handmade_teacher(y, 10, 0.25))
    torch.testing.assert_close(grad_kd, expected.detach(), atol=1e-6, rtol=1e-5)


def test_lsr_os_tc_with_uniform_teacher_is_lsr_os_with_factor_tau():
    z, y = _logits(3)
    tc = lsr_family_loss("lsr_os_tc", z, y, LSRConfig(alpha=0.5, tau=2.0, gamma=0.1))
    os_ = lsr_family_loss("lsr_os", z, y, LSRConfig(alpha=0.5, tau=2.0))
    # gamma = 1/M makes p' uniform; LSR-OS-TC then weighs the same KL by tau instead of tau^2
    assert float(tc["kd"]) == pytest.approx(float(os_["kd"]), rel=1e-6)
    assert float(tc["loss"] - 0.5 * tc["ce"]) == pytest.approx(float(0.5 * 2.0 * os_["kd"]), rel=1e-6)


def test_tfkd_teacher_is_soft_and_correct():
    z, y = _logits(4)
    teacher = handmade_teacher(y, 10, 0.9)
    assert torch.allclose(teacher.sum(1), torch.ones(5)) and torch.all(teacher.argmax(1) == y)
    soft = F.softmax(teacher / 20.0, dim=1)
    assert float(soft.gather(1, y[:, None]).mean()) == pytest.approx(0.104, abs=1e-3)  # digest's number
    assert torch.isfinite(lsr_family_loss("tfkd", z, y, LSRConfig())["loss"])


class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        return {"logits": self.linear(x)}


def test_knowledge_adjustment_swaps_argmax_to_label():
    z = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]], requires_grad=True)
    y = torch.tensor([2, 1])
    adjusted = knowledge_adjustment(z, y)
    assert adjusted.tolist() == [[2.0, 1.0, 3.0], [0.0, 5.0, 1.0]]  # swapped / no-op when already right
    assert torch.all(adjusted.argmax(1) == y)
    adjusted.sum().backward()
    assert torch.all(z.grad == 1)  # a permutation: differentiable


def test_mrkd_rotation_schedule_and_gradients():
    torch.manual_seed(0)
    student = _Tiny()
    criterion = MrKD(student, 3, MrKDConfig(n_backups=3, fcn_layers=2), kappa_steps=2)
    snapshots = {0: {k: v.clone() for k, v in student.state_dict().items()}}
    optimizer = torch.optim.SGD(list(student.parameters()) + list(criterion.fcn.parameters()), lr=0.5)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    for step in range(1, 9):  # step t starts: rotate if t mod kappa == 0
        criterion.maybe_rotate(student, step)
        if step % 2 == 0:
            k = step // 2
            for i, backup in enumerate(criterion.backups, start=1):
                # backup_i == theta at the start of step (k-i+1) kappa, i.e. after step (k-i+1) kappa - 1;
                # theta_0 when k-i+1 <= 0 (Wang et al. 2021, Algorithm 1)
                source = (k - i + 1) * 2 - 1 if k - i + 1 > 0 else 0
                for name, value in backup.state_dict().items():
                    assert torch.equal(value, snapshots[source][name]), (step, i)
        terms = criterion(student(x)["logits"], y, x)
        optimizer.zero_grad()
        terms["loss"].backward()
        assert all(p.grad is None for b in criterion.backups for p in b.parameters())
        assert any(float(p.grad.abs().sum()) > 0 for p in criterion.fcn.parameters())
        optimizer.step()
        snapshots[step] = {k: v.clone() for k, v in student.state_dict().items()}


def test_mrkd_fcn_trained_by_kl_only():
    torch.manual_seed(1)
    student = _Tiny()
    x, y = torch.randn(6, 4), torch.randint(0, 3, (6,))
    criterion = MrKD(student, 3, MrKDConfig(fcn_layers=2), kappa_steps=1)
    terms = criterion(student(x)["logits"], y, x)
    (grad_kd,) = torch.autograd.grad(terms["kd"], [criterion.fcn[0].weight], retain_graph=True)
    (grad_total,) = torch.autograd.grad(terms["loss"], [criterion.fcn[0].weight])
    torch.testing.assert_close(grad_total, 0.5 * 9.0 * grad_kd)  # alpha tau^2 x the KL term's gradient
    detached = MrKD(student, 3, MrKDConfig(fcn_layers=2, fcn_loss="ce"), kappa_steps=1)
    t = detached(student(x)["logits"], y, x)
    (g,) = torch.autograd.grad(t["kd"], [detached.fcn[0].weight], allow_unused=True)
    assert g is None  # Table 4 "CE": the KL target is detached, phi learns from CE(z_ens, y)
    plain = MrKD(student, 3, MrKDConfig(fcn_layers=0, knowledge_adjustment=False), kappa_steps=1)
    assert plain.fcn is None and torch.isfinite(plain(student(x)["logits"], y, x)["loss"])


class _Linear(torch.nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.linear = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False)
        with torch.no_grad():
            self.linear.weight.copy_(weight)

    def forward(self, x):
        return {"logits": self.linear(x)}


def _mrkd_with_backups(config):
    """An MrKD whose three backups are distinct linear maps (weights w_i = i * W / 2)."""
    weight = torch.tensor([[1.0, -0.5], [0.3, 0.8], [-0.7, 0.2]], dtype=torch.float64)
    criterion = MrKD(_Linear(weight), 3, config, kappa_steps=10).double()
    for i, backup in enumerate(criterion.backups):
        with torch.no_grad():
            backup.linear.weight.copy_(weight * (i + 1) / 2)
    return criterion, weight


def test_mrkd_plain_is_eq_6_the_mean_of_per_backup_kl_terms():
    """Eq. 6 written out in numpy: (1 - a) CE + a tau^2 (1/n) sum_i KL(p(z_i; tau) || p(theta; tau)); the
    averaged-logits form (plain_target: mean_logits) differs, by value and gradient."""
    x = torch.tensor([[0.5, 1.0], [-1.0, 0.4]], dtype=torch.float64)
    labels = torch.tensor([0, 2])
    config = MrKDConfig(n_backups=3, alpha=0.5, tau=3.0, fcn_layers=0, knowledge_adjustment=False)
    criterion, weight = _mrkd_with_backups(config)
    student = torch.tensor([[0.2, 0.9, -0.4], [1.1, 0.0, 0.3]], dtype=torch.float64, requires_grad=True)
    ours = criterion(student, labels, x)["loss"]

    def softmax(z, tau):
        e = np.exp(z / tau - (z / tau).max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    z = student.detach().numpy()
    backups = [x.numpy() @ (weight.numpy() * (i + 1) / 2).T for i in range(3)]
    kls = [np.mean(np.sum(softmax(b, 3.0) * (np.log(softmax(b, 3.0)) - np.log(softmax(z, 3.0))), axis=1))
           for b in backups]
    ce = np.mean(-np.log(softmax(z, 1.0)[np.arange(2), labels.numpy()]))
    assert float(ours) == pytest.approx(0.5 * ce + 0.5 * 9.0 * np.mean(kls), abs=1e-9)
    ours.backward()
    grad_eq6 = student.grad.clone()
    criterion_mean, _ = _mrkd_with_backups(MrKDConfig(n_backups=3, alpha=0.5, tau=3.0, fcn_layers=0,
                                                      knowledge_adjustment=False, plain_target="mean_logits"))
    student.grad = None
    criterion_mean(student, labels, x)["loss"].backward()
    assert (student.grad - grad_eq6).abs().max() > 1e-3  # the two readings train differently


def test_mrkd_fcn_depth_and_no_weight_decay_on_phi():
    criterion = MrKD(_Linear(torch.ones(3, 2)), 3, MrKDConfig(n_backups=2, fcn_layers=4), kappa_steps=5)
    linears = [m for m in criterion.fcn if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 4 and linears[0].in_features == 6 and linears[-1].out_features == 3
    assert sum(isinstance(m, torch.nn.ReLU) for m in criterion.fcn) == 3


def test_trainer_exempts_what_the_task_names_from_weight_decay():
    from sedkit.training.trainer import OptimConfig, RunConfig, Trainer

    class Task:
        def __init__(self):
            self.model = torch.nn.ModuleDict({"net": torch.nn.Linear(2, 2), "phi": torch.nn.Linear(2, 2)})

        def no_weight_decay(self):
            return list(self.model["phi"].parameters())

    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(Task(), OptimConfig(optimizer="sgd", lr=0.1, weight_decay=0.01), RunConfig(device="cpu"),
                          folder, config={})
    decays = sorted((g["weight_decay"], len(g["params"])) for g in trainer.optimizer.param_groups)
    assert decays == [(0.0, 2), (0.01, 2)]


def test_mrkd_full_eq_8_with_fcn_and_knowledge_adjustment():
    """Eq. 8 written out in numpy for the full method: z_ens = phi(concatenated backup logits) with the 2-layer
    FCN (Linear - ReLU - Linear), KA swaps z_ens's top entry with the true class's, then
    (1 - a) CE(p(theta; 1), y) + a tau^2 KL(p(z_correct; tau) || p(theta; tau))."""
    x = torch.tensor([[0.5, 1.0], [-1.0, 0.4], [0.3, -0.8]], dtype=torch.float64)
    labels = torch.tensor([0, 2, 1])
    config = MrKDConfig(n_backups=3, alpha=0.5, tau=3.0, fcn_layers=2, knowledge_adjustment=True)
    criterion, weight = _mrkd_with_backups(config)
    student = torch.tensor([[0.2, 0.9, -0.4], [1.1, 0.0, 0.3], [-0.3, 0.2, 0.8]], dtype=torch.float64)
    ours = float(criterion(student, labels, x)["loss"])

    def softmax(z, tau):
        e = np.exp(z / tau - (z / tau).max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    backups = np.concatenate([x.numpy() @ (weight.numpy() * (i + 1) / 2).T for i in range(3)], axis=1)
    first, last = criterion.fcn[0], criterion.fcn[2]
    hidden = np.maximum(backups @ first.weight.detach().numpy().T + first.bias.detach().numpy(), 0.0)
    z_ens = hidden @ last.weight.detach().numpy().T + last.bias.detach().numpy()
    z_correct = z_ens.copy()
    for row, label in enumerate(labels.numpy()):
        top = int(np.argmax(z_ens[row]))
        z_correct[row, top], z_correct[row, label] = z_ens[row, label], z_ens[row, top]
    assert (np.argmax(z_correct, axis=1) == labels.numpy()).all() and not np.array_equal(z_correct, z_ens)
    z = student.numpy()
    p_t, p_s = softmax(z_correct, 3.0), softmax(z, 3.0)
    kl = np.mean(np.sum(p_t * (np.log(p_t) - np.log(p_s)), axis=1))
    ce = np.mean(-np.log(softmax(z, 1.0)[np.arange(3), labels.numpy()]))
    assert ours == pytest.approx(0.5 * ce + 0.5 * 9.0 * kl, abs=1e-9)


def test_mrkd_backups_rotate_every_kappa_steps_when_the_trainer_drives_them(corpus, tmp_path, monkeypatch):
    """A real Trainer run: after each optimiser step the trainer passes the steps taken so far (1-based);
    MrKD rotates at the start of every step t (1-based) with t mod kappa = 0, i.e. after steps kappa - 1,
    2 kappa - 1, ... (kappa = 2 steps here); backup_1 then holds the student as it was at that moment."""
    from sedkit.config import to_dict
    from sedkit.training.classification import ClassificationTask
    from sedkit.training.trainer import Trainer
    from tests.training.conftest import classification_config

    probe = ClassificationTask(classification_config(corpus, {"name": "ce"}, epochs=1), tmp_path / "probe")
    steps = probe.steps_per_epoch()
    assert steps >= 4
    config = classification_config(corpus, {"name": "mrkd", "mrkd": {"kappa_epochs": 2 / steps}}, epochs=1)
    task = ClassificationTask(config, tmp_path / "run")
    assert task.criterion.module.kappa_steps == 2
    calls, original = [], MrKD.maybe_rotate

    def recording(self, student, next_step):
        rotated = original(self, student, next_step)
        calls.append((next_step, rotated, {k: v.clone() for k, v in student.state_dict().items()}))
        return rotated

    monkeypatch.setattr(MrKD, "maybe_rotate", recording)
    Trainer(task, config.optim, config.run, tmp_path / "run", to_dict(config)).fit()
    assert [step for step, _, _ in calls] == list(range(2, steps + 2))
    rotations = [(step, state) for step, rotated, state in calls if rotated]
    assert [step for step, _ in rotations] == list(range(2, steps + 2, 2))
    last_step, last_state = rotations[-1]
    for name, value in task.criterion.module.backups[0].state_dict().items():
        assert torch.equal(value, last_state[name]), name
