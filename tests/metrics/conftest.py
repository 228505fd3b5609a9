"""Helpers shared by the metrics tests (imported from here, never from another test module)."""
import numpy as np

from sedkit.io import EventTable, write_scores

CLASSES = ("a", "b", "c")


def table(path, files, rows):
    return EventTable(path, list(files), [r[0] for r in rows], np.array([r[1] for r in rows], dtype=float),
                      np.array([r[2] for r in rows], dtype=float), [r[3] for r in rows],
                      list(range(2, len(rows) + 2)))


def reference_rows(rng, files, clip_s=10.0):
    rows = []
    for name in files:
        for label in CLASSES:
            t = 0.0
            for _ in range(rng.integers(0, 3)):
                onset = round(t + rng.uniform(0.1, 3), 3)
                offset = round(onset + rng.uniform(0.2, 3), 3)
                t = offset
                if offset < clip_s:
                    rows.append((name, onset, offset, label))
    return rows


def write_score_folder(folder, seed, n_files=15, frames=100, hop=0.1):
    rng = np.random.default_rng(seed)
    files = [f"clip{i:02d}.wav" for i in range(n_files)]
    rows = reference_rows(rng, files, clip_s=frames * hop)
    timestamps = np.arange(frames + 1) * hop
    for name in files:
        scores = rng.uniform(0, 0.5, (frames, len(CLASSES)))
        for other, onset, offset, label in rows:
            if other == name:
                scores[int(onset / hop):int(offset / hop) + 1, CLASSES.index(label)] += rng.uniform(0.2, 0.6)
        write_scores(folder / (name[:-4] + ".tsv"), timestamps, list(CLASSES), np.round(scores, 3))  # ties
    return table("ref", files, rows), {name: frames * hop for name in files}
