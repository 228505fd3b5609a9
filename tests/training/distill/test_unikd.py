import pytest
import torch
import torch.nn.functional as F

from sedkit.training.distill.unikd import (teacher_disagreement, teacher_weights, unikd_labeled_loss,
                                           unikd_unlabeled_loss)


@pytest.mark.parametrize("rule", ["softmax", "inverse", "complement"])
def test_weights_sum_to_one_equal_for_equal_losses_and_fall_with_loss(rule):
    losses = torch.tensor([[0.2, 1.0, 3.0], [0.5, 0.5, 0.5]])
    w = teacher_weights(losses, rule)
    torch.testing.assert_close(w.sum(1), torch.ones(2))
    torch.testing.assert_close(w[1], torch.full((3,), 1 / 3))
    assert w[0, 0] > w[0, 1] > w[0, 2]
    worse = losses.clone()
    worse[0, 1] = 2.0  # only L_2 grows: its weight strictly falls
    assert teacher_weights(worse, rule)[0, 1] < w[0, 1]


def test_softmax_rule_is_normalised_true_class_probability():
    probs = torch.tensor([[[0.7, 0.3], [0.4, 0.6], [0.9, 0.1]]])
    losses = -torch.log(probs[:, :, 0])
    torch.testing.assert_close(teacher_weights(losses), probs[:, :, 0] / probs[:, :, 0].sum())
    assert teacher_weights(losses[:, :1]).item() == pytest.approx(1.0)  # defined for one teacher


def test_disagreement_zero_when_teachers_agree_and_matches_pairs():
    same = torch.tensor([[0.2, 0.8]]).repeat(3, 1)[None]
    assert float(teacher_disagreement(same)) == pytest.approx(0.0, abs=1e-7)
    p = torch.tensor([[[0.2, 0.8], [0.6, 0.4]]])
    def kl(a, b):
        return float((a * (a / b).log()).sum())

    expected = (kl(p[0, 0], p[0, 1]) + kl(p[0, 1], p[0, 0])) / 2
    assert float(teacher_disagreement(p)) == pytest.approx(expected, rel=1e-5)


def test_labeled_factor_goes_to_one_for_perfect_teachers():
    labels = torch.tensor([1, 0])
    perfect = F.one_hot(labels, 3).float()[:, None, :].repeat(1, 4, 1)
    terms = unikd_labeled_loss(torch.randn(2, 3, requires_grad=True), perfect, labels)
    assert float(terms["factor"]) == pytest.approx(1.0, abs=1e-6)


def test_unlabeled_loss_and_gradients_only_into_student():
    z = torch.randn(4, 3, requires_grad=True)
    teachers = torch.softmax(torch.randn(4, 5, 3, requires_grad=True), dim=2)
    terms = unikd_unlabeled_loss(z, teachers, lam=10.0)
    manual = ((1 + 10 * teacher_disagreement(teachers.detach())) *
              -(teachers.detach().mean(1) * F.log_softmax(z, 1)).sum(1)).mean()
    assert float(terms["loss"].detach()) == pytest.approx(float(manual.detach()), rel=1e-6)
    terms["loss"].backward()
    assert z.grad is not None


def test_each_teacher_sees_its_own_normalisation():
    """A teacher given the student-normalised input through FrozenEnsemble computes exactly what it computes on
    the raw features normalised with its own statistics (from its checkpoint), not the student's."""
    from types import SimpleNamespace

    import numpy as np

    from sedkit.training.distill.unikd import FrozenEnsemble, renormalisation

    class Teacher(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 3)

        def forward(self, x):
            return {"logits": self.linear(x.mean(dim=1))}

    rng = np.random.default_rng(0)
    raw = torch.tensor(rng.normal(5.0, 3.0, (2, 6, 4)), dtype=torch.float32)  # (B, T, mel)
    student = SimpleNamespace(mean=np.array([5.0, 4.0, 6.0, 5.5]), std=np.array([3.0, 2.0, 4.0, 1.0]))
    teachers = [SimpleNamespace(mean=np.array([1.0, 2.0, 3.0, 4.0]), std=np.array([1.0, 0.5, 2.0, 4.0])),
                SimpleNamespace(mean=student.mean, std=student.std)]
    nets = [Teacher(), Teacher()]
    ensemble = FrozenEnsemble(nets, [renormalisation(student, t) for t in teachers])
    x_student = (raw - torch.tensor(student.mean, dtype=torch.float32)) / torch.tensor(student.std, dtype=torch.float32)
    probs = ensemble(x_student)
    for index, (net, stats) in enumerate(zip(nets, teachers)):
        own = (raw - torch.tensor(stats.mean, dtype=torch.float32)) / torch.tensor(stats.std, dtype=torch.float32)
        expected = torch.softmax(net(own)["logits"], dim=1)
        torch.testing.assert_close(probs[:, index], expected, atol=1e-5, rtol=1e-5)
    # with the student's statistics the first teacher would see something else
    wrong = torch.softmax(nets[0](x_student)["logits"], dim=1)
    assert (wrong - probs[:, 0]).abs().max() > 1e-2
