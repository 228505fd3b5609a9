import numpy as np
import torch
import torch.nn.functional as F

from sedkit.training.distill.cutnmix import (PeerTeacher, cutnmix, dml_losses, mixed_cross_entropy, mmd_losses,
                                             peer_teacher_losses)


def test_shared_lambda_boxes_inside_and_mixed_targets():
    rng = np.random.default_rng(0)
    for _ in range(50):
        inputs = [torch.randn(6, 40, 31) for _ in range(3)]
        mixed, perm, lam_eff, boxes = cutnmix(inputs, rng)
        areas = {h * w for _, _, h, w in boxes}
        assert len(areas) == 1 and lam_eff == areas.pop() / (40 * 31)  # identical for every peer
        for (top, left, h, w), x, out in zip(boxes, inputs, mixed):
            assert 0 <= top and top + h <= 40 and 0 <= left and left + w <= 31  # box inside
            changed = (out != x).any(dim=0)
            assert not changed[:top].any() and not changed[top + h:].any()
        y = F.one_hot(torch.arange(6) % 3, 3).float()
        y_mixed = lam_eff * y[perm] + (1 - lam_eff) * y
        torch.testing.assert_close(y_mixed.sum(1), torch.ones(6))  # mixed targets sum to 1


def test_mixed_ce_matches_soft_target_ce():
    logits, labels = torch.randn(5, 4), torch.tensor([0, 1, 2, 3, 0])
    perm = torch.tensor([1, 2, 3, 4, 0])
    soft = 0.3 * F.one_hot(labels[perm], 4) + 0.7 * F.one_hot(labels, 4)
    expected = -(soft * F.log_softmax(logits, 1)).sum(1).mean()
    torch.testing.assert_close(mixed_cross_entropy(logits, labels, perm, 0.3), expected)


def test_mmd_zero_for_equal_features_and_dml_zero_for_equal_logits():
    f = torch.randn(8, 5)
    assert all(float(v) == 0.0 for v in mmd_losses([f, f.clone(), f.clone()]))
    z = torch.randn(4, 3)
    assert all(abs(float(v)) < 1e-6 for v in dml_losses([z, z.clone()], tau=3.0))


def test_peer_teacher_gets_gradient_only_from_its_ce():
    torch.manual_seed(0)
    features = [torch.randn(6, 5, requires_grad=True) for _ in range(2)]
    logits = [torch.randn(6, 3, requires_grad=True) for _ in range(2)]
    g = PeerTeacher(2, 5, 3)
    z_pt = g(features)
    sum(peer_teacher_losses(z_pt, logits, 3.0)).backward(retain_graph=True)
    assert g.linear.weight.grad is None  # L_PT reaches the peers, not g
    assert all(z.grad is not None for z in logits)
    F.cross_entropy(z_pt, torch.tensor([0, 1, 2, 0, 1, 2])).backward()
    assert g.linear.weight.grad is not None and all(f.grad is None for f in features)  # features detached
