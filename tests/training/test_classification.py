"""Clip classification on the shared trainer: every criterion trains, MrKD rotates, group decisions."""
import numpy as np
import pytest
import torch

from sedkit.config import to_dict
from sedkit.training.classification import ClassificationTask, group_decisions
from sedkit.training.trainer import Trainer
from tests.training.conftest import classification_config as _config


def _loss_on_first_batch(task):
    batch = next(iter(task.batches(0)))
    torch.manual_seed(5)
    task.model.train()
    with torch.no_grad():
        return float(task.training_step(batch, 0.0, 0.0, torch.device("cpu"))["loss"])


@pytest.mark.parametrize("criterion", [{"name": "ce"}, {"name": "lsr"}, {"name": "tfkd"}, {"name": "lsr_os"},
                                       {"name": "lsr_os_tc"}, {"name": "mrkd"},
                                       {"name": "mrkd", "mrkd": {"fcn_layers": 0, "knowledge_adjustment": False}},
                                       {"name": "mrkd", "mrkd": {"fcn_loss": "ce_kl"}},
                                       {"name": "mrkd", "mixup": True}, {"name": "lsr_os_tc", "mixup": True},
                                       {"name": "cutnmix"},
                                       {"name": "cutnmix", "cutnmix": {"mixing": "cutmix", "mmd": False,
                                                                       "peer_teacher": False}},
                                       {"name": "cutnmix", "cutnmix": {"mixing": "none", "peers": 3}}])
def test_every_criterion_trains(corpus, tmp_path, criterion):
    criterion = dict(criterion)
    mixup = criterion.pop("mixup", False)
    config = _config(corpus, criterion)
    if mixup:
        config.data.mixup_alpha = 0.4
    task = ClassificationTask(config, tmp_path)
    before = _loss_on_first_batch(task)
    last = Trainer(task, config.optim, config.run, tmp_path, to_dict(config)).fit()
    assert _loss_on_first_batch(task) < before
    assert {"val_accuracy", "val_clip_error", "val_group_error"} <= set(last)
    assert (tmp_path / "checkpoints" / "best.pt").exists()


def test_mrkd_backups_rotate_during_training(corpus, tmp_path):
    config = _config(corpus, {"name": "mrkd", "mrkd": {"kappa_epochs": 1.0}})
    task = ClassificationTask(config, tmp_path)
    start = [p.clone() for p in task.modules["criterion"].backups[0].parameters()]
    Trainer(task, config.optim, config.run, tmp_path, to_dict(config)).fit()
    now = list(task.modules["criterion"].backups[0].parameters())
    assert any(not torch.equal(a, b) for a, b in zip(start, now))  # refreshed from the student
    assert all(not p.requires_grad for p in now)


def test_group_decisions_mean_and_vote():
    probs = np.array([[0.6, 0.4], [0.6, 0.4], [0.0, 1.0], [0.9, 0.1], [0.2, 0.8]])
    groups = ["a", "a", "a", "b", "b"]
    assert group_decisions(probs, groups, "mean") == {"a": 1, "b": 0}  # a: mean (0.4, 0.6)
    assert group_decisions(probs, groups, "vote") == {"a": 0, "b": 0}  # a: 2 votes to 1; b: tie -> mean


