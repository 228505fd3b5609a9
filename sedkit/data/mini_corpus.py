"""A small DESED-2020-shaped corpus made entirely by sedkit (or from a user's sound bank).

Sets (clip counts at ``scale=1``; DESED-like proportions, made in a few minutes on 2 CPU cores):

| set | domain | labels exposed | bank | clips | role |
|---|---|---|---|---|---|
| ``train_synth`` | synthetic (``home`` backgrounds) | strong, weak | train | 1000 | strong training data |
| ``train_weak`` | real (``room`` backgrounds + recording chain) | weak | train | 300 | weak training data |
| ``train_unlabel`` | real | none (``strong_oracle.tsv``) | train | 2500 | unlabelled training data |
| ``validation`` | real | strong, weak | eval | 600 | the set results are reported on |
| ``validation_synth`` | synthetic | strong, weak | eval | 300 | model selection (never reported) |

``validation_synth`` is synthetic like DESED_task's synthetic validation set: models are selected on it,
so nothing is chosen on ``validation``; it also measures the domain gap. Labels a set does not expose are
kept under ``<set>/.withheld/`` for analysis; recipes never read them, with one stated exception:
``train_unlabel/strong_oracle.tsv``, the real-like strong labels that only the ``oracle`` bound trains on.

Sources are disjoint between training and reporting, as DESED's real validation never reuses training
recordings. The built-in bank's event sources per domain (``sources``):

- ``domain`` (default since corpus v3): each domain draws its events from its own sources, as DESED is made
  (synthetic soundscapes from Freesound clips, real ones from AudioSet recordings): four banks,
  ``<out>/soundbank/{train,eval}_{synthetic,real}``, ``80 x scale`` (train) / ``40 x scale`` (eval) clips per
  class each, different seeds, the real domain's of source family 1 (:mod:`sedkit.data.soundbank`: another
  pitch / tempo, tilt and room per event). The real-domain branch of a model then sees sources that the
  synthetic strong labels never show.
- ``shared`` (corpus v2): both domains mix the same bank clips, and differ only in their backgrounds and the
  recording chain: ``<out>/soundbank/{train,eval}``.

A user bank (``soundbank=DIR``) is ``shared``: a user bank (``soundbank=DIR``) is split by source
file (``eval_share`` of each label's files, drawn with the corpus seed, go to the eval role), or a second
bank (``eval_soundbank=DIR``) serves the eval role. The background labels of each domain are chosen by
``synthetic_backgrounds`` / ``real_backgrounds`` (built-in: ``home`` / ``room``; user bank: all labels).
``<out>/classes.txt`` lists the event classes (the bank's foreground labels, sorted), one a line.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sedkit.data.soundbank import SoundBankConfig, write_soundbank
from sedkit.data.synth import SoundBank, SynthConfig, SynthReport, scan_soundbank, synthesize

__all__ = ["MINI_SETS", "SOURCES", "make_mini_corpus", "make_mini_classification_corpus", "split_soundbank",
           "ORACLE_TABLE"]

ORACLE_TABLE = "strong_oracle.tsv"
CLASSES_FILE = "classes.txt"  # the corpus's event classes, one a line, in the order of a model's outputs


@dataclass(frozen=True)
class MiniSet:
    name: str
    domain: str
    clips: int
    bank: str  # "train" or "eval"
    withheld: tuple  # tables moved to .withheld/


MINI_SETS = (
    MiniSet("train_synth", "synthetic", 1000, "train", ()),
    MiniSet("train_weak", "real", 300, "train", ("strong.tsv",)),
    MiniSet("train_unlabel", "real", 2500, "train", ("strong.tsv", "weak.tsv")),
    MiniSet("validation", "real", 600, "eval", ()),
    MiniSet("validation_synth", "synthetic", 300, "eval", ()),
)
BUILTIN_CLIPS_PER_CLASS = {"train": 80, "eval": 40}
BUILTIN_BACKGROUNDS_PER_LABEL = {"train": 12, "eval": 6}


def split_soundbank(bank: SoundBank, eval_share: float, seed: int) -> Tuple[SoundBank, SoundBank, List[str]]:
    """(train, eval, shared): banks with disjoint source files: of each label's files, ``round(eval_share *
    n)`` (at least one, and at least one left for training) drawn with ``seed`` go to eval. A background
    label with a single file is used by both and named in ``shared``; a foreground label needs two files."""
    from sedkit.errors import InputError

    shared: List[str] = []

    def split(kind: str, clips: Dict[str, List[Tuple[str, float]]]):
        train, evaluation = {}, {}
        for number, (label, files) in enumerate(sorted(clips.items())):
            if len(files) < 2:
                if kind == "foreground":
                    raise InputError(f"{bank.root / kind / label}: one clip only; a bank split into training and "
                                     "evaluation sources needs at least 2 per label (or give --eval-soundbank)")
                train[label] = evaluation[label] = files
                shared.append(f"{kind}/{label}")
                continue
            count = min(len(files) - 1, max(1, round(eval_share * len(files))))
            order = np.random.default_rng([seed, number, kind == "foreground"]).permutation(len(files))
            chosen = set(order[:count].tolist())
            evaluation[label] = [f for i, f in enumerate(files) if i in chosen]
            train[label] = [f for i, f in enumerate(files) if i not in chosen]
        return train, evaluation

    fg_train, fg_eval = split("foreground", bank.foreground)
    bg_train, bg_eval = split("background", bank.background)
    train = SoundBank(bank.root, fg_train, bg_train, dict(bank.label_map))
    evaluation = SoundBank(bank.root, fg_eval, bg_eval, dict(bank.label_map))
    return train, evaluation, shared


SOURCES = ("domain", "shared")


def _builtin_banks(out: Path, scale: float, seed: int, sources: str = "domain") -> Dict[Tuple[str, str], SoundBank]:
    """The built-in banks by (role, domain): ``shared`` writes ``train`` and ``eval`` (seeds 2s, 2s + 1) and
    gives both domains each; ``domain`` writes ``<role>_<domain>`` (seeds 10^6 + 4s + k, k = 0..3; family 1
    for the real domain)."""
    roles, domains = ("train", "eval"), ("synthetic", "real")
    if sources == "shared":  # (folder, (role, domain), seed, family)
        specs = [(role, (role, domain), 2 * seed + i, 0) for i, role in enumerate(roles) for domain in domains]
    else:
        specs = [(f"{role}_{domain}", (role, domain), 10 ** 6 + 4 * seed + 2 * i + j, j)
                 for i, role in enumerate(roles) for j, domain in enumerate(domains)]
    banks: Dict[Tuple[str, str], SoundBank] = {}
    scanned: Dict[str, SoundBank] = {}
    for folder_name, key, bank_seed, family in specs:
        if folder_name not in scanned:
            role = key[0]
            scanned[folder_name] = _write_builtin(out / "soundbank" / folder_name, SoundBankConfig(
                clips_per_class=max(4, round(BUILTIN_CLIPS_PER_CLASS[role] * scale)),
                backgrounds_per_label=max(2, round(BUILTIN_BACKGROUNDS_PER_LABEL[role] * scale)),
                seed=bank_seed, family=family))
        banks[key] = scanned[folder_name]
    return banks


def _write_builtin(folder: Path, config: SoundBankConfig) -> SoundBank:
    marker = folder / ".done"
    if not (marker.exists() and marker.read_text() == repr(config)):
        if folder.exists():
            shutil.rmtree(folder)  # another size or seed: no stale clips may stay in the bank
        write_soundbank(folder, config)
        marker.write_text(repr(config))
    return scan_soundbank(folder)


def make_mini_corpus(out: str | Path, scale: float = 1.0, seed: int = 0, soundbank: Optional[str | Path] = None,
                     nj: int = 1, sets: Sequence[str] | None = None, progress: Optional[bool] = None,
                     synthetic_backgrounds: Optional[List[str]] = None,
                     real_backgrounds: Optional[List[str]] = None, eval_soundbank: Optional[str | Path] = None,
                     eval_share: float = 0.3, log: Optional[Callable[[str], None]] = None,
                     sources: Optional[str] = None) -> Dict[str, SynthReport]:
    """Build (or resume) the mini corpus under ``out``; returns each set's synthesis report.

    ``sources``: ``domain`` or ``shared`` (module doc); default ``domain`` for the built-in bank, ``shared``
    (the only choice) for a user bank.

    ``log`` receives one line saying where the training and evaluation sources come from.
    """
    from sedkit.errors import InputError

    if scale <= 0:
        raise InputError(f"--scale {scale}: must be positive")
    if not 0 < eval_share < 1:
        raise InputError(f"--eval-share {eval_share}: must lie between 0 and 1")
    if eval_soundbank is not None and soundbank is None:
        raise InputError("--eval-soundbank needs --soundbank (the training bank)")
    log = log or (lambda line: None)
    out = Path(out)
    wanted = [s for s in MINI_SETS if sets is None or s.name in sets]
    if sources is not None and sources not in SOURCES:
        raise InputError(f"--sources {sources}: one of {', '.join(SOURCES)}")
    if soundbank is not None and sources == "domain":
        raise InputError("--sources domain: only for the built-in bank (a user bank's domains share its sources)")
    sources = sources or ("domain" if soundbank is None else "shared")
    if soundbank is None:
        banks = _builtin_banks(out, scale, seed, sources)
        backgrounds = {"synthetic": synthetic_backgrounds or ["home"], "real": real_backgrounds or ["room"]}
        per_class = {key: len(bank.foreground["Dog"]) for key, bank in banks.items()}
        if sources == "shared":
            log(f"sources: built-in bank shared by both domains, {per_class['train', 'real']} training and "
                f"{per_class['eval', 'real']} evaluation clips per class, disjoint (seeds {2 * seed}, {2 * seed + 1})")
        else:
            log(f"sources: built-in banks per domain (synthetic: family 0, real: family 1), "
                f"{per_class['train', 'real']} training and {per_class['eval', 'real']} evaluation clips per class "
                f"and domain, all four disjoint")
    else:
        user_bank = scan_soundbank(soundbank)
        if eval_soundbank is not None:
            banks = {"train": user_bank, "eval": scan_soundbank(eval_soundbank)}
            log(f"sources: training sets from {soundbank}, validation sets from {eval_soundbank}")
        else:
            train, evaluation, shared = split_soundbank(user_bank, eval_share, seed)
            banks = {"train": train, "eval": evaluation}
            n_train = sum(len(v) for v in train.foreground.values())
            n_eval = sum(len(v) for v in evaluation.foreground.values())
            log(f"sources: {soundbank} split by source file: {n_train} foreground files for the training sets, "
                f"{n_eval} for the validation sets (share {eval_share}, seed {seed})"
                + (f"; shared (one file only): {', '.join(shared)}" if shared else ""))
        backgrounds = {"synthetic": synthetic_backgrounds, "real": real_backgrounds}
        banks = {(role, domain): bank for role, bank in banks.items() for domain in ("synthetic", "real")}
    train_bank = banks["train", "synthetic"]
    classes = sorted({train_bank.output_label(label) for label in train_bank.foreground})
    out.mkdir(parents=True, exist_ok=True)
    (out / CLASSES_FILE).write_text("".join(f"{label}\n" for label in classes))
    reports = {}
    for spec in wanted:
        config = SynthConfig(n_soundscapes=max(1, round(spec.clips * scale)), domain=spec.domain,
                             background_labels=backgrounds[spec.domain], name_prefix=f"{spec.name}_",
                             seed=1000 * seed + MINI_SETS.index(spec))
        folder = out / spec.name
        reports[spec.name] = synthesize(banks[spec.bank, spec.domain], folder, config, nj=nj, progress=progress)
        if spec.name == "train_unlabel":
            shutil.copyfile(folder / "strong.tsv", folder / ORACLE_TABLE)
        for table in spec.withheld:
            (folder / ".withheld").mkdir(exist_ok=True)
            shutil.move(str(folder / table), str(folder / ".withheld" / table))
    return reports


def make_mini_classification_corpus(out: str | Path, scale: float = 1.0, seed: int = 0,
                                    soundbank: Optional[str | Path] = None, nj: int = 1,
                                    recordings_per_class: int = 30, recording_s: float = 6.0,
                                    clip_s: float = 3.0, progress: Optional[bool] = None) -> Dict[str, int]:
    """A K-class clip corpus for the distillation recipes (GTZAN-like protocol, generated).

    Each *recording* (``recording_s`` long) mixes 2-3 events of its class (SNR 0-15 dB) with 0-2 quieter
    events of other classes (distractors, -10..0 dB) over a background, through Scaper; half the recordings
    go through the real-domain recording chain. Recordings are cut into ``clip_s`` clips with 50 % overlap
    (3 clips of 3 s from 6 s), like GTZAN's 3 s clips of 30 s songs; the recording is the clip's ``group``
    (the "song" for song-level decisions). Splits are by recording: 70 % train, 15 % valid, 15 % test.
    Writes ``OUT/audio/<clip>.wav``, ``OUT/{train,valid,test}.tsv`` (filename, label, group) and
    ``OUT/wav.tsv`` (as ``sedkit prepare-corpus`` does) and returns clip counts per split.
    """
    import soundfile as sf

    from sedkit.errors import InputError
    from sedkit.io import atomic_write, write_tsv

    if scale <= 0:
        raise InputError(f"--scale {scale}: must be positive")
    out = Path(out)
    if soundbank is None:
        folder = out / "soundbank"
        config = SoundBankConfig(clips_per_class=12, seed=2 * seed)
        marker = folder / ".done"
        if not (marker.exists() and marker.read_text() == repr(config)):
            write_soundbank(folder, config)
            marker.write_text(repr(config))
        bank = scan_soundbank(folder)
    else:
        bank = scan_soundbank(soundbank)
    classes = sorted(bank.foreground)
    per_class = max(2, round(recordings_per_class * scale))
    rng = np.random.default_rng([seed, 99])
    rows = {"train": [], "valid": [], "test": []}
    for index, label in enumerate(classes):
        others = [c for c in classes if c != label]
        for domain in ("synthetic", "real"):
            count = per_class // 2 + (per_class % 2 if domain == "synthetic" else 0)
            config = SynthConfig(n_soundscapes=count, duration_s=recording_s, min_events=2, max_events=3,
                                 snr_db=(0.0, 15.0), foreground_labels=[label], distractor_labels=others,
                                 distractor_events=(0, 2), domain=domain, name_prefix=f"{label}_{domain}_",
                                 seed=1000 * seed + 10 * index + (domain == "real"))
            folder = out / "recordings" / f"{label}_{domain}"
            synthesize(bank, folder, config, nj=nj, progress=progress)
            for number in range(count):
                name = f"{label}_{domain}_{number:05d}"
                audio, rate = sf.read(str(folder / "audio" / f"{name}.wav"), dtype="float32")
                split = ("train", "valid", "test")[int(np.searchsorted([0.7, 0.85], rng.random(), side="right"))]
                step, length = int(clip_s * rate / 2), int(clip_s * rate)
                for start in range(0, audio.shape[0] - length + 1, step):
                    clip = f"{name}_{start // step:02d}.wav"
                    path = out / "audio" / clip
                    if not path.exists():
                        with atomic_write(path, "wb", fsync=False) as handle:
                            sf.write(handle, audio[start:start + length], rate, format="WAV", subtype="PCM_16")
                    rows[split].append((clip, bank.output_label(label), name))
    for split, split_rows in rows.items():
        write_tsv(out / f"{split}.tsv", ("filename", "label", "group"), split_rows)
    every = [row[0] for split_rows in rows.values() for row in split_rows]
    write_tsv(out / "wav.tsv", ("filename", "path", "start_s", "duration_s"),
              [(name, f"audio/{name}", "", "") for name in every])  # the same tables as prepare-corpus
    return {split: len(split_rows) for split, split_rows in rows.items()}
