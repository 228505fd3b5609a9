"""SED training data over precomputed log-mel folders: subsets, targets, and the mixed batch sampler.

Three training subsets as in DESED / DCASE 2020: strongly labelled synthetic clips, weakly labelled real
clips, unlabelled real clips. Every batch holds a fixed number from each (DCASE 2020 baseline: 6 + 6 + 12
of 24). An epoch is one pass over the unlabelled subset (or the largest subset in use, or
``steps_per_epoch``); the smaller subsets are cycled. Clip order comes from a generator seeded by
(seed, epoch, subset), so an epoch's batches are the same after a resume, and in every process of a
distributed run (each takes its slice of every global batch).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np

from sedkit.data.soundbank import DESED_CLASSES
from sedkit.errors import InputError

__all__ = ["DataConfig", "FeatureSubset", "SEDTrainData", "load_feature_matrix", "ClipTable"]



@dataclass
class DataConfig:
    """Where the features and labels are, and how batches are mixed.

    Feature folders come from ``sedkit features`` (all with one feature config); label tables are DCASE
    tsv. ``stats`` is a ``stats.npz`` from ``sedkit features stats`` over the training folders (computed
    and saved in the experiment folder when null). Clips are padded or cropped to ``clip_frames``.
    ``steps_per_epoch`` fixes an epoch's length in optimiser steps whatever the data size (null: one pass
    over the unlabelled subset); validation and checkpoints come once an epoch. ``in_memory`` loads and
    normalises every training clip once (a 2500-clip set of 256 x 64 frames is 164 MB) instead of reading
    each batch from disk. ``unlabel_strong_labels`` (strong labels of the unlabelled clips, e.g. a generated
    corpus's ``strong_oracle.tsv``) is read only by a system that asks for it (``system.mmt_da.ssl_strong_labels``, a
    control); the batches then mark those clips ``is_oracle`` and carry their frame targets in ``strong``
    (``is_strong`` stays the synthetic clips').
    """

    classes: List[str] = field(default_factory=lambda: list(DESED_CLASSES))
    synth_features: Optional[str] = None
    synth_labels: Optional[str] = None
    weak_features: Optional[str] = None
    weak_labels: Optional[str] = None
    unlabel_features: Optional[str] = None
    unlabel_strong_labels: Optional[str] = None  # the unlabelled clips' real strong labels: a control only
    validation_features: Optional[str] = None
    validation_labels: Optional[str] = None
    validation_durations: Optional[str] = None
    stats: Optional[str] = None
    batch_strong: int = 6
    batch_weak: int = 6
    batch_unlabel: int = 12
    steps_per_epoch: Optional[int] = None
    clip_frames: int = 512
    median_labels: Optional[str] = None
    in_memory: bool = True


def load_feature_matrix(path: Path, frames: int) -> np.ndarray:
    """One clip's (frames, mels) matrix, cropped to ``frames`` or padded by repeating its last frame."""
    matrix = np.load(path, mmap_mode="r")
    if matrix.shape[0] >= frames:
        return np.asarray(matrix[:frames], dtype=np.float32)
    pad = np.repeat(matrix[-1:], frames - matrix.shape[0], axis=0)
    return np.concatenate([np.asarray(matrix, dtype=np.float32), pad])


class FeatureSubset:
    """Clips of one feature folder with optional per-clip targets."""

    def __init__(self, name: str, folder: str | Path, frames: int, filenames: Optional[List[str]] = None):
        from sedkit.features.extract import read_feature_table

        self.name, self.folder, self.frames = name, Path(folder), frames
        rows = read_feature_table(self.folder)
        by_name = {row["filename"]: row["path"] for row in rows}
        if filenames is None:
            filenames = list(by_name)
        missing = [f for f in filenames if f not in by_name]
        if missing:
            raise InputError(f"{self.folder}: no features for {missing[0]}"
                             f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''} listed in the labels")
        if not filenames:
            raise InputError(f"{self.folder}: no clips")
        self.filenames = list(filenames)
        self.paths = [self.folder / by_name[f] for f in self.filenames]

        self.cache: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.filenames)

    def matrix(self, index: int) -> np.ndarray:
        if self.cache is not None:
            return self.cache[index]
        return load_feature_matrix(self.paths[index], self.frames)

    def load(self, stats=None) -> None:
        """Hold every clip in memory (normalised with ``stats`` when given): batches then read no file."""
        matrices = np.stack([load_feature_matrix(path, self.frames) for path in self.paths])
        self.cache = stats.normalise(matrices).astype(np.float32) if stats is not None else matrices


