import math

import pytest
import torch
import torch.nn.functional as F

from sedkit.models.crnn import CRNN, CRNNConfig
from sedkit.training.mean_teacher import consistency_loss, ema_update, make_teacher, sigmoid_rampup
from sedkit.training.mmt_da import MMTDAConfig, SystemConfig, build_system

TINY = CRNNConfig(n_classes=3, n_mels=16, channels=[4, 4], pooling=[(2, 4), (2, 4)], rnn_hidden=4, rnn_layers=1,
                  conv_dropout=0.0, head_dropout=0.0)


def test_rampup_values():
    assert sigmoid_rampup(0, 20) == pytest.approx(math.exp(-5))
    assert sigmoid_rampup(10, 20) == pytest.approx(math.exp(-5 * 0.25))
    assert sigmoid_rampup(20, 20) == 1.0 and sigmoid_rampup(35, 20) == 1.0


def test_ema_update():
    torch.manual_seed(0)
    student = CRNN(TINY)
    teacher = make_teacher(student)
    assert all(not p.requires_grad for p in teacher.parameters())
    with torch.no_grad():
        for p in student.parameters():
            p.add_(1.0)
    before = [p.clone() for p in teacher.parameters()]
    ema_update(teacher, student, decay=1.0, step=10 ** 9)  # a = 1 - 1e-9 ~ 1: practically unchanged
    for b, t in zip(before, teacher.parameters()):
        assert torch.allclose(b, t, atol=1e-6)
    ema_update(teacher, student, decay=0.0, step=5)  # a = 0: teacher = student
    for s, t in zip(student.parameters(), teacher.parameters()):
        assert torch.equal(s, t)
    ema_update(teacher, student, decay=0.999, step=1)  # warm-up: a = min(1 - 1/2, 0.999) = 0.5
    assert ema_update.__doc__


def test_consistency_loss_eq1():
    s = {"frame": torch.tensor([[[0.2, 0.9]]]), "clip": torch.tensor([[0.5, 0.1]])}
    t = {"frame": torch.tensor([[[0.4, 0.6]]]), "clip": torch.tensor([[0.3, 0.4]])}
    expected = ((0.2 - 0.4) ** 2 + (0.9 - 0.6) ** 2) / 2 + ((0.5 - 0.3) ** 2 + (0.1 - 0.4) ** 2) / 2
    assert float(consistency_loss(s, t)) == pytest.approx(expected)
    hard = F.binary_cross_entropy(s["frame"], torch.tensor([[[0.0, 1.0]]])) + \
        F.binary_cross_entropy(s["clip"], torch.tensor([[0.0, 0.0]]))
    assert float(consistency_loss(s, t, hard=True)) == pytest.approx(float(hard))


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    kinds = ["strong", "strong", "weak", "weak", "unlabel", "unlabel"]
    x = torch.randn(6, 32, 16, generator=g)
    strong = (torch.rand(6, 8, 3, generator=g) > 0.5).float()
    weak = (torch.rand(6, 3, generator=g) > 0.5).float()
    def is_(k):
        return torch.tensor([kind == k for kind in kinds])

    return {"x": x, "strong": strong, "weak": weak, "is_strong": is_("strong"), "is_weak": is_("weak"),
            "is_unlabel": is_("unlabel"), "is_synthetic": is_("strong")}


def _system(name, **kwargs):
    torch.manual_seed(1)
    teacher = CRNN(TINY) if name == "fixed_teacher" else None
    if name == "fixed_teacher":  # (the fixed teacher's checkpoint is loaded by the task; here it is given)
        kwargs.setdefault("fixed_teacher", {"checkpoint": "given"})
    if isinstance(kwargs.get("fixed_teacher"), dict):
        from sedkit.training.mmt_da import FixedTeacherConfig

        kwargs["fixed_teacher"] = FixedTeacherConfig(**kwargs["fixed_teacher"])
    kwargs.setdefault("input_noise_std", 0.0)  # the equations without input noise (test_input_noise: with it)
    kwargs.setdefault("domain_dropout", 0.0)
    system = build_system(SystemConfig(name=name, consistency_rampup_epochs=0, **kwargs), lambda: CRNN(TINY), teacher)
    system.train()
    return system


