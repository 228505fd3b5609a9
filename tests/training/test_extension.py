"""Adding a method: a new classification criterion and a new SED system, each one registration plus one
config, trained one step by the unchanged task classes."""
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sedkit.config import dump_yaml, from_dict, to_dict
from sedkit.training import criteria, mmt_da
from tests.training.conftest import classification_config, tiny_config


@dataclass
class ScaledCEConfig:
    weight: float = 1.0


@pytest.fixture
def toy_criterion(monkeypatch):
    """A toy method, ``weight`` x CE, registered for this test only."""
    criteria.criterion_names()  # the built-in ones first, so that the copies below hold them
    monkeypatch.setattr(criteria.CRITERIA, "_entries", dict(criteria.CRITERIA._entries))
    monkeypatch.setattr(criteria.SECTIONS, "_entries", dict(criteria.SECTIONS._entries))

    @criteria.register("scaled_ce", section="scaled_ce", config_class=ScaledCEConfig)
    class ScaledCE(criteria.Criterion):
        accepts_mixup = False

        def loss(self, batch, device):
            x, y = self.tensors(batch, device, "x", "y")
            ce = F.cross_entropy(self.context.net(x)["logits"], y)
            return {"ce": ce, "loss": self.config.weight * ce}

    return ScaledCE


def test_a_new_criterion_is_one_registration_and_one_config(corpus, tmp_path, toy_criterion):
    from sedkit.training.classification import ClassificationExperimentConfig, ClassificationTask
    from sedkit.training.trainer import Trainer

    config = classification_config(corpus, {"name": "scaled_ce", "scaled_ce": {"weight": 2.5}}, epochs=1)
    assert config.criterion.scaled_ce.weight == 2.5
    assert "scaled_ce:\n    weight: 2.5" in dump_yaml(to_dict(config))  # typed, shown by --dump-config
    with pytest.raises(Exception, match="unknown key criterion.scaled_ce.wieght"):
        classification_config(corpus, {"name": "scaled_ce", "scaled_ce": {"wieght": 1.0}})
    with pytest.raises(Exception, match="data.mixup_alpha: criterion scaled_ce makes its own batches"):
        bad = classification_config(corpus, {"name": "scaled_ce"})
        bad.data.mixup_alpha = 0.2
        ClassificationTask(bad, tmp_path / "bad")

    task = ClassificationTask(config, tmp_path / "exp")
    batch = next(iter(task.batches(0)))
    task.model.eval()
    with torch.no_grad():
        terms = task.training_step(batch, 0.0, 0.0, torch.device("cpu"))
        logits = task.modules["net"](torch.from_numpy(batch["x"]))["logits"]
        expected = -torch.log_softmax(logits, 1)[torch.arange(len(batch["y"])), torch.from_numpy(batch["y"])].mean()
    assert float(terms["loss"]) == pytest.approx(2.5 * float(expected), rel=1e-6)

    before = [p.detach().clone() for p in task.modules["net"].parameters()]
    Trainer(task, config.optim, config.run, tmp_path / "exp", to_dict(config)).fit()
    assert any(not torch.equal(a, b) for a, b in zip(before, task.modules["net"].parameters()))
    # the checkpoint loads back through the strict loader and scores with the registered criterion
    from sedkit.training.classification import evaluate_checkpoint

    metrics = evaluate_checkpoint(tmp_path / "exp/checkpoints/last.pt", corpus / "feats_valid", corpus / "valid.tsv",
                                  tmp_path / "eval", device="cpu")
    assert 0.0 <= metrics["accuracy"] <= 1.0 and "peers" not in metrics
    assert from_dict(ClassificationExperimentConfig, to_dict(config)).criterion.name == "scaled_ce"


