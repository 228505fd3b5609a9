import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from sedkit.config import to_dict
from sedkit.errors import InputError
from sedkit.training.sed import SEDTask, load_sed_network
from sedkit.training.trainer import Trainer
from tests.training.conftest import tiny_config


def _train(config, exp_dir, **kwargs):
    task = SEDTask(config, exp_dir)
    trainer = Trainer(task, config.optim, config.run, exp_dir, to_dict(config), **kwargs)
    trainer.fit()
    return task, trainer


def _fixed_batch_loss(task):
    batch = next(iter(task.batches(0)))
    torch.manual_seed(123)
    task.system.train()
    with torch.no_grad():
        return float(task.training_step(batch, 100.0, 1.0, torch.device("cpu"))["loss"])


@pytest.fixture(scope="module")
def da_checkpoint(tiny_corpus, tmp_path_factory):
    exp = tmp_path_factory.mktemp("da")
    _train(tiny_config(tiny_corpus, system={"name": "da"}), exp)
    return exp / "checkpoints" / "last.pt"


@pytest.mark.parametrize("system", [
    {"name": "mt_real"}, {"name": "mt_total"}, {"name": "da"}, {"name": "mt_da"}, {"name": "mmt_da"},
    {"name": "fixed_teacher", "fixed_teacher": {"student_grl": False}},
    {"name": "fixed_teacher", "pseudo_labels": "hard"},
])
def test_every_system_reduces_its_training_loss(tiny_corpus, tmp_path, da_checkpoint, system):
    if system["name"] == "fixed_teacher":
        system = {**system, "fixed_teacher": {**system.get("fixed_teacher", {}), "checkpoint": str(da_checkpoint)}}
    config = tiny_config(tiny_corpus, system=system, run={"epochs": 3})
    task = SEDTask(config, tmp_path)
    before = _fixed_batch_loss(task)
    trainer = Trainer(task, config.optim, config.run, tmp_path, to_dict(config))
    last = trainer.fit()
    assert _fixed_batch_loss(task) < before
    assert {"val_score", "val_event_macro_f1"} <= set(last)
    for name in ("config.yaml", "train.log", "metrics.csv", "curves.png", "checkpoints/last.pt", "checkpoints/best.pt"):
        assert (tmp_path / name).exists(), name


@pytest.mark.parametrize("attention", ["se", "tsp", "fsp", "ftsp"])
def test_attention_variants_train(tiny_corpus, tmp_path, attention):
    config = tiny_config(tiny_corpus, model={"attention": attention}, run={"epochs": 1})
    _train(config, tmp_path)
    net, _ = load_sed_network(tmp_path / "checkpoints" / "last.pt")
    assert net.config.attention == attention


def test_interrupted_run_resumes_to_the_same_weights(tiny_corpus, tmp_path):
    config = tiny_config(tiny_corpus, run={"epochs": 3})
    _, straight = _train(config, tmp_path / "straight")

    task = SEDTask(config, tmp_path / "resumed")
    original = task.batches

    def interrupted(epoch, rank=0, world=1):
        if epoch == 2:
            raise KeyboardInterrupt
        return original(epoch, rank, world)

    task.batches = interrupted
    with pytest.raises(KeyboardInterrupt):
        Trainer(task, config.optim, config.run, tmp_path / "resumed", to_dict(config)).fit()
    _, resumed = _train(config, tmp_path / "resumed")
    assert resumed.epoch == 3
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), name


def test_finished_experiment_is_not_overwritten(tiny_corpus, tmp_path):
    config = tiny_config(tiny_corpus, run={"epochs": 1})
    _train(config, tmp_path)
    stamp = os.stat(tmp_path / "checkpoints" / "last.pt").st_mtime_ns
    _train(config, tmp_path)  # finished: nothing to do
    assert os.stat(tmp_path / "checkpoints" / "last.pt").st_mtime_ns == stamp
    # where it runs is not part of the experiment: a run started on 2 threads may be resumed on 1
    _train(tiny_config(tiny_corpus, run={"epochs": 1, "num_threads": 1}), tmp_path)
    assert os.stat(tmp_path / "checkpoints" / "last.pt").st_mtime_ns == stamp
    other = tiny_config(tiny_corpus, run={"epochs": 1, "seed": 5})
    with pytest.raises(InputError, match="holds another experiment"):
        _train(other, tmp_path)
    _train(other, tmp_path, overwrite=True)


