"""Cut^nMix's pieces pinned by value against the paper's formulas written out in numpy (Shen et al., 2022:
Eq. 4 DML, Eqs. 5-7 the mixing, Eq. 9 MMD, Eq. 10 peer teacher), with J = 3 peers so that 1/(J - 1) shows."""
import numpy as np
import pytest
import torch

from sedkit.training.distill.cutnmix import cutnmix, dml_losses, mixed_cross_entropy, mmd_losses, peer_teacher_losses

TAU = 3.0
LOGITS = [np.array([[1.0, 0.2, -0.5], [0.1, 0.9, 0.3]]), np.array([[0.4, 0.4, 0.1], [-0.2, 1.5, 0.0]]),
          np.array([[2.0, -1.0, 0.3], [0.5, 0.5, 0.5]])]


def softmax(z, tau=1.0):
    e = np.exp(z / tau - (z / tau).max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def kl(p, q):
    return float(np.mean(np.sum(p * (np.log(p) - np.log(q)), axis=1)))


def test_dml_value_eq_4():
    ours = [float(v) for v in dml_losses([torch.tensor(z) for z in LOGITS], TAU)]
    for j in range(3):
        expected = sum(TAU ** 2 * kl(softmax(LOGITS[k], TAU), softmax(LOGITS[j], TAU)) for k in range(3) if k != j) / 2
        assert ours[j] == pytest.approx(expected, abs=1e-9)
    assert ours[0] > 0.01  # the peers disagree: not a zero test


def test_dml_gradient_reaches_only_the_student_peer():
    logits = [torch.tensor(z, requires_grad=True) for z in LOGITS]
    dml_losses(logits, TAU)[0].backward()
    assert logits[0].grad.abs().sum() > 0 and logits[1].grad is None and logits[2].grad is None


def test_mmd_value_eq_9():
    rng = np.random.default_rng(0)
    features = [rng.normal(j, 1.0, (4, 5)) for j in range(3)]
    ours = [float(v) for v in mmd_losses([torch.tensor(f) for f in features])]
    means = [f.mean(axis=0) for f in features]
    for j in range(3):
        expected = sum(np.sum((means[j] - means[k]) ** 2) for k in range(3) if k != j) / 2
        assert ours[j] == pytest.approx(expected, abs=1e-9)


def test_peer_teacher_value_eq_10():
    teacher = np.array([[0.3, 1.2, -0.4], [1.0, 0.0, 0.2]])
    ours = [float(v) for v in peer_teacher_losses(torch.tensor(teacher), [torch.tensor(z) for z in LOGITS], TAU)]
    for j in range(3):
        assert ours[j] == pytest.approx(TAU ** 2 * kl(softmax(teacher, TAU), softmax(LOGITS[j], TAU)), abs=1e-9)


def test_mixed_cross_entropy_is_ce_with_the_soft_target():
    z = np.array([[1.0, 0.2, -0.5], [0.1, 0.9, 0.3], [0.0, 0.0, 2.0]])
    labels, perm, lam = np.array([0, 1, 2]), np.array([2, 0, 1]), 0.35
    target = lam * np.eye(3)[labels[perm]] + (1 - lam) * np.eye(3)[labels]  # y~ of Eq. 7
    expected = float(np.mean(-np.sum(target * np.log(softmax(z)), axis=1)))
    ours = float(mixed_cross_entropy(torch.tensor(z), torch.tensor(labels), torch.tensor(perm), lam))
    assert ours == pytest.approx(expected, abs=1e-9)


def test_each_peer_pastes_its_partners_box():
    """Eqs. 5-6 by replaying the generator: one lambda and one partner order for all peers, a box per peer of
    round(H sqrt(lambda)) x round(W sqrt(lambda)) holding the partner's values, the rest the clip's own."""
    inputs = [torch.arange(5 * 8 * 6, dtype=torch.float64).reshape(5, 8, 6) + 1000 * p for p in range(3)]
    mixed, perm, lam_eff, boxes = cutnmix(inputs, np.random.default_rng(7))
    replay = np.random.default_rng(7)
    lam = replay.beta(1.0, 1.0)
    assert perm.tolist() == replay.permutation(5).tolist()
    h, w = int(round(8 * np.sqrt(lam))), int(round(6 * np.sqrt(lam)))
    assert lam_eff == pytest.approx(h * w / 48)
    for x, out, (top, left, bh, bw) in zip(inputs, mixed, boxes):
        assert (bh, bw) == (h, w)
        inside = np.zeros((8, 6), dtype=bool)
        inside[top:top + h, left:left + w] = True
        for i in range(5):
            np.testing.assert_array_equal(out[i].numpy()[inside], x[perm[i]].numpy()[inside])
            np.testing.assert_array_equal(out[i].numpy()[~inside], x[i].numpy()[~inside])