@pytest.fixture
def weak_only_system(monkeypatch):
    """A toy SED system: one student trained on the weak labels alone (clip BCE), registered for this test."""
    monkeypatch.setattr(mmt_da.SYSTEMS, "_entries", dict(mmt_da.SYSTEMS._entries))

    @mmt_da.register_system("weak_only", mmt_da.SystemTraits(ema_teacher=False, grl=False, synthetic=False,
                                                             evaluated="student"))
    class WeakOnly(mmt_da.SingleStudent):
        def losses(self, batch, epoch, progress):
            out = self.nets["student"](batch["x"])
            weak = batch["is_weak"]
            l_w = F.binary_cross_entropy(out["clip"][weak], batch["weak"][weak])
            return {"L_W": l_w, "loss": l_w}

    return WeakOnly


def test_a_new_sed_system_is_one_registration_and_one_config(tiny_corpus, tmp_path, weak_only_system):
    from sedkit.training.sed import SEDTask
    from sedkit.training.trainer import Trainer

    config = tiny_config(tiny_corpus, system={"name": "weak_only"}, run={"epochs": 1})
    task = SEDTask(config, tmp_path / "exp")
    assert isinstance(task.system, weak_only_system) and set(task.system.nets) == {"student"}
    batch = {k: torch.from_numpy(np.asarray(v)) for k, v in next(iter(task.batches(0))).items()}
    task.model.eval()
    with torch.no_grad():
        terms = task.system.losses(batch, 0.0, 0.0)
        clip = task.system.nets["student"](batch["x"])["clip"]
    weak = batch["is_weak"].numpy()
    p, t = clip.numpy()[weak], batch["weak"].numpy()[weak]
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))  # BCE written out
    assert weak.sum() > 0 and float(terms["loss"]) == pytest.approx(expected, rel=1e-5)

    before = [p.detach().clone() for p in task.system.nets["student"].parameters()]
    Trainer(task, config.optim, config.run, tmp_path / "exp", to_dict(config)).fit()
    assert any(not torch.equal(a, b) for a, b in zip(before, task.system.nets["student"].parameters()))
    with pytest.raises(Exception, match="unknown system 'weak_onyl'; known: da, fixed_teacher"):
        tiny_config(tiny_corpus, system={"name": "weak_onyl"})


def test_model_sections_are_typed_by_model_name(tmp_path):
    """``model:`` is the registry's config of ``model_name``: its fields checked strictly, its defaults shown,
    an unknown name refused with the file named."""
    from sedkit.config import ConfigError, load_config
    from sedkit.models.classifiers import CPResNetConfig
    from sedkit.training.classification import ClassificationExperimentConfig

    path = tmp_path / "c.yaml"
    path.write_text("task: classification\nmodel_name: cpresnet\nmodel: {base_channels: 8}\n")
    config = load_config(ClassificationExperimentConfig, path)
    assert isinstance(config.model, CPResNetConfig) and config.model.base_channels == 8
    assert to_dict(config)["model"]["rf_blocks"] == CPResNetConfig().rf_blocks  # the defaults, in the dump
    with pytest.raises(ConfigError, match="unknown key model.channels; valid keys of model: n_classes"):
        load_config(ClassificationExperimentConfig, path, ["model.channels=[8]"])
    with pytest.raises(ConfigError, match=r"c.yaml: model_name: unknown model 'resnet'; known: cnn, cpresnet, crnn"):
        load_config(ClassificationExperimentConfig, path, ["model_name=resnet"])


@dataclass
class FrameMLPConfig:
    n_classes: int = 10
    n_mels: int = 16
    hidden: int = 12
    time_pooling: int = 4