def test_a_run_stored_before_keys_moved_is_the_same_experiment(tiny_corpus, tmp_path):
    """A run whose stored config has the keys of before 2026-12-04 (model.domain_hidden, system.student_grl)
    counts as finished when today's config says the same (config_migrations), and as another where it differs."""
    from sedkit.config import from_dict
    from sedkit.training.sed import SEDExperimentConfig

    config = tiny_config(tiny_corpus, run={"epochs": 1})
    _train(config, tmp_path)
    last = tmp_path / "checkpoints" / "last.pt"
    state = torch.load(last, weights_only=False)
    old = state["config"]
    old["model"]["domain_hidden"] = old["system"].pop("domain_hidden")
    old["model"]["domain_dropout"] = old["system"].pop("domain_dropout")
    old["system"]["student_grl"] = old["system"].pop("fixed_teacher")["student_grl"]
    torch.save(state, last)
    stamp = os.stat(last).st_mtime_ns
    migrate = lambda stored: to_dict(from_dict(SEDExperimentConfig, stored))  # noqa: E731  (as sedkit train)
    task = SEDTask(config, tmp_path)
    Trainer(task, config.optim, config.run, tmp_path, to_dict(config), migrate=migrate).fit()
    assert os.stat(last).st_mtime_ns == stamp  # finished: nothing to do
    other = tiny_config(tiny_corpus, run={"epochs": 1}, system={"domain_hidden": 64})
    with pytest.raises(InputError, match="holds another experiment"):
        Trainer(SEDTask(other, tmp_path), other.optim, other.run, tmp_path, to_dict(other), migrate=migrate)


def test_distributed_matches_single_process(tiny_corpus, tmp_path):
    """2 CPU processes (gloo, each half of every batch) == 1 process on the same global batches."""
    no_noise = {"norm": "none", "conv_dropout": 0.0, "rnn_dropout": 0.0, "head_dropout": 0.0}
    config = tiny_config(tiny_corpus, model=no_noise, system={"domain_dropout": 0.0, "input_noise_std": 0.0},
                         run={"epochs": 1})
    from sedkit.config import dump_yaml

    conf = tmp_path / "conf.yaml"
    conf.write_text(dump_yaml(to_dict(config)))
    single = tmp_path / "single"
    _train(config, single)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                             "--master_port", "29731", "-m", "sedkit.cli.main", "train", "--config", str(conf),
                             "--exp-dir", str(tmp_path / "ddp")], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    a = torch.load(single / "checkpoints" / "last.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "ddp" / "checkpoints" / "last.pt", weights_only=False)["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-4)


def test_infer_from_features_and_audio_agree(tiny_corpus, tmp_path):
    from sedkit.cli.main import main
    from sedkit.io import read_events, read_scores

    config = tiny_config(tiny_corpus, run={"epochs": 1})
    _train(config, tmp_path / "exp")
    checkpoint = str(tmp_path / "exp" / "checkpoints" / "last.pt")
    assert main(["infer", "--checkpoint", checkpoint, "--features", str(tiny_corpus / "feats/validation"),
                 "--out", str(tmp_path / "a"), "--no-progress"]) == 0
    assert main(["infer", "--checkpoint", checkpoint, "--audio", str(tiny_corpus / "validation/audio"),
                 "--out", str(tmp_path / "b"), "--no-progress", "--threshold", "0.3"]) == 0
    stamps, classes, scores_a = read_scores(tmp_path / "a" / "scores" / "clip_0000.tsv")
    _, _, scores_b = read_scores(tmp_path / "b" / "scores" / "clip_0000.tsv")
    assert classes == ["noise", "tone"] and scores_a.shape == scores_b.shape == (64, 2)
    assert abs(scores_a - scores_b).max() < 1e-4  # same features, computed offline or on the fly
    assert read_events(tmp_path / "a" / "predictions.tsv") is not None
    card = (tmp_path / "a" / "model.yaml").read_text()  # which checkpoint and network made the outputs
    assert "checkpoint: last.pt" in card and "network: da_teacher" in card and "step: " in card
    assert main(["infer", "--checkpoint", str(tmp_path / "nope.pt"), "--features", str(tiny_corpus),
                 "--out", str(tmp_path / "c")]) == 2


def test_list_networks_puts_the_evaluated_one_first(tiny_corpus, tmp_path, capsys):
    from sedkit.cli.main import main

    _train(tiny_config(tiny_corpus, run={"epochs": 1}), tmp_path)  # mmt_da, evaluated on da_teacher
    assert main(["infer", "--checkpoint", str(tmp_path / "checkpoints" / "last.pt"), "--list-networks"]) == 0
    assert capsys.readouterr().out.split() == ["da_teacher", "da_student", "ssl_student", "ssl_teacher"]


