"""Preparing corpora the user already has: DESED 2020 (SED), GTZAN, TUT / TAU Urban Acoustic Scenes, ESC-50.

Every corpus is prepared here, as a library function (``sedkit prepare-corpus NAME ROOT OUT``), not in a
recipe's ``local/``: Kaldi keeps corpus preparation in ``local/`` scripts, but a function is tested with the
rest of sedkit (tests/data/test_corpora.py, on fake layouts) and serves every recipe and user script alike.

Each ``prepare_*`` reads a corpus as distributed (nothing is downloaded), checks its layout first (one error
naming what is missing) and writes into ``out``. :func:`prepare_desed` writes the SED recipe's sets (below);
the classification corpora write:

- ``wav.tsv``: ``filename  path  start_s  duration_s`` (start/duration empty for whole files), the input of
  ``sedkit features``;
- ``train.tsv``, ``valid.tsv``, ``test.tsv``: ``filename  label  group`` (group: the song, recording or file
  a clip comes from, for group-level decisions and splits that never separate a group).

Protocols:

- **GTZAN** (LSR-OS-TC paper Sec. 5.3): 10 genres x 100 songs; split 8/1/1 by song within each genre (seeded);
  each song cut into clips of 65536 samples (2.97 s at 22050 Hz; with n_fft 1024, hop 512 and centring
  that is 129 frames) every 32768 samples (50 % overlap), 19 clips per 30 s song. Unreadable songs (some
  copies carry a corrupt ``jazz.00054.wav``) are skipped with a warning.
- **TUT Urban Acoustic Scenes 2018 development** (MrKD paper Sec. 4.3): the official fold 1,
  ``evaluation_setup/fold1_train.txt`` / ``fold1_evaluate.txt`` (6122 / 2518 files, 10 scenes); a validation
  set of 10 % of the training *locations* (``identifier`` in ``meta.csv``, so a location never spans two
  sets) is held out, seeded.
- **TAU Urban Acoustic Scenes 2020 3Class development** (DCASE 2020 task 1b): the same layout with
  ``evaluation_setup/fold1_train.csv`` / ``fold1_evaluate.csv`` and 3 classes (indoor, outdoor,
  transportation); the same location-held-out validation. Where ``meta.csv`` has no ``identifier``, the
  location is read from the file name (``airport-barcelona-0-0-a.wav`` -> ``barcelona-0``), as dcase_util does.
- **DESED 2020** (the MMT-DA paper's data, DCASE 2020 task 4): ``out/<set>/`` for train_synth (synthetic20
  soundscapes, strong labels), train_weak, train_unlabel (unlabel_in_domain) and validation (strong labels,
  the set results are reported on), each with an ``audio`` link to the corpus folder, ``strong.tsv`` or
  ``weak.tsv``, and ``durations.tsv`` where the scorers need clip lengths; ``out/classes.txt`` the 10 classes.
  validation_synth, the model-selection set, is every 10th synthetic20 soundscape (sorted by name), held out
  of train_synth: DESED 2020 has no synthetic validation set, and selecting on the real validation set would
  select on the set that is reported.
- **ESC-50**: ``meta/esc50.csv``; ``test_fold`` (default 5) is the test set, ``valid_fold`` (default 4) the
  validation set, the other three folds train (run five times with each fold as test for the usual 5-fold
  protocol).
"""
from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.io import write_tsv

__all__ = ["GTZAN_GENRES", "DESED_SETS", "prepare_desed",
           "prepare_gtzan", "prepare_tut2018", "prepare_tau2020_3class", "prepare_esc50",
           "split_labeled"]

GTZAN_GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]
AUDIO = (".wav", ".au", ".flac", ".ogg")


def _write(out: Path, wav_rows: List[tuple], splits: Dict[str, List[tuple]]) -> Dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    write_tsv(out / "wav.tsv", ("filename", "path", "start_s", "duration_s"), wav_rows)
    for name, rows in splits.items():
        write_tsv(out / f"{name}.tsv", ("filename", "label", "group"), rows)
    return {name: len(rows) for name, rows in splits.items()}


def _require(root: Path, paths: List[str], corpus: str) -> None:
    if not root.is_dir():
        raise InputError(f"{root}: no such folder ({corpus})")
    missing = [p for p in paths if not (root / p).exists()]
    if missing:
        raise InputError(f"{root}: not the {corpus} layout; missing {', '.join(missing)}")


DESED_SETS = {  # set: (audio folder, label table, kind)
    "train_synth": ("audio/train/synthetic20/soundscapes", "metadata/train/synthetic20/soundscapes.tsv", "strong"),
    "train_weak": ("audio/train/weak", "metadata/train/weak.tsv", "weak"),
    "train_unlabel": ("audio/train/unlabel_in_domain", None, None),
    "validation": ("audio/validation", "metadata/validation/validation.tsv", "strong"),
}


