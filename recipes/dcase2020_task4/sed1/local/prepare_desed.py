#!/usr/bin/env python3
"""DESED 2020 as distributed -> the recipe's data/<set>/ (audio link, strong/weak tables, durations).

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
                write_events(folder / "strong.tsv", zip(events.filename, events.onset, events.offset, events.label),
                             empty_files=events.files)
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