def test_batches_from_memory_equal_batches_from_disk(tiny_corpus):
    from sedkit.training.sed import SEDTask

    batches = {}
    for in_memory in (True, False):
        config = tiny_config(tiny_corpus, data={"in_memory": in_memory, "steps_per_epoch": 3})
        task = SEDTask(config, tiny_corpus / f"exp_{in_memory}")
        assert task.steps_per_epoch() == 3
        batches[in_memory] = list(task.batches(epoch=1))
    for a, b in zip(batches[True], batches[False]):
        assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_augmentation_masks_and_mixup(tiny_corpus, tmp_path):
    import numpy as np

    from sedkit.data.augment import AugmentConfig, augment_batch

    config = tiny_config(tiny_corpus, augment={"time_masks": 2, "freq_masks": 2, "mixup_prob": 1.0},
                         run={"epochs": 1})
    task = SEDTask(config, tmp_path)
    plain = SEDTask(tiny_config(tiny_corpus, run={"epochs": 1}), tmp_path / "plain")
    a, b = next(iter(task.batches(0))), next(iter(plain.batches(0)))
    assert a["x"].shape == b["x"].shape and not np.allclose(a["x"], b["x"])
    assert np.array_equal(next(iter(task.batches(0)))["x"], a["x"])  # deterministic per (seed, epoch, step)
    soft = a["weak"][a["is_weak"]]
    assert ((soft > 0) & (soft < 1)).any() or np.array_equal(soft, b["weak"][b["is_weak"]])
    masked = augment_batch(b, AugmentConfig(freq_masks=1, freq_mask_max_bins=16), np.random.default_rng(0), 0.01)
    assert (masked["x"] == 0).any(axis=1).any()
    _train(config, tmp_path / "run")


def test_same_experiment_tolerates_fields_added_at_their_defaults():
    """A run started before a config field existed resumes / counts as finished when the field is at its
    default; a non-default value, a changed value or a dropped field is another experiment."""
    from sedkit.training.trainer import same_experiment

    defaults = {"criterion": {"name": "ce", "unikd": {"lambda_disagreement": 10.0, "cache_teachers": True}},
                "run": {"seed": 0}}
    stored = {"criterion": {"name": "ce", "unikd": {"lambda_disagreement": 10.0}}, "run": {"seed": 1}}
    current = {"criterion": {"name": "ce", "unikd": {"lambda_disagreement": 10.0, "cache_teachers": True}},
               "run": {"seed": 1}}
    assert same_experiment(stored, current, defaults)
    assert not same_experiment(stored, current, None)  # without defaults: strict
    current["criterion"]["unikd"]["cache_teachers"] = False
    assert not same_experiment(stored, current, defaults)
    current["criterion"]["unikd"]["cache_teachers"] = True
    current["run"]["seed"] = 2
    assert not same_experiment(stored, current, defaults)
    current["run"]["seed"] = 1
    del current["criterion"]["unikd"]["lambda_disagreement"]
    assert not same_experiment(stored, current, defaults)


def test_unlabelled_strong_labels_reach_only_the_control(tiny_corpus, tmp_path):
    """data.unlabel_strong_labels: the unlabelled rows are marked is_oracle with their frame targets (the
    encoder's, from the table); is_strong stays the synthetic rows'; the control trains; a table naming a clip
    that is not unlabelled is refused, and the control without the table is refused."""
    from sedkit.io import read_events

    table = tiny_corpus / "unlabel" / "strong.tsv"
    config = tiny_config(tiny_corpus, data={"unlabel_strong_labels": str(table)},
                         system={"mmt_da": {"ssl_strong_labels": True}}, run={"epochs": 1})
    task = SEDTask(config, tmp_path / "control")
    batch = next(iter(task.batches(0)))
    assert np.array_equal(batch["is_oracle"], batch["is_unlabel"])
    assert not (batch["is_oracle"] & batch["is_strong"]).any()
    order = task.data._order("unlabel", 0, 4)
    events = read_events(table)
    first = task.data.subsets["unlabel"].filenames[order[0]]
    rows = [(on, off, label) for f, on, off, label in zip(events.filename, events.onset, events.offset, events.label)
            if f == first]
    expected = task.encoder.strong(rows, task.n_out)
    assert expected.sum() > 0 and np.array_equal(batch["strong"][np.flatnonzero(batch["is_unlabel"])[0]], expected)
    plain = next(iter(SEDTask(tiny_config(tiny_corpus, run={"epochs": 1}), tmp_path / "plain").batches(0)))
    assert not plain["is_oracle"].any() and not plain["strong"][plain["is_unlabel"]].any()
    _train(config, tmp_path / "run")
    with pytest.raises(InputError, match="needs data.unlabel_strong_labels"):
        SEDTask(tiny_config(tiny_corpus, system={"mmt_da": {"ssl_strong_labels": True}}), tmp_path / "x")
    stranger = tmp_path / "stranger.tsv"
    stranger.write_text("filename\tonset\toffset\tevent_label\nnot_a_clip.wav\t0.5\t1.0\ttone\n")
    with pytest.raises(InputError, match="not_a_clip.wav is not among the unlabelled clips"):
        SEDTask(tiny_config(tiny_corpus, data={"unlabel_strong_labels": str(stranger)}), tmp_path / "y")