def _link(folder: Path, target: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "audio"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _durations(folder: Path, audio: Path, names: List[str]) -> None:
    import soundfile as sf

    write_tsv(folder / "durations.tsv", ("filename", "duration"),
              [(name, f"{sf.info(str(audio / name)).duration:.3f}") for name in names])


def _desed_listed(root: Path) -> Dict[str, List[str]]:
    """The clips each labelled DESED set's metadata table lists (the official set)."""
    from sedkit.io import read_events, read_tsv

    listed = {}
    for name, (audio, table, kind) in DESED_SETS.items():
        if kind == "strong":
            listed[name] = list(read_events(root / table).files)
        elif kind == "weak":
            listed[name] = [r["filename"] for r in read_tsv(root / table, ("filename", "event_labels"))]
    return listed


def prepare_desed(root: str | Path, out: str | Path, allow_missing: bool = False,
                  log=None) -> Dict[str, int]:
    """DESED 2020 as distributed (``root`` holds audio/ and metadata/) -> ``out/<set>/`` and
    ``out/classes.txt``; returns the clips per set (validation_synth included).

    Copies of DESED often lack audio their tables list (YouTube clips taken down: ~200 validation files, and
    scores then differ from the official ones). Every listed clip without its audio is written to
    ``out/missing_audio.tsv`` (set, filename) and summed up in one line (``log``); without ``allow_missing``
    that is an InputError, with it the tables keep only the clips that exist. ``out/counts.tsv`` gives per set
    the clips listed (official) and present, which the recipe's results state."""
    from sedkit.data.soundbank import DESED_CLASSES
    from sedkit.io import read_events, read_tsv, write_events

    root, out = Path(root).resolve(), Path(out)
    _require(root, [p for audio, table, _ in DESED_SETS.values() for p in (audio, table) if p], "DESED 2020")
    listed = _desed_listed(root)
    present = {name: {p.name for p in (root / DESED_SETS[name][0]).iterdir()} for name in listed}
    missing = [(name, f) for name, files in listed.items() for f in files if f not in present[name]]
    out.mkdir(parents=True, exist_ok=True)
    write_tsv(out / "missing_audio.tsv", ("set", "filename"), missing)
    if missing:
        summary = (f"{root}: {len(missing)} clips listed in the metadata have no audio ("
                   + ", ".join(f"{name} {sum(1 for n, _ in missing if n == name)} of {len(listed[name])}"
                               for name in listed if any(n == name for n, _ in missing))
                   + f"; the list: {out / 'missing_audio.tsv'})")
        if not allow_missing:
            raise InputError(summary + "; give --allow-missing to prepare the clips that exist (scores then "
                             "differ from the official ones)")
        if log:
            log(summary + "; proceeding with the clips that exist (--allow-missing)")
    gone = {(name, f) for name, f in missing}
    counts: Dict[str, int] = {}
    official: Dict[str, int] = {}
    for name, (audio, table, kind) in DESED_SETS.items():
        folder = out / name
        _link(folder, root / audio)
        if kind == "strong":
            events = read_events(root / table)
            rows = [r for r in zip(events.filename, events.onset, events.offset, events.label)
                    if (name, r[0]) not in gone]
            files = [f for f in events.files if (name, f) not in gone]
            if name == "train_synth":  # every 10th soundscape: the synthetic model-selection set
                held_out = set(sorted(events.files)[::10])
                official["validation_synth"] = len(held_out)
                held_out -= {f for n, f in gone if n == name}
                _link(out / "validation_synth", root / audio)
                write_events(out / "validation_synth" / "strong.tsv", [r for r in rows if r[0] in held_out],
                             empty_files=sorted(held_out))
                _durations(out / "validation_synth", root / audio, sorted(held_out))
                counts["validation_synth"] = len(held_out)
                official[name] = len(events.files) - official["validation_synth"]
                rows = [r for r in rows if r[0] not in held_out]
                files = [f for f in files if f not in held_out]
            else:
                official[name] = len(events.files)
            write_events(folder / "strong.tsv", rows, empty_files=files)
        elif kind == "weak":
            rows = [r for r in read_tsv(root / table, ("filename", "event_labels"))
                    if (name, r["filename"]) not in gone]
            official[name] = len(listed[name])
            write_tsv(folder / "weak.tsv", ("filename", "event_labels"),
                      [(r["filename"], r["event_labels"]) for r in rows])
        clips = sorted(p.name for p in (root / audio).iterdir() if p.suffix.lower() in (".wav", ".flac", ".ogg"))
        if name == "validation":  # the scorers need each clip's length
            _durations(folder, root / audio, clips)
        counts[name] = len(clips) - (counts.get("validation_synth", 0) if name == "train_synth" else 0)
        official.setdefault(name, counts[name])  # unlabel_in_domain: no table, what is there is the set
    write_tsv(out / "counts.tsv", ("set", "official", "present"),
              [(name, official[name], counts[name]) for name in counts])
    (out / "classes.txt").write_text("".join(f"{c}\n" for c in DESED_CLASSES))
    return counts


def prepare_gtzan(root: str | Path, out: str | Path, seed: int = 0, clip_samples: int = 65536,
                  hop_samples: int = 32768, split: Tuple[int, int, int] = (8, 1, 1)) -> Dict[str, int]:
    """GTZAN (``root`` holds the genre folders, or ``genres/`` / ``genres_original/`` with them)."""
    import soundfile as sf

    root = Path(root)
    for candidate in (root / "genres_original", root / "genres", root / "Data" / "genres_original"):
        if candidate.is_dir():
            root = candidate
            break
    _require(root, GTZAN_GENRES, "GTZAN (one folder per genre)")
    rng = np.random.default_rng(seed)
    wav_rows, splits = [], {"train": [], "valid": [], "test": []}
    for genre in GTZAN_GENRES:
        songs = sorted(p for p in (root / genre).iterdir() if p.suffix.lower() in AUDIO)
        if not songs:
            raise InputError(f"{root / genre}: no audio files")
        order = rng.permutation(len(songs))
        n_train = round(len(songs) * split[0] / sum(split))
        n_valid = round(len(songs) * split[1] / sum(split))
        for rank, index in enumerate(order):
            song = songs[index]
            part = "train" if rank < n_train else "valid" if rank < n_train + n_valid else "test"
            try:
                info = sf.info(str(song))
            except (RuntimeError, OSError) as exc:
                warnings.warn(f"{song}: unreadable, skipped ({str(exc).splitlines()[0]})")
                continue
            scale = info.samplerate / 22050.0  # clip lengths are defined at GTZAN's 22050 Hz
            length, hop = int(round(clip_samples * scale)), int(round(hop_samples * scale))
            for k, start in enumerate(range(0, info.frames - length + 1, hop)):
                name = f"{song.stem}_{k:02d}.wav"
                wav_rows.append((name, str(song), f"{start / info.samplerate:.6f}", f"{length / info.samplerate:.6f}"))
                splits[part].append((name, genre, song.stem))
    return _write(Path(out), wav_rows, splits)


def _read_table(path: Path, delimiter: str = "\t") -> List[List[str]]:
    with open(path, newline="") as handle:
        return [row for row in csv.reader(handle, delimiter=delimiter) if row]


def _location(relative: str) -> str:
    """A recording location from a DCASE scene file name (``airport-barcelona-0-0-a.wav`` -> ``barcelona-0``),
    dcase_util's rule when ``meta.csv`` has no ``identifier`` column."""
    parts = Path(relative).stem.split("-")
    return "-".join(parts[1:-2]) if len(parts) > 3 else Path(relative).stem


def _prepare_scenes(root: Path, out: str | Path, corpus: str, extension: str, seed: int,
                    valid_share: float) -> Dict[str, int]:
    """The DCASE acoustic scene layouts: ``audio/``, ``meta.csv`` and the official fold 1 of
    ``evaluation_setup/`` (train / evaluate = test); ``valid_share`` of the training locations held out (0: none,
    every training clip trains, the papers' protocol where no validation set is needed)."""
    if not 0 <= valid_share < 1:
        raise InputError(f"valid share must be in [0, 1), got {valid_share}")
    setup = [f"evaluation_setup/fold1_train.{extension}", f"evaluation_setup/fold1_evaluate.{extension}"]
    _require(root, ["audio", "meta.csv"] + setup, corpus)
    meta = {}
    for row in _read_table(root / "meta.csv"):
        if row[0] == "filename":
            continue
        meta[row[0]] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else _location(row[0]))

    def listed(name):
        rows = [r for r in _read_table(root / "evaluation_setup" / name) if r[0] != "filename"]
        missing = [r[0] for r in rows if not (root / r[0]).exists()]
        if missing:
            raise InputError(f"{root}: {len(missing)} files of {name} are missing, e.g. {missing[0]}")
        unlabelled = [r[0] for r in rows if len(r) < 2 and not meta.get(r[0], ("",))[0]]
        if unlabelled:
            raise InputError(f"{root / 'evaluation_setup' / name}: no scene label for {unlabelled[0]} "
                             f"(nor in meta.csv)")
        return [(r[0], r[1] if len(r) > 1 else meta[r[0]][0]) for r in rows]
    train, test = listed(Path(setup[0]).name), listed(Path(setup[1]).name)
    locations = sorted({meta.get(f, (None, _location(f)))[1] for f, _ in train})
    rng = np.random.default_rng(seed)
    n_held = max(1, round(valid_share * len(locations))) if valid_share > 0 else 0
    held = set(rng.choice(locations, size=n_held, replace=False).tolist())
    wav_rows, splits = [], {"train": [], "valid": [], "test": []}
    for part, rows in (("train", train), ("test", test)):
        for relative, label in rows:
            name = Path(relative).name
            location = meta.get(relative, (label, _location(relative)))[1]
            target = "valid" if part == "train" and location in held else part
            wav_rows.append((name, str(root / relative), "", ""))
            splits[target].append((name, label, name))
    return _write(Path(out), wav_rows, splits)


