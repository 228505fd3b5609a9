"""UniKD's Eq. 3 (labelled) and Eq. 5 (unlabelled) totals pinned by value against the formulas written out in
numpy (Wu et al., 2022), with N = 3 teachers and the softmax weighting rule sedkit uses for Eq. 1."""
import numpy as np
import pytest
import torch

from sedkit.training.distill.unikd import UniKDConfig, unikd_step_loss

STUDENT = np.array([[0.5, 1.0, -0.3], [1.2, 0.1, 0.4]])
TEACHERS = np.array([[[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.8, 0.1]],
                     [[0.6, 0.3, 0.1], [0.3, 0.3, 0.4], [0.7, 0.2, 0.1]]])  # (B, N, C) probabilities
LABELS = np.array([1, 0])


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_eq3_labelled_total():
    losses = -np.log(TEACHERS[np.arange(2), :, LABELS])  # L_i = CE(p_i, y), (B, N)
    weights = np.exp(-losses) / np.exp(-losses).sum(axis=1, keepdims=True)  # stated intent of Eq. 1
    target = (weights[:, :, None] * TEACHERS).sum(axis=1)  # Eq. 2
    distill = -(target * log_softmax(STUDENT)).sum(axis=1)
    student_ce = -log_softmax(STUDENT)[np.arange(2), LABELS]
    expected = float(np.mean(distill / (1 + losses.mean(axis=1)) + student_ce))  # Eq. 3
    ours = unikd_step_loss(UniKDConfig(unlabeled="none"), torch.tensor(STUDENT), torch.tensor(TEACHERS),
                           torch.tensor(LABELS), None, None)
    assert float(ours["loss"]) == pytest.approx(expected, abs=1e-9)
    # the weights are each teacher's true-class probability, normalised (sedkit's reading of Eq. 1)
    true_class = TEACHERS[np.arange(2), :, LABELS]
    np.testing.assert_allclose(weights, true_class / true_class.sum(axis=1, keepdims=True))


def test_eq5_unlabelled_total_with_lambda():
    lam = 10.0
    target = TEACHERS.mean(axis=1)  # Eq. 4's plain average
    distill = -(target * log_softmax(STUDENT)).sum(axis=1)
    n = TEACHERS.shape[1]
    disagreement = np.array([sum(np.sum(TEACHERS[b, i] * np.log(TEACHERS[b, i] / TEACHERS[b, j]))
                                 for i in range(n) for j in range(n) if i != j) / (n * (n - 1)) for b in range(2)])
    expected_u = float(np.mean((1 + lam * disagreement) * distill))  # Eq. 5
    ours = unikd_step_loss(UniKDConfig(labeled="ce", lambda_disagreement=lam), torch.tensor(STUDENT),
                           torch.tensor(TEACHERS), torch.tensor(LABELS), torch.tensor(STUDENT),
                           torch.tensor(TEACHERS))
    assert float(ours["unlabeled"]) == pytest.approx(expected_u, abs=1e-9)
    student_ce = float(np.mean(-log_softmax(STUDENT)[np.arange(2), LABELS]))
    assert float(ours["loss"]) == pytest.approx(student_ce + expected_u, abs=1e-9)
    assert disagreement.min() > 0.05  # the teachers disagree: the lambda term matters here


@pytest.mark.parametrize("weights, factor", [(False, True), (True, False), (False, False)])
def test_eq3_mechanisms_switched_off_one_at_a_time(weights, factor):
    """Fig. 3's ablation: the teacher weights (else the plain mean) and the 1 / (1 + mean L_i) factor (else 1)."""
    losses = -np.log(TEACHERS[np.arange(2), :, LABELS])
    w = np.exp(-losses) / np.exp(-losses).sum(axis=1, keepdims=True) if weights else np.full_like(losses, 1 / 3)
    target = (w[:, :, None] * TEACHERS).sum(axis=1)
    distill = -(target * log_softmax(STUDENT)).sum(axis=1)
    scale = 1 / (1 + losses.mean(axis=1)) if factor else np.ones(2)
    expected = float(np.mean(distill * scale - log_softmax(STUDENT)[np.arange(2), LABELS]))
    config = UniKDConfig(unlabeled="none", teacher_weights=weights, loss_factor=factor)
    ours = unikd_step_loss(config, torch.tensor(STUDENT), torch.tensor(TEACHERS), torch.tensor(LABELS), None, None)
    assert float(ours["loss"]) == pytest.approx(expected, abs=1e-9)


def test_kd_labeled_is_ce_plus_soft_ce_against_the_plain_teacher_average():
    """Table 2's KD-Labeled: CE(student, y) + soft CE against the teachers' plain average, batch mean."""
    target = TEACHERS.mean(axis=1)
    expected = float(np.mean(-log_softmax(STUDENT)[np.arange(2), LABELS] - (target * log_softmax(STUDENT)).sum(1)))
    ours = unikd_step_loss(UniKDConfig(labeled="plain", unlabeled="none"), torch.tensor(STUDENT),
                           torch.tensor(TEACHERS), torch.tensor(LABELS), None, None)
    assert float(ours["loss"]) == pytest.approx(expected, abs=1e-9)