class ClipTable:
    """A classification table (``filename  label [group]``) over a feature folder: the clips' labels, groups
    (a clip is its own group without a ``group`` column) and matrices (whole, or cut / padded to ``frames``)."""

    def __init__(self, features: str | Path, labels: str | Path, frames: Optional[int], need_label: bool = True):
        from sedkit.io import read_tsv

        rows = read_tsv(labels, ("filename", "label") if need_label else ("filename",))
        if not rows:
            raise InputError(f"{labels}: no rows")
        self.labels = [row.get("label", "") for row in rows]
        self.groups = [row.get("group") or row["filename"] for row in rows]
        self.subset = FeatureSubset(Path(labels).stem, features, frames or 10 ** 9, [row["filename"] for row in rows])
        self.frames = frames

    def __len__(self) -> int:
        return len(self.labels)

    def matrix(self, index: int) -> np.ndarray:
        return np.load(self.subset.paths[index]) if self.frames is None else self.subset.matrix(index)


class SEDTrainData:
    """The three training subsets with targets, normalisation and the batch sampler."""

    def __init__(self, config: DataConfig, encoder, n_out_frames: int, stats, seed: int = 0, augment=None,
                 input_frame_hop_s: float = 0.0):
        from sedkit.io import read_tsv

        self.config, self.encoder, self.n_out, self.stats, self.seed = config, encoder, n_out_frames, stats, seed
        self.augment, self.input_frame_hop_s = augment, input_frame_hop_s
        self.subsets: Dict[str, FeatureSubset] = {}
        self.strong_targets: List[np.ndarray] = []
        self.weak_targets: List[np.ndarray] = []
        self.oracle_targets: List[np.ndarray] = []
        classes = set(config.classes)
        if config.batch_strong > 0:
            if not (config.synth_features and config.synth_labels):
                raise InputError("data.batch_strong > 0 needs data.synth_features and data.synth_labels")
            files, events = self._events_by_clip(config.synth_labels, classes)
            self.subsets["strong"] = FeatureSubset("strong", config.synth_features, config.clip_frames, files)
            self.strong_targets = [encoder.strong(events[f], n_out_frames) for f in self.subsets["strong"].filenames]
        if config.batch_weak > 0:
            if not (config.weak_features and config.weak_labels):
                raise InputError("data.batch_weak > 0 needs data.weak_features and data.weak_labels")
            rows = read_tsv(config.weak_labels, ("filename", "event_labels"))
            labels = {r["filename"]: [tag for tag in r["event_labels"].split(",") if tag] for r in rows}
            self._check_labels([tag for tags in labels.values() for tag in tags], config.weak_labels, classes)
            self.subsets["weak"] = FeatureSubset("weak", config.weak_features, config.clip_frames, list(labels))
            self.weak_targets = [encoder.weak(labels[f]) for f in self.subsets["weak"].filenames]
        if config.batch_unlabel > 0:
            if not config.unlabel_features:
                raise InputError("data.batch_unlabel > 0 needs data.unlabel_features")
            self.subsets["unlabel"] = FeatureSubset("unlabel", config.unlabel_features, config.clip_frames)
            if config.unlabel_strong_labels:
                unlabelled = self.subsets["unlabel"].filenames
                _, events = self._events_by_clip(config.unlabel_strong_labels, classes, unlabelled,
                                                 f"the unlabelled clips of {config.unlabel_features}")
                self.oracle_targets = [encoder.strong(events[f], n_out_frames) for f in unlabelled]
        if not self.subsets:
            raise InputError("no training data: every data.batch_* is 0")
        if config.in_memory:
            for subset in self.subsets.values():
                subset.load(stats)

    def _events_by_clip(self, path, classes, clips=None, where: str = ""):
        """(the table's clips, {clip: [(onset, offset, label), ...]}) of the strong labels at ``path``; with
        ``clips``, every clip of that list (without events: none) and a table clip outside it refused."""
        from sedkit.io import read_events

        table = read_events(path)
        self._check_labels(table.label, path, classes)
        events: Dict[str, list] = {name: [] for name in (table.files if clips is None else clips)}
        for name, onset, offset, label in zip(table.filename, table.onset, table.offset, table.label):
            if name not in events:
                raise InputError(f"{path}: {name} is not among {where}")
            events[name].append((onset, offset, label))
        return table.files, events

    @staticmethod
    def _check_labels(labels, path, classes) -> None:
        unknown = sorted(set(labels) - classes)
        if unknown:
            raise InputError(f"{path}: label {unknown[0]!r} is not in data.classes")

    def batch_sizes(self) -> Dict[str, int]:
        c = self.config
        sizes = {"strong": c.batch_strong, "weak": c.batch_weak, "unlabel": c.batch_unlabel}
        return {k: v for k, v in sizes.items() if k in self.subsets}

    def steps_per_epoch(self) -> int:
        if self.config.steps_per_epoch:
            return self.config.steps_per_epoch
        sizes = self.batch_sizes()
        key = "unlabel" if "unlabel" in sizes else max(sizes, key=lambda k: len(self.subsets[k]) / sizes[k])
        return max(1, math.ceil(len(self.subsets[key]) / sizes[key]))

    def _order(self, name: str, epoch: int, count: int) -> np.ndarray:
        """``count`` indices of subset ``name`` for ``epoch``: shuffled passes, concatenated as needed."""
        size = len(self.subsets[name])
        subset_id = ("strong", "weak", "unlabel").index(name)
        rng = np.random.default_rng([self.seed, epoch, subset_id])
        passes = math.ceil(count / size)
        return np.concatenate([rng.permutation(size) for _ in range(passes)])[:count]

    def batches(self, epoch: int, rank: int = 0, world_size: int = 1) -> Iterator[Dict[str, np.ndarray]]:
        """The epoch's global batches; with ``world_size`` > 1 each rank gets rows rank, rank + W, ..."""
        steps = self.steps_per_epoch()
        sizes = self.batch_sizes()
        orders = {name: self._order(name, epoch, steps * size) for name, size in sizes.items()}
        for step in range(steps):
            rows = []
            for name, size in sizes.items():
                rows += [(name, int(i)) for i in orders[name][step * size:(step + 1) * size]]
            batch = self._collate(rows)
            if self.augment is not None and self.augment.enabled:
                from sedkit.data.augment import augment_batch

                rng = np.random.default_rng([self.seed, epoch, step, 7])
                batch = augment_batch(batch, self.augment, rng, self.input_frame_hop_s,
                                      db_to_normalised=1.0 / np.maximum(self.stats.std, 1e-8),
                                      time_pooling=self.config.clip_frames // self.n_out)
            yield {key: value[rank::world_size] for key, value in batch.items()}

    def _collate(self, rows) -> Dict[str, np.ndarray]:
        n_classes = len(self.encoder.classes)
        x = np.stack([self.subsets[name].matrix(i) if self.config.in_memory
                      else self.stats.normalise(self.subsets[name].matrix(i)) for name, i in rows])
        strong = np.zeros((len(rows), self.n_out, n_classes), dtype=np.float32)
        weak = np.zeros((len(rows), n_classes), dtype=np.float32)
        oracle = np.zeros(len(rows), dtype=bool)
        for row, (name, i) in enumerate(rows):
            if name == "strong":
                strong[row] = self.strong_targets[i]
                weak[row] = self.strong_targets[i].max(axis=0)
            elif name == "weak":
                weak[row] = self.weak_targets[i]
            elif self.oracle_targets:
                strong[row], oracle[row] = self.oracle_targets[i], True
        kinds = np.array([name for name, _ in rows])
        return {"x": x, "strong": strong, "weak": weak, "is_strong": kinds == "strong", "is_weak": kinds == "weak",
                "is_unlabel": kinds == "unlabel", "is_synthetic": kinds == "strong", "is_oracle": oracle}