def prepare_tut2018(root: str | Path, out: str | Path, seed: int = 0, valid_share: float = 0.1) -> Dict[str, int]:
    """TUT Urban Acoustic Scenes 2018 development (``root`` holds audio/, meta.csv, evaluation_setup/*.txt)."""
    return _prepare_scenes(Path(root), out, "TUT Urban Acoustic Scenes 2018 development", "txt", seed, valid_share)


def prepare_tau2020_3class(root: str | Path, out: str | Path, seed: int = 0,
                           valid_share: float = 0.1) -> Dict[str, int]:
    """TAU Urban Acoustic Scenes 2020 3Class development, DCASE 2020 task 1b (``root`` holds audio/, meta.csv,
    evaluation_setup/*.csv; 3 classes: indoor, outdoor, transportation)."""
    return _prepare_scenes(Path(root), out, "TAU Urban Acoustic Scenes 2020 3Class development", "csv", seed,
                           valid_share)


def prepare_esc50(root: str | Path, out: str | Path, test_fold: int = 5, valid_fold: int = 4) -> Dict[str, int]:
    """ESC-50 (``root`` holds audio/ and meta/esc50.csv)."""
    root = Path(root)
    _require(root, ["audio", "meta/esc50.csv"], "ESC-50")
    if test_fold == valid_fold or not (1 <= test_fold <= 5 and 1 <= valid_fold <= 5):
        raise InputError("ESC-50: test and validation folds must be two different folds in 1..5")
    rows = _read_table(root / "meta" / "esc50.csv", delimiter=",")
    header, body = rows[0], rows[1:]
    column = {name: i for i, name in enumerate(header)}
    missing_columns = [c for c in ("filename", "fold", "category") if c not in column]
    if missing_columns:
        raise InputError(f"{root / 'meta/esc50.csv'}: missing columns {', '.join(missing_columns)}")
    wav_rows, splits = [], {"train": [], "valid": [], "test": []}
    for row in body:
        name, fold, label = row[column["filename"]], int(row[column["fold"]]), row[column["category"]]
        if not (root / "audio" / name).exists():
            raise InputError(f"{root / 'audio' / name}: missing (listed in meta/esc50.csv)")
        part = "test" if fold == test_fold else "valid" if fold == valid_fold else "train"
        wav_rows.append((name, str(root / "audio" / name), "", ""))
        splits[part].append((name, label, name))
    return _write(Path(out), wav_rows, splits)


