#!/usr/bin/env python3
"""DESED 2020 as distributed -> the recipe's data/<set>/ (audio link, strong/weak tables, durations).

validation_synth, the model-selection set, is every 10th synthetic20 soundscape (sorted by name), held out
of train_synth: DESED 2020 has no synthetic validation set, and selecting on the real validation set would
select on the set that is reported.

usage: local/prepare_desed.py DESED_ROOT DATA
"""
import sys
from pathlib import Path

import soundfile as sf

from sedkit.errors import InputError
from sedkit.io import read_events, read_tsv, write_events, write_tsv

SETS = {  # set: (audio folder, label table, kind)
    "train_synth": ("audio/train/synthetic20/soundscapes", "metadata/train/synthetic20/soundscapes.tsv", "strong"),
    "train_weak": ("audio/train/weak", "metadata/train/weak.tsv", "weak"),
    "train_unlabel": ("audio/train/unlabel_in_domain", None, None),
    "validation": ("audio/validation", "metadata/validation/validation.tsv", "strong"),
}


def write_set(folder: Path, audio: Path, rows, files) -> None:
    """A strongly labelled set of some clips of ``audio``: audio link, strong.tsv, durations.tsv."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "audio"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(audio)
    write_events(folder / "strong.tsv", rows, empty_files=files)
    write_tsv(folder / "durations.tsv", ("filename", "duration"),
              [(name, f"{sf.info(str(audio / name)).duration:.3f}") for name in files])
    print(f"{folder}: {len(files)} clips from {audio} (held out of train_synth for model selection)")


def main() -> int:
    root, data = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    try:
        for name, (audio, table, kind) in SETS.items():
            folder = data / name
            folder.mkdir(parents=True, exist_ok=True)
            link = folder / "audio"
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(root / audio)
            if kind == "strong":
                events = read_events(root / table)
                rows = list(zip(events.filename, events.onset, events.offset, events.label))
                if name == "train_synth":
                    held_out = set(sorted(events.files)[::10])
                    write_set(data / "validation_synth", root / audio, [r for r in rows if r[0] in held_out],
                              sorted(held_out))
                    rows = [r for r in rows if r[0] not in held_out]
                write_events(folder / "strong.tsv", rows, empty_files=[f for f in events.files if name != "train_synth"
                                                                       or f not in held_out])
            elif kind == "weak":
                rows = read_tsv(root / table, ("filename", "event_labels"))
                write_tsv(folder / "weak.tsv", ("filename", "event_labels"),
                          [(r["filename"], r["event_labels"]) for r in rows])
            clips = sorted(p for p in (root / audio).iterdir() if p.suffix.lower() in (".wav", ".flac", ".ogg"))
            if name == "validation":  # the scorers need each clip's length
                write_tsv(folder / "durations.tsv", ("filename", "duration"),
                          [(p.name, f"{sf.info(str(p)).duration:.3f}") for p in clips])
            print(f"{folder}: {len(clips)} clips from {root / audio}")
    except InputError as exc:
        print(f"local/prepare_desed.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