def test_classify_command_scores_a_labelled_set(corpus, tmp_path):
    import json

    from sedkit.cli.main import main

    config = _config(corpus, {"name": "lsr_os_tc"}, epochs=1)
    task = ClassificationTask(config, tmp_path / "exp")
    Trainer(task, config.optim, config.run, tmp_path / "exp", to_dict(config)).fit()
    out = tmp_path / "eval"
    assert main(["classify", "--checkpoint", str(tmp_path / "exp/checkpoints/best.pt"), "--features",
                 str(corpus / "feats_valid"), "--labels", str(corpus / "valid.tsv"), "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert abs(metrics["accuracy"] + metrics["clip_error"] - 1) < 1e-9
    assert np.array(metrics["confusion"]).sum() == metrics["n_clips"]
    assert (out / "confusion.png").stat().st_size > 0 and (out / "probabilities.tsv").exists()
    assert main(["classify", "--checkpoint", str(tmp_path / "none.pt"), "--features", str(corpus), "--labels",
                 str(corpus / "valid.tsv"), "--out", str(out)]) == 2


def test_classify_scores_every_cutnmix_peer(corpus, tmp_path, capsys):
    import json

    from sedkit.cli.main import main
    from sedkit.training.classification import clip_probabilities, load_classifier

    config = _config(corpus, {"name": "cutnmix", "cutnmix": {"peers": 3}}, epochs=1)
    Trainer(ClassificationTask(config, tmp_path / "exp"), config.optim, config.run, tmp_path / "exp",
            to_dict(config)).fit()
    checkpoint, out = str(tmp_path / "exp/checkpoints/best.pt"), tmp_path / "eval"
    assert main(["classify", "--checkpoint", checkpoint, "--features", str(corpus / "feats_valid"), "--labels",
                 str(corpus / "valid.tsv"), "--out", str(out), "--device", "cpu"]) == 0
    assert "mean of peers" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    peers = metrics["peers"]["accuracy"]
    assert len(peers) == 3 and peers[0] == metrics["accuracy"]
    assert metrics["peers"]["mean_accuracy"] == pytest.approx(np.mean(peers))
    # peer 3 is its own network: scoring it alone gives its listed accuracy
    from sedkit.features.stats import FeatureStats
    from sedkit.data.datasets import ClipTable

    net, state = load_classifier(checkpoint, module="peer3")
    stats = FeatureStats(np.asarray(state["extra"]["stats_mean"]), np.asarray(state["extra"]["stats_std"]), 0, 0, "")
    table = ClipTable(corpus / "feats_valid", corpus / "valid.tsv", None)
    truth = np.array([state["extra"]["classes"].index(label) for label in table.labels])
    probs = clip_probabilities(net, table, stats, torch.device("cpu"))
    assert float((probs.argmax(1) == truth).mean()) == pytest.approx(peers[2])
    with pytest.raises(Exception, match="no network 'peer4'; it has net, peer2, peer3"):
        load_classifier(checkpoint, module="peer4")


@pytest.fixture(scope="module")
def teachers(corpus, tmp_path_factory):
    out, checkpoints = tmp_path_factory.mktemp("teachers"), []
    for seed in (1, 2):
        config = _config(corpus, {"name": "ce"}, epochs=1, seed=seed)
        exp = out / f"teacher{seed}"
        Trainer(ClassificationTask(config, exp), config.optim, config.run, exp, to_dict(config)).fit()
        checkpoints.append(str(exp / "checkpoints" / "last.pt"))
    return checkpoints


def _unikd_config(corpus, teachers, **unikd):
    config = _config(corpus, {"name": "unikd", "unikd": {"teacher_checkpoints": teachers, **unikd}})
    config.data.unlabeled_features, config.data.unlabeled_labels = config.data.valid_features, config.data.valid_labels
    return config


@pytest.mark.parametrize("modes", [("weighted", "weighted"), ("plain", "none"), ("ce", "plain")])
def test_unikd_student_from_frozen_teachers(corpus, tmp_path, teachers, modes):
    config = _unikd_config(corpus, teachers, labeled=modes[0], unlabeled=modes[1])
    task = ClassificationTask(config, tmp_path / "student")
    before = _loss_on_first_batch(task)
    trainer = Trainer(task, config.optim, config.run, tmp_path / "student", to_dict(config))
    assert all(not p.requires_grad for p in task.modules["teachers"].parameters())
    trainer.fit()
    assert _loss_on_first_batch(task) < before
    assert all(not m.training for m in task.modules["teachers"].teachers)


def test_unikd_teacher_outputs_are_cached_once_and_equal_the_teachers(corpus, tmp_path, teachers):
    """With cache_teachers (default) the teachers see each clip once per run, not once per step, and the
    loss is the one of running them at every step."""
    calls = {"cached": 0, "live": 0}
    losses = {}
    for mode, cache in (("cached", True), ("live", False)):
        task = ClassificationTask(_unikd_config(corpus, teachers, cache_teachers=cache), tmp_path / mode)
        task.modules["teachers"].register_forward_hook(lambda *_, m=mode: calls.__setitem__(m, calls[m] + 1))
        task.model.train()
        with torch.no_grad():
            losses[mode] = [float(task.training_step(b, 0.0, 0.0, torch.device("cpu"))["loss"])
                            for epoch in range(2) for b in task.batches(epoch)]
    steps = len(losses["live"])
    assert steps >= 4 and calls["live"] == 2 * steps  # labelled + unlabelled batch at every step
    n_train, n_unlabeled, size = len(task.train.subset), len(task.criterion.unlabeled), task.config.data.batch_size
    assert calls["cached"] == -(-n_train // size) + -(-n_unlabeled // size)  # once per clip, in batches
    assert np.allclose(losses["cached"], losses["live"], rtol=1e-5, atol=1e-6)


def test_mixup_with_cutnmix_or_unikd_is_refused(corpus, tmp_path, teachers):
    from sedkit.errors import InputError

    for config in (_config(corpus, {"name": "cutnmix"}), _unikd_config(corpus, teachers)):
        config.data.mixup_alpha = 0.2
        with pytest.raises(InputError,
                           match="makes its own batches; mixup applies to ce, lsr, lsr_os, lsr_os_tc, mrkd, tfkd"):
            ClassificationTask(config, tmp_path / "exp")


def test_validation_label_outside_the_classes_is_refused(corpus, tmp_path):
    from sedkit.errors import InputError
    from sedkit.io import read_tsv, write_tsv

    rows = read_tsv(corpus / "valid.tsv", ("filename", "label", "group"))
    rows[0]["label"] = "Kazoo"
    bad = tmp_path / "valid.tsv"
    write_tsv(bad, ("filename", "label", "group"), [(r["filename"], r["label"], r["group"]) for r in rows])
    config = _config(corpus, {"name": "ce"})
    config.data.valid_labels = str(bad)
    with pytest.raises(InputError, match="label 'Kazoo' is not one of the training classes"):
        ClassificationTask(config, tmp_path / "exp")


def test_stale_statistics_are_refused(corpus, tmp_path):
    """data.stats computed from features of another config than the run's folders: refused, as in SED."""
    from sedkit.errors import InputError
    from sedkit.features.extract import extract_features, list_audio
    from sedkit.features.logmel import LogMelConfig
    from sedkit.features.stats import compute_stats, save_stats

    other = LogMelConfig(n_fft=1024, win_length=1024, hop_length=256, n_mels=32)  # another hop
    extract_features(list_audio(corpus / "train.wav.tsv"), tmp_path / "feats_other", other, progress=False)
    save_stats(compute_stats([tmp_path / "feats_other"], progress=False), tmp_path / "stale.npz")
    config = _config(corpus, {"name": "ce"})
    config.data.stats = str(tmp_path / "stale.npz")
    with pytest.raises(InputError, match="stale.npz: statistics were computed from features with another config"):
        ClassificationTask(config, tmp_path / "exp")
    save_stats(compute_stats([corpus / "feats_train"], progress=False), tmp_path / "fresh.npz")
    config.data.stats = str(tmp_path / "fresh.npz")
    assert ClassificationTask(config, tmp_path / "exp2").stats.n_clips > 0


@pytest.mark.parametrize("criterion, data", [
    ({"name": "ce"}, {"distort": True}),
    ({"name": "cutnmix", "cutnmix": {"mixing": "none", "distortion": "shared", "mmd": False,
                                     "peer_teacher": False}}, {}),
    ({"name": "cutnmix", "cutnmix": {"peers": 1, "mixing": "cutmix", "distortion": "shared", "mmd": False,
                                     "peer_teacher": False}}, {}),
])
def test_table1_rows_share_the_base_augmentation(corpus, tmp_path, criterion, data):
    """CE gets the base augmentation; DML's peers see one and the same view; the single-network CutMix row
    trains one network on mixed clips."""
    config = _config(corpus, criterion, epochs=1)
    for key, value in data.items():
        setattr(config.data, key, value)
    task = ClassificationTask(config, tmp_path / "exp")
    batch = next(iter(task.batches(0)))
    clean = np.stack([task.stats.normalise(task.train.matrix(i)) for i in np.random.default_rng(
        [config.run.seed, 0]).permutation(len(task.y))[:config.data.batch_size]])
    if criterion["name"] == "ce":
        assert batch["x"].shape == clean.shape and not np.array_equal(batch["x"], clean)  # augmented
        assert np.count_nonzero(batch["x"] == 0.0) > 0  # the masks
    else:
        views = batch["x"]
        assert views.shape[0] == criterion["cutnmix"].get("peers", 2)
        if views.shape[0] == 2:
            np.testing.assert_array_equal(views[0], views[1])  # "identically the same batch"
    Trainer(task, config.optim, config.run, tmp_path / "exp", to_dict(config)).fit()
    assert np.isfinite(task.validate(torch.device("cpu"))["accuracy"])


def test_training_without_a_validation_set_keeps_the_last_checkpoint(corpus, tmp_path):
    """The papers' protocol where nothing needs validating (asc1 --valid_share 0): every epoch trains, last.pt
    is written and scored, no best.pt is chosen."""
    config = _config(corpus, {"name": "ce"}, epochs=1)
    config.data.valid_features = config.data.valid_labels = None
    task = ClassificationTask(config, tmp_path)
    last = Trainer(task, config.optim, config.run, tmp_path, to_dict(config)).fit()
    assert not any(k.startswith("val_") for k in last)
    assert (tmp_path / "checkpoints" / "last.pt").exists() and not (tmp_path / "checkpoints" / "best.pt").exists()