def split_labeled(table: str | Path, labeled_out: str | Path, unlabeled_out: str | Path, share: float = 0.5,
                  seed: int = 0) -> Tuple[int, int]:
    """Split a ``filename  label  group`` table by group into a labelled part (``share`` of the groups in
    every class) and an unlabelled part (UniKD's protocol: half the training data loses its labels)."""
    from sedkit.io import read_tsv

    rows = read_tsv(table, ("filename", "label", "group"))
    rng = np.random.default_rng(seed)
    by_class: Dict[str, List[str]] = {}
    for row in rows:
        groups = by_class.setdefault(row["label"], [])
        if row["group"] not in groups:
            groups.append(row["group"])
    keep = set()
    for groups in by_class.values():
        order = rng.permutation(len(groups))
        keep |= {groups[i] for i in order[:max(1, round(share * len(groups)))]}
    labeled = [(r["filename"], r["label"], r["group"]) for r in rows if r["group"] in keep]
    unlabeled = [(r["filename"], r["label"], r["group"]) for r in rows if r["group"] not in keep]
    write_tsv(labeled_out, ("filename", "label", "group"), labeled)
    write_tsv(unlabeled_out, ("filename", "label", "group"), unlabeled)  # labels kept for analysis only
    return len(labeled), len(unlabeled)