def _out(net, x):
    out = net(x)
    return {"frame": out["frame"], "clip": out["clip"]}


def test_mmt_da_losses_eq4_to_7():
    system = _system("mmt_da", w_d=0.05)
    b = _batch()
    with torch.no_grad():  # perturb teachers so that teacher != student
        for p in system.nets["da_teacher"].parameters():
            p.add_(0.1)
    terms = system.losses(b, epoch=100.0, progress=1.0)
    nets = system.nets
    x, real, u = b["x"], ~b["is_synthetic"], b["is_weak"] | b["is_unlabel"]
    da, ssl = nets["da_student"](x), nets["ssl_student"](x[real])
    da_t, ssl_t = _out(nets["da_teacher"], x[u]), _out(nets["ssl_teacher"], x[u])
    l_s = F.binary_cross_entropy(da["frame"][b["is_strong"]], b["strong"][b["is_strong"]])
    l_w_da = F.binary_cross_entropy(da["clip"][b["is_weak"]], b["weak"][b["is_weak"]])
    l_w_ssl = F.binary_cross_entropy(ssl["clip"][b["is_weak"][real]], b["weak"][real][b["is_weak"][real]])
    l_d = F.binary_cross_entropy_with_logits(nets["domain"](da["domain_features"]), b["is_synthetic"].float())
    u_real = u[real]
    l_mmt = F.mse_loss(ssl["frame"][u_real], da_t["frame"]) + F.mse_loss(ssl["clip"][u_real], da_t["clip"])  # Eq. 4
    l_mmt2 = F.mse_loss(da["frame"][u], ssl_t["frame"]) + F.mse_loss(da["clip"][u], ssl_t["clip"])  # Eq. 5
    expected = (l_w_ssl + l_mmt) + (l_s + l_w_da + 0.05 * l_d + l_mmt2)  # Eqs. 6 + 7 with w(t) = 1
    for key, value in (("L_MMT", l_mmt), ("L_MMT'", l_mmt2), ("da_L_D", l_d), ("ssl_L_W", l_w_ssl)):
        assert float(terms[key].detach()) == pytest.approx(float(value.detach()), rel=1e-5), key
    assert float(terms["loss"].detach()) == pytest.approx(float(expected.detach()), rel=1e-5)


@pytest.mark.parametrize("name", ["mt_real", "mt_total", "da", "mt_da", "fixed_teacher", "supervised"])
def test_single_student_systems(name):
    system = _system(name, w_d=0.05)
    b = _batch()
    terms = system.losses(b, epoch=100.0, progress=1.0)
    nets = system.nets
    if name == "supervised":  # the bounds: L_S + L_W on whatever the batch holds, one network
        assert set(nets) == {"student"} and system.config.evaluated_network == "student"
    sees_synthetic = name != "mt_real"
    rows = torch.arange(6) if sees_synthetic else torch.nonzero(~b["is_synthetic"]).squeeze(1)
    out = nets["student"](b["x"][rows])
    weak_mask = b["is_weak"][rows]
    expected = F.binary_cross_entropy(out["clip"][weak_mask], b["weak"][rows][weak_mask])
    if sees_synthetic:
        expected = expected + F.binary_cross_entropy(out["frame"][b["is_strong"]], b["strong"][b["is_strong"]])
    if name in ("da", "mt_da", "fixed_teacher"):
        logits = nets["domain"](out["domain_features"])
        expected = expected + 0.05 * F.binary_cross_entropy_with_logits(logits, b["is_synthetic"].float())
    teacher = {"mt_real": "teacher", "mt_total": "teacher", "mt_da": "teacher",
               "fixed_teacher": "fixed_teacher"}.get(name)
    if teacher:
        u = (b["is_weak"] | b["is_unlabel"])
        t = _out(nets[teacher], b["x"][u])
        student_u = u[rows]
        expected = expected + F.mse_loss(out["frame"][student_u], t["frame"]) + F.mse_loss(out["clip"][student_u],
                                                                                           t["clip"])
    assert float(terms["loss"].detach()) == pytest.approx(float(expected.detach()), rel=1e-5)


