"""The LSR family's losses pinned by value and gradient against the paper's formulas written out here in numpy
(Wang et al., Applied Sciences 2021: Eqs. 3-4 LSR, Eqs. 8-9 Tf-KD, Eq. 10 LSR-OS, Eq. 11 LSR-OS-TC), at
tau != 1 so that every tau / tau^2 factor shows. Tolerance 1e-6: the hand-made teacher is float32 in torch; a
wrong factor moves the values by several percent."""
import numpy as np
import pytest
import torch

from sedkit.training.distill.lsr import LSRConfig, lsr_family_loss

Z = np.array([[1.0, 2.0, 0.5, -1.0], [0.3, -0.2, 1.5, 0.0]])  # two clips, M = 4
Y = np.array([1, 3])
M = Z.shape[1]


def softmax(z, tau=1.0):
    e = np.exp(z / tau - (z / tau).max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def kl(p, q):  # KL(p || q), summed over classes, mean over the batch
    return float(np.mean(np.sum(p * (np.log(p) - np.log(q)), axis=1)))


def ce(z, y):
    return float(np.mean(-np.log(softmax(z)[np.arange(len(y)), y])))


def handmade(y, gamma):  # Eq. 9
    t = np.full((len(y), M), (1 - gamma) / (M - 1))
    t[np.arange(len(y)), y] = gamma
    return t


def ours(name, **config):
    z = torch.tensor(Z, requires_grad=True)
    loss = lsr_family_loss(name, z, torch.tensor(Y), LSRConfig(**config))["loss"]
    loss.backward()
    return float(loss), z.grad.numpy()


def test_lsr_value():
    a = 0.2
    q = (1 - a) * np.eye(M)[Y] + a / M  # Eq. 3
    expected = float(np.mean(-np.sum(q * np.log(softmax(Z)), axis=1)))  # Eq. 4
    assert ours("lsr", alpha=a)[0] == pytest.approx(expected, abs=1e-6)


def test_lsr_os_value_and_gradient_at_tau_3():
    a, tau = 0.3, 3.0
    u = np.full((2, M), 1 / M)
    expected = (1 - a) * ce(Z, Y) + a * tau ** 2 * kl(u, softmax(Z, tau))  # Eq. 10: the tau^2 factor
    value, grad = ours("lsr_os", alpha=a, tau=tau)
    assert value == pytest.approx(expected, abs=1e-6)
    # d/dz: (1 - a)(p - q) + a tau^2 (1 / tau)(p_tau - u), over the batch of 2
    expected_grad = ((1 - a) * (softmax(Z) - np.eye(M)[Y]) + a * tau * (softmax(Z, tau) - u)) / 2
    np.testing.assert_allclose(grad, expected_grad, atol=1e-6)


def test_lsr_os_tc_value_and_gradient_at_tau_3():
    a, tau, gamma = 0.3, 3.0, 0.4
    teacher = handmade(Y, gamma)
    expected = (1 - a) * ce(Z, Y) + a * tau * kl(teacher, softmax(Z, tau))  # Eq. 11: the factor tau, not tau^2
    value, grad = ours("lsr_os_tc", alpha=a, tau=tau, gamma=gamma)
    assert value == pytest.approx(expected, abs=1e-6)
    expected_grad = ((1 - a) * (softmax(Z) - np.eye(M)[Y]) + a * (softmax(Z, tau) - teacher)) / 2  # Eq. 14
    np.testing.assert_allclose(grad, expected_grad, atol=1e-6)


def test_tfkd_value_with_both_temperatures():
    a, tau_t, tau_s, gamma, mult = 0.4, 20.0, 2.0, 0.9, 1.5
    teacher = softmax(handmade(Y, gamma), tau_t)  # Eq. 8's soft teacher from Eq. 9's hand-made one
    expected = (1 - a) * ce(Z, Y) + a * tau_s ** 2 * mult * kl(teacher, softmax(Z, tau_s))
    value, _ = ours("tfkd", alpha=a, tau_teacher=tau_t, tau_student=tau_s, tfkd_gamma=gamma, multiplier=mult)
    assert value == pytest.approx(expected, abs=1e-6)


def test_lsr_os_tc_with_the_tau_squared_factor():
    a, tau, gamma = 0.3, 3.0, 0.4
    expected = (1 - a) * ce(Z, Y) + a * tau ** 2 * kl(handmade(Y, gamma), softmax(Z, tau))  # Fig. 8's variant
    assert ours("lsr_os_tc", alpha=a, tau=tau, gamma=gamma, tc_factor="tau2")[0] == pytest.approx(expected, abs=1e-6)
