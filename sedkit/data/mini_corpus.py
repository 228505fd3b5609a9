"""A small DESED-2020-shaped corpus made entirely by sedkit (or from a user's sound bank).

Sets (clip counts at ``scale=1``, chosen so the mini SED recipe trains in minutes on 2 CPU cores):

| set | domain | labels kept | bank | clips |
|---|---|---|---|---|
| ``train_synth`` | synthetic (``home`` backgrounds) | strong, weak | train | 400 |
| ``train_weak`` | real (``room`` backgrounds + recording chain) | weak | train | 150 |
| ``train_unlabel`` | real | none | train | 400 |
| ``validation`` | real | strong, weak | eval | 150 |
| ``validation_synth`` | synthetic | strong, weak | eval | 100 |

``validation_synth`` is not in DESED: it measures the domain gap (a model trained on synthetic strong labels
should score clearly lower on ``validation`` than here). Labels a set does not expose are kept under
``<set>/.withheld/`` for analysis; recipes never read them. The built-in bank is written to
``<out>/soundbank/{train,eval}`` (different seeds: validation sounds are unseen in training). With a user
bank (``soundbank=DIR``) both roles use that bank, and the background labels of each domain are chosen by
``synthetic_backgrounds`` / ``real_backgrounds`` (default: every background label for both).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from sedkit.data.soundbank import SoundBankConfig, write_soundbank
from sedkit.data.synth import SynthConfig, SynthReport, scan_soundbank, synthesize

__all__ = ["MINI_SETS", "make_mini_corpus", "make_mini_classification_corpus"]


@dataclass(frozen=True)
class MiniSet:
    name: str
    domain: str
    clips: int
    bank: str  # "train" or "eval"
    withheld: tuple  # tables moved to .withheld/


MINI_SETS = (
    MiniSet("train_synth", "synthetic", 400, "train", ()),
    MiniSet("train_weak", "real", 150, "train", ("strong.tsv",)),
    MiniSet("train_unlabel", "real", 400, "train", ("strong.tsv", "weak.tsv")),
    MiniSet("validation", "real", 150, "eval", ()),
    MiniSet("validation_synth", "synthetic", 100, "eval", ()),
)


def make_mini_corpus(out: str | Path, scale: float = 1.0, seed: int = 0, soundbank: Optional[str | Path] = None,
                     nj: int = 1, sets: Sequence[str] | None = None, progress: Optional[bool] = None,
                     synthetic_backgrounds: Optional[List[str]] = None,
                     real_backgrounds: Optional[List[str]] = None) -> Dict[str, SynthReport]:
    """Build (or resume) the mini corpus under ``out``; returns each set's synthesis report."""
    from sedkit.errors import InputError

    if scale <= 0:
        raise InputError(f"--scale {scale}: must be positive")
    out = Path(out)
    wanted = [s for s in MINI_SETS if sets is None or s.name in sets]
    if soundbank is None:
        banks = {}
        for role, bank_seed, clips in (("train", 2 * seed, 12), ("eval", 2 * seed + 1, 6)):
            folder = out / "soundbank" / role
            config = SoundBankConfig(clips_per_class=clips, seed=bank_seed)
            marker = folder / ".done"
            if not (marker.exists() and marker.read_text() == repr(config)):
                write_soundbank(folder, config)
                marker.write_text(repr(config))
            banks[role] = scan_soundbank(folder)
        backgrounds = {"synthetic": synthetic_backgrounds or ["home"], "real": real_backgrounds or ["room"]}
    else:
        user_bank = scan_soundbank(soundbank)
        banks = {"train": user_bank, "eval": user_bank}
        backgrounds = {"synthetic": synthetic_backgrounds, "real": real_backgrounds}
    reports = {}
    for index, spec in enumerate(wanted):
        config = SynthConfig(n_soundscapes=max(1, round(spec.clips * scale)), domain=spec.domain,
                             background_labels=backgrounds[spec.domain], name_prefix=f"{spec.name}_",
                             seed=1000 * seed + MINI_SETS.index(spec))
        folder = out / spec.name
        reports[spec.name] = synthesize(banks[spec.bank], folder, config, nj=nj, progress=progress)
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
    import numpy as np
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