def test_teachers_get_no_gradient_and_students_do():
    system = _system("mmt_da")
    system.losses(_batch(), epoch=100.0, progress=1.0)["loss"].backward()
    for name in ("da_teacher", "ssl_teacher"):
        assert all(p.grad is None for p in system.nets[name].parameters())
    for name in ("da_student", "ssl_student", "domain"):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in system.nets[name].parameters())


def test_input_noise_is_an_independent_draw_per_pass_mmt_da():
    """Student and teacher each get their own noise (Tarvainen & Valpola 2017, eta and eta'): the terms equal
    the equations on x + n_k with n_1..n_4 drawn in the system's order from the same seed."""
    system = _system("mmt_da", w_d=0.05, input_noise_std=0.5)
    b = _batch()
    torch.manual_seed(7)
    terms = system.losses(b, epoch=100.0, progress=1.0)
    nets, x = system.nets, b["x"]
    real, u = ~b["is_synthetic"], b["is_weak"] | b["is_unlabel"]
    torch.manual_seed(7)
    n_da, n_ssl = torch.randn_like(x), torch.randn_like(x[real])
    n_dat, n_sslt = torch.randn_like(x[u]), torch.randn_like(x[u])
    da, ssl = nets["da_student"](x + 0.5 * n_da), nets["ssl_student"](x[real] + 0.5 * n_ssl)
    da_t, ssl_t = _out(nets["da_teacher"], x[u] + 0.5 * n_dat), _out(nets["ssl_teacher"], x[u] + 0.5 * n_sslt)
    l_mmt = F.mse_loss(ssl["frame"][u[real]], da_t["frame"]) + F.mse_loss(ssl["clip"][u[real]], da_t["clip"])
    l_mmt2 = F.mse_loss(da["frame"][u], ssl_t["frame"]) + F.mse_loss(da["clip"][u], ssl_t["clip"])
    assert float(terms["L_MMT"].detach()) == pytest.approx(float(l_mmt.detach()), rel=1e-5)
    assert float(terms["L_MMT'"].detach()) == pytest.approx(float(l_mmt2.detach()), rel=1e-5)
    # the same clip through the teacher with the student's noise gives another target: the draws differ
    same = _out(nets["da_teacher"], x[u] + 0.5 * n_da[u])
    assert float((same["frame"] - da_t["frame"]).abs().max()) > 1e-4


def test_input_noise_only_for_ema_teacher_systems():
    b = _batch()
    for name, noisy in (("mt_da", True), ("da", False), ("supervised", False)):
        system = _system(name, input_noise_std=0.5)
        torch.manual_seed(3)
        first = float(system.losses(b, epoch=100.0, progress=1.0)["loss"].detach())
        torch.manual_seed(4)
        second = float(system.losses(b, epoch=100.0, progress=1.0)["loss"].detach())
        assert (first != second) is noisy, name  # without noise (and dropout) the loss is deterministic


def test_ssl_strong_labels_control():
    """The control: the SSL student also gets frame BCE on the unlabelled real clips' oracle labels; the DA
    branch's L_S stays on the synthetic clips."""
    system = _system("mmt_da", w_d=0.05, mmt_da=MMTDAConfig(ssl_strong_labels=True))
    b = _batch()
    b["is_oracle"] = b["is_unlabel"].clone()
    terms = system.losses(b, epoch=100.0, progress=1.0)
    base = _system("mmt_da", w_d=0.05).losses(b, epoch=100.0, progress=1.0)
    real = ~b["is_synthetic"]
    ssl = system.nets["ssl_student"](b["x"][real])
    oracle = b["is_oracle"][real]
    expected = F.binary_cross_entropy(ssl["frame"][oracle], b["strong"][real][oracle])
    assert float(terms["ssl_L_S"].detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    assert float(terms["da_L_S"].detach()) == pytest.approx(float(base["da_L_S"].detach()), rel=1e-6)
    total = float(base["loss"].detach()) + float(expected.detach())
    assert float(terms["loss"].detach()) == pytest.approx(total, rel=1e-5)
    from sedkit.config import ConfigError

    with pytest.raises(ConfigError, match="system.mmt_da: options of system mmt_da only, not of mt_da"):
        SystemConfig(name="mt_da", mmt_da=MMTDAConfig(ssl_strong_labels=True))
