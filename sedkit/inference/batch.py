"""Detect events in a folder, file or list of recordings and write what ``sedkit infer --model`` writes.

``OUT/scores/<recording>.tsv`` (frame scores, sed_scores_eval's format, in the recording's own time),
``OUT/predictions.tsv`` (DCASE events from the one decoder), ``OUT/tags.tsv`` (per recording and class the
highest frame score: a clip-level tag score), ``OUT/model.yaml`` (what made them) and, with ``plot``,
``OUT/plots/<recording>.png``. Each recording is read window by window (:class:`Detector`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

from sedkit.inference.detector import Detector

__all__ = ["detect_recordings"]


def detect_recordings(detector: Detector, audio: str | Path, out_dir: str | Path,
                      thresholds: Optional[Dict[str, float] | float] = None,
                      median_windows_s: Optional[Dict[str, float] | float] = None, plot: bool = False,
                      progress: Optional[bool] = None, log=None, reference: Optional[str | Path] = None) -> dict:
    """Score and decode every recording of ``audio`` into ``out_dir``; returns a summary. ``reference`` (a DCASE
    event table) adds each recording's reference events to its plot."""
    from tqdm import tqdm

    from sedkit.config import dump_yaml
    from sedkit.features.extract import list_audio
    from sedkit.io import atomic_write, write_events, write_scores, write_tsv

    out_dir = Path(out_dir)
    items = list_audio(audio)
    truth: Dict[str, list] = {}
    if reference is not None:
        from sedkit.io import read_events

        table = read_events(reference)
        for name, onset, offset, label in zip(table.filename, table.onset, table.offset, table.label):
            if label:
                truth.setdefault(name, []).append((float(onset), float(offset), label))
    decoder = detector.decoder(thresholds, median_windows_s)
    classes = detector.classes
    rows, tags, empty, plots, seconds = [], [], [], [], 0.0
    for item in tqdm(items, desc="recordings", unit="file", leave=False,
                     disable=None if progress is None else not progress):
        scored = detector.score_file(item.path, with_features=plot, progress=progress,
                                     start_s=item.start_s or 0.0, duration_s=item.duration_s)
        seconds += scored.duration_s
        write_scores(out_dir / "scores" / f"{item.clip_id}.tsv", scored.timestamps, classes, scored.scores)
        events = decoder.events(scored.timestamps, scored.scores)
        rows += [(item.filename, onset, offset, label) for onset, offset, label in events]
        if not events:
            empty.append(item.filename)
        tags.append((item.filename, *(f"{v:.6g}" for v in scored.scores.max(axis=0))))
        if plot:
            from sedkit.inference.plots import plot_detection

            picture = out_dir / "plots" / f"{item.clip_id}.png"
            plot_detection(picture, scored, classes, events, dict(zip(classes, decoder.thresholds)),
                           title=f"{item.filename}: {len(events)} events",
                           reference=truth.get(item.filename) if reference is not None else None)
            plots.append(picture)
        if log:
            log(f"{item.filename}: {scored.duration_s:.1f} s, {len(events)} events")
    write_events(out_dir / "predictions.tsv", rows, empty_files=empty)
    write_tsv(out_dir / "tags.tsv", ("filename", *classes), tags)
    card = {"package": detector.package.provenance, "window_s": detector.package.window_s,
            "hop_s": detector.window.hop_s or detector.package.window_s / 2, "merge": detector.window.merge,
            "thresholds": dict(zip(classes, map(float, decoder.thresholds))),
            "median_windows_s": dict(zip(classes, map(float, decoder.windows_s)))}
    with atomic_write(out_dir / "model.yaml") as handle:
        handle.write(dump_yaml(card))
    return {"recordings": len(items), "events": len(rows), "seconds": seconds, "plots": plots}
