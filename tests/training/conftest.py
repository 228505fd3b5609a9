"""Training fixtures: a tiny SED corpus in feature form (tone/noise bursts, log-mel at 16 bands, all four
subsets) and a tiny generated classification corpus."""
from pathlib import Path

import pytest

from sedkit.config import from_dict


def _subset(root: Path, name: str, n_clips: int, seed: int):
    from tests.conftest import write_burst_clips
    from sedkit.features.extract import extract_features, list_audio
    from sedkit.features.logmel import LogMelConfig
    from sedkit.io import write_events, write_tsv

    labels = write_burst_clips(root / name / "audio", n_clips, sample_rate=8000, duration_s=3.0, seed=seed)
    rows = [(clip, e.onset, e.offset, e.label) for clip, events in labels.items() for e in events]
    write_events(root / name / "strong.tsv", rows)
    write_tsv(root / name / "weak.tsv", ("filename", "event_labels"),
              [(clip, ",".join(sorted({e.label for e in events}))) for clip, events in labels.items()])
    write_tsv(root / name / "durations.tsv", ("filename", "duration"), [(clip, "3.000") for clip in labels])
    config = LogMelConfig(sample_rate=8000, n_fft=256, win_length=256, hop_length=94, n_mels=16, clip_duration_s=3.0)
    extract_features(list_audio(root / name / "audio"), root / "feats" / name, config, progress=False)


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny_sed")
    for seed, (name, n) in enumerate((("synth", 12), ("weak", 8), ("unlabel", 12), ("validation", 6))):
        _subset(root, name, n, seed)
    return root


def tiny_config(root: Path, **sections):
    """An experiment config on the tiny corpus, with ``sections`` merged in (dicts per section)."""
    from sedkit.training.sed import SEDExperimentConfig

    data = {
        "classes": ["noise", "tone"],
        "synth_features": str(root / "feats/synth"), "synth_labels": str(root / "synth/strong.tsv"),
        "weak_features": str(root / "feats/weak"), "weak_labels": str(root / "weak/weak.tsv"),
        "unlabel_features": str(root / "feats/unlabel"),
        "validation_features": str(root / "feats/validation"),
        "validation_labels": str(root / "validation/strong.tsv"),
        "validation_durations": str(root / "validation/durations.tsv"),
        "batch_strong": 4, "batch_weak": 4, "batch_unlabel": 4, "clip_frames": 256,
    }
    config = {
        "data": data,
        "model": {"n_classes": 2, "n_mels": 16, "channels": [8, 8], "pooling": [[2, 4], [2, 4]], "rnn_hidden": 8,
                  "rnn_layers": 1},
        "system": {"name": "mmt_da", "consistency_rampup_epochs": 0.0},
        "optim": {"schedule": "constant", "lr": 3e-3},
        "run": {"epochs": 2, "seed": 0, "device": "cpu"},
    }
    for section, values in sections.items():
        config[section] = {**config.get(section, {}), **values}
    return from_dict(SEDExperimentConfig, config)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """A tiny generated classification corpus (train and valid tables, log-mel folders feats_train / feats_valid)."""
    from sedkit.data.mini_corpus import make_mini_classification_corpus
    from sedkit.features.extract import extract_features, list_audio
    from sedkit.features.logmel import LogMelConfig
    from sedkit.io import read_tsv, write_tsv

    root = tmp_path_factory.mktemp("cls")
    counts = make_mini_classification_corpus(root, scale=0.07, progress=False)
    assert counts["train"] > 0 and counts["valid"] > 0
    config = LogMelConfig(n_fft=1024, win_length=1024, hop_length=512, n_mels=32)
    for split in ("train", "valid"):
        rows = read_tsv(root / f"{split}.tsv", ("filename", "label", "group"))
        assert all(r["group"] and r["label"] in r["group"] for r in rows)
        write_tsv(root / f"{split}.wav.tsv", ("filename", "path"), [(r["filename"],
                                                                     f"audio/{r['filename']}") for r in rows])
        extract_features(list_audio(root / f"{split}.wav.tsv"), root / f"feats_{split}", config, progress=False)
    return root


def classification_config(root, criterion, **run):
    """A classification config on the ``corpus`` fixture with ``criterion`` (its section as a dict)."""
    from sedkit.training.classification import ClassificationExperimentConfig

    return from_dict(ClassificationExperimentConfig, {
        "model": {"channels": [8, 16], "hidden": 16},
        "data": {"train_features": str(root / "feats_train"), "train_labels": str(root / "train.tsv"),
                 "valid_features": str(root / "feats_valid"), "valid_labels": str(root / "valid.tsv"),
                 "batch_size": 8},
        "criterion": criterion,
        "optim": {"optimizer": "adam", "lr": 0.003, "schedule": "constant"},
        "run": {"epochs": 3, "device": "cpu", **run},
    })