@pytest.fixture
def frame_mlp(monkeypatch):
    """A toy SED network that is no CRNN: a per-frame MLP on the mel bands after average pooling over time,
    registered for this test only; it keeps the contract of sedkit.models.contract and nothing else."""
    from torch import nn

    from sedkit.models import registry

    registry.model_names()  # the built-in ones first, so that the copy below holds them
    monkeypatch.setattr(registry.MODELS, "_entries", dict(registry.MODELS._entries))

    @registry.register("frame_mlp", FrameMLPConfig)
    class FrameMLP(nn.Module):
        def __init__(self, config: FrameMLPConfig):
            super().__init__()
            self.config = config
            self.pool = nn.AvgPool1d(config.time_pooling)
            self.hidden = nn.Sequential(nn.Linear(config.n_mels, config.hidden), nn.ReLU())
            self.out = nn.Linear(config.hidden, config.n_classes)

        frame_pooling = property(lambda self: self.config.time_pooling)
        domain_feature_dim = property(lambda self: self.config.hidden)

        def output_frames(self, n_frames: int) -> int:
            return n_frames // self.config.time_pooling

        def forward(self, x):
            h = self.hidden(self.pool(x.transpose(1, 2)).transpose(1, 2))  # (B, T / pooling, hidden)
            frame = torch.sigmoid(self.out(h))
            return {"frame": frame, "clip": frame.mean(dim=1), "domain_features": h}

    return FrameMLP


def test_a_new_sed_model_trains_in_a_sed_system_through_the_contract(tiny_corpus, tmp_path, frame_mlp):
    """The toy network trains in MT-DA (an EMA teacher and the GRL domain classifier on its domain_features,
    sized by the system's domain_hidden); labels follow its own time pooling; the checkpoint decodes."""
    from sedkit.training.sed import SEDTask, infer
    from sedkit.training.trainer import Trainer

    config = tiny_config(tiny_corpus, run={"epochs": 2})
    config = from_dict(type(config), {**to_dict(config), "model_name": "frame_mlp",
                                      "model": {"n_classes": 2, "n_mels": 16, "hidden": 12, "time_pooling": 4},
                                      "system": {"name": "mt_da", "domain_hidden": 6}})
    task = SEDTask(config, tmp_path / "exp")
    assert isinstance(task.system.nets["student"], frame_mlp) and task.n_out == 256 // 4
    assert task.encoder.frame_hop_s == pytest.approx(4 * 94 / 8000)  # the toy's pooling x the feature hop
    first_layer = task.system.nets["domain"].net[0]
    assert first_layer.in_features == 12 and first_layer.out_features == 6
    batch = next(iter(task.batches(0)))
    assert batch["strong"].shape[1] == 64
    before = [p.detach().clone() for p in task.system.nets["student"].parameters()]
    Trainer(task, config.optim, config.run, tmp_path / "exp", to_dict(config)).fit()
    assert any(not torch.equal(a, b) for a, b in zip(before, task.system.nets["student"].parameters()))
    summary = infer(tmp_path / "exp/checkpoints/last.pt", tmp_path / "dec",
                    features_dir=tiny_corpus / "feats/validation", device="cpu", progress=False)
    assert summary["clips"] == 6 and summary["network"] == "teacher"
    from pathlib import Path

    from sedkit.features.extract import read_feature_table

    row = read_feature_table(tiny_corpus / "feats/validation")[0]
    frames = np.load(tiny_corpus / "feats/validation" / row["path"]).shape[0]
    lines = (tmp_path / "dec" / "scores" / f"{Path(row['filename']).stem}.tsv").read_text().splitlines()
    assert len(lines) == 1 + frames // 4  # a header, then one row per output frame of the toy


def test_a_network_without_the_contract_is_refused(tiny_corpus, tmp_path, monkeypatch):
    from torch import nn

    from sedkit.errors import InputError
    from sedkit.models import registry

    registry.model_names()
    monkeypatch.setattr(registry.MODELS, "_entries", dict(registry.MODELS._entries))

    @registry.register("no_contract", FrameMLPConfig)
    class NoContract(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config

    config = tiny_config(tiny_corpus)
    config = from_dict(type(config), {**to_dict(config), "model_name": "no_contract", "model": {"n_classes": 2}})
    with pytest.raises(InputError, match="model_name no_contract: NoContract is not a SED network .* it lacks "
                                         "output_frames, frame_pooling, domain_feature_dim"):
        config.build_network()
