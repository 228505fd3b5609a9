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


def test_time_boxes_cover_every_band_and_a_share_lambda_of_the_frames():
    """``box: time``: each peer's box is round(T lambda) frames x all F bands, inside the clip."""
    inputs = [torch.arange(4 * 20 * 6, dtype=torch.float64).reshape(4, 20, 6) + 1000 * p for p in range(2)]
    mixed, perm, lam_eff, boxes = cutnmix(inputs, np.random.default_rng(3), box="time")
    lam = np.random.default_rng(3).beta(1.0, 1.0)
    frames = int(round(20 * lam))
    assert lam_eff == pytest.approx(frames / 20)
    for x, out, (top, left, h, w) in zip(inputs, mixed, boxes):
        assert (left, h, w) == (0, frames, 6) and 0 <= top <= 20 - frames
        np.testing.assert_array_equal(out[:, top:top + h].numpy(), x[perm][:, top:top + h].numpy())
        outside = np.ones(20, dtype=bool)
        outside[top:top + h] = False
        np.testing.assert_array_equal(out[:, outside].numpy(), x[:, outside].numpy())


def test_cutmix_mode_cuts_one_box_at_one_place_for_every_peer(corpus, tmp_path):
    """``mixing: cutmix`` (DML + CutMix): every peer's view holds the partner's values in the same time box
    (all bands), its own values elsewhere; lambda_eff is the box's share of the frames."""
    from sedkit.training.classification import ClassificationTask
    from tests.training.conftest import classification_config

    config = classification_config(corpus, {"name": "cutnmix", "cutnmix": {"mixing": "cutmix", "peers": 3,
                                                                          "distortion": "none", "box": "time"}})
    task = ClassificationTask(config, tmp_path)
    x = np.random.default_rng(0).standard_normal((6, 40, 8)).astype(np.float32)
    batch = task.criterion.prepare_batch({"x": x, "y": np.arange(6) % 3, "rows": np.arange(6)}, 0, 0)
    views, perm, lam = batch["x"], batch["perm"], float(batch["lam"])
    assert views.shape == (3, 6, 40, 8) and np.array_equal(views[0], views[1]) and np.array_equal(views[1], views[2])
    from_partner = np.all(views[0] == x[perm], axis=(0, 2)) & np.any(x[perm] != x, axis=(0, 2))
    frames = np.flatnonzero(from_partner)
    assert frames.size == int(round(lam * 40)) and np.all(np.diff(frames) == 1)  # one segment, all bands
    own = np.ones(40, dtype=bool)
    own[frames] = False
    assert np.array_equal(views[0][:, own], x[:, own])


def test_cutnmix_total_is_eq_8_summed_over_peers_plus_the_peer_teachers_ce(corpus, tmp_path):
    """loss = sum_j [CE(z^j, y~) + alpha DML^j + beta MMD^j + gamma PT^j] + CE(z^PT, y~), each term written out
    here with torch's own functions on the peers' outputs for the batch the criterion prepared."""
    import torch.nn.functional as F

    from sedkit.training.classification import ClassificationTask
    from tests.training.conftest import classification_config

    config = classification_config(corpus, {"name": "cutnmix", "cutnmix": {"peers": 2}})
    task = ClassificationTask(config, tmp_path)
    batch = next(iter(task.batches(0)))
    task.model.eval()
    c = config.criterion.cutnmix
    with torch.no_grad():
        terms = task.training_step(batch, 0.0, 0.0, torch.device("cpu"))
        peers = [task.modules["net"], task.modules["peer2"]]
        outs = [peer(torch.from_numpy(batch["x"][j])) for j, peer in enumerate(peers)]
        y, perm, lam = torch.from_numpy(batch["y"]), torch.from_numpy(batch["perm"]), float(batch["lam"])

        def mixed_ce(z):
            return lam * F.cross_entropy(z, y[perm]) + (1 - lam) * F.cross_entropy(z, y)

        def kl(target_logits, z):  # tau^2 KL(p(target; tau) || p(z; tau)), batch mean
            return c.tau ** 2 * F.kl_div(F.log_softmax(z / c.tau, 1), F.softmax(target_logits / c.tau, 1),
                                         reduction="batchmean")

        z = [o["logits"] for o in outs]
        f = [o["features"] for o in outs]
        z_pt = task.modules["peer_teacher"].linear(torch.cat(f, dim=1))
        expected = mixed_ce(z_pt)
        for j in range(2):
            other = 1 - j
            mmd = ((f[j].mean(0) - f[other].mean(0)) ** 2).sum()
            expected = expected + mixed_ce(z[j]) + c.alpha * kl(z[other], z[j]) + c.beta * mmd \
                + c.gamma * kl(z_pt, z[j])
    assert float(terms["loss"]) == pytest.approx(float(expected), rel=1e-6)
