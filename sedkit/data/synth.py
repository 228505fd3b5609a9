"""Soundscape synthesis with Scaper from a sound bank in Scaper's layout.

A bank is ``<bank>/foreground/<label>/*.wav`` and ``<bank>/background/<label>/*.wav`` (wav, flac or ogg);
labels are the folder names, optionally renamed by a mapping table. For each soundscape sedkit draws, from
a generator seeded by (spec seed, clip index) — so any clip can be made alone, in any order, by any
worker or shard, with the same result —

- the number of events (uniform in ``min_events..max_events``), each event's label, source clip,
  foreground-to-background SNR (uniform in ``snr_db``, DESED: 2-30 dB) and optional pitch shift / time
  stretch;
- each event's onset, uniform over the clip, redrawn (up to ``max_placement_tries`` times, then the event
  is dropped) until no instant has more than ``max_polyphony`` events and it lies at least
  ``min_same_class_gap_s`` from every event of its own class (psds_eval and sed_scores_eval reject
  overlapping same-class reference events, and closer ones would be heard as one);
- a background clip and a start time within it,

and hands them to Scaper as constants; Scaper does the mixing (loudness-normalised at ``ref_db`` LUFS,
DESED: -35, with its clipping protection ``fix_clipping`` on by default since SNRs up to 30 dB over
-35 dB backgrounds can clip). A ``real``-domain soundscape then goes through the recording chain of
:mod:`sedkit.data.domain`.

Output folder: ``audio/<clip>.wav``, ``jams/<clip>.jams`` (Scaper's annotation), ``strong.tsv``,
``weak.tsv``, ``durations.tsv`` and ``synth.yaml`` (the resolved spec). Each clip's audio, JAMS and event
list are written atomically; a rerun with the same spec keeps finished clips, a changed spec redoes all.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Literal, Optional, Sequence, Tuple

import numpy as np

from sedkit.config import config_digest, dump_yaml, to_dict
from sedkit.data.domain import RecordingChainConfig, draw_recording_chain
from sedkit.data.soundbank import audible_extent
from sedkit.errors import InputError
from sedkit.io import atomic_write, read_tsv, write_events, write_tsv
from sedkit.parallel import shard_items, worker_results

__all__ = ["SynthConfig", "SoundBank", "scan_soundbank", "synthesize", "SynthReport", "AUDIO_EXTENSIONS", "render_clip",
           "merge_touching"]

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
EVENTS_DIR = ".events"


@dataclass
class SynthConfig:
    """Soundscape specification (defaults: DESED 2020 synthetic set, MMT-DA paper Sec. 4.1).

    Attributes:
        n_soundscapes: how many clips.
        duration_s: clip length in seconds.
        sample_rate: output rate in Hz (22050 = the feature rate, so no resampling later).
        ref_db: background loudness in LUFS (Scaper's ``ref_db``).
        ref_db_range: when set, ``ref_db`` is drawn per clip, uniform in this range (recordings at other
            levels; null: every clip at ``ref_db``).
        snr_db: foreground-to-background SNR range in dB, drawn uniformly per event.
        min_events, max_events: events per clip, drawn uniformly.
        max_polyphony: most events sounding at one instant.
        pitch_shift_semitones: range of a uniform pitch shift per event, or null (off).
        time_stretch: range of a uniform time-stretch factor per event, or null (off).
        foreground_labels, background_labels: folder labels to draw from (null: all in the bank).
        distractor_labels, distractor_events, distractor_snr_db: extra, quieter events from other labels
            (a count range and an SNR range), e.g. to make clip classification harder; off by default.
        domain: ``synthetic`` (dry mixtures) or ``real`` (mixtures through the recording chain).
        recording_chain: the chain's ranges, used when ``domain`` is ``real``.
        fix_clipping: Scaper's clipping protection (scales a mixture down when it would clip).
        max_placement_tries: onset redraws before an event that breaks ``max_polyphony`` is dropped.
        min_same_class_gap_s: least silence between two events of one class (closer ones would be heard, and
            labelled, as one event; sedkit default 0.5 s).
        name_prefix: clip names are ``<name_prefix><index:05d>.wav``.
        seed: everything random derives from it and the clip index.
    """

    n_soundscapes: int = 100
    duration_s: float = 10.0
    sample_rate: int = 22050
    ref_db: float = -35.0
    ref_db_range: Optional[Tuple[float, float]] = None
    snr_db: Tuple[float, float] = (2.0, 30.0)
    min_events: int = 1
    max_events: int = 5
    max_polyphony: int = 3
    pitch_shift_semitones: Optional[Tuple[float, float]] = None
    time_stretch: Optional[Tuple[float, float]] = None
    foreground_labels: Optional[List[str]] = None
    background_labels: Optional[List[str]] = None
    distractor_labels: Optional[List[str]] = None
    distractor_events: Tuple[int, int] = (0, 0)
    distractor_snr_db: Tuple[float, float] = (-10.0, 0.0)
    domain: Literal["synthetic", "real"] = "synthetic"
    recording_chain: RecordingChainConfig = field(default_factory=RecordingChainConfig)
    fix_clipping: bool = True
    max_placement_tries: int = 100
    min_same_class_gap_s: float = 0.5
    name_prefix: str = "soundscape_"
    seed: int = 0

    def __post_init__(self):
        from sedkit.config import ConfigError

        problems = []
        if self.n_soundscapes < 1 or self.duration_s <= 0 or self.sample_rate <= 0:
            problems.append("n_soundscapes, duration_s and sample_rate must be positive")
        if not 0 <= self.min_events <= self.max_events:
            problems.append("need 0 <= min_events <= max_events")
        if self.max_polyphony < 1:
            problems.append("max_polyphony must be at least 1")
        if self.snr_db[0] > self.snr_db[1]:
            problems.append("snr_db must be (low, high)")
        if self.ref_db_range is not None and self.ref_db_range[0] > self.ref_db_range[1]:
            problems.append("ref_db_range must be (low, high)")
        if self.time_stretch is not None and min(self.time_stretch) <= 0:
            problems.append("time_stretch factors must be positive")
        if problems:
            raise ConfigError("; ".join(problems))


@dataclass
class SoundBank:
    """A scanned bank: clip paths and durations per folder label."""

    root: Path
    foreground: Dict[str, List[Tuple[str, float]]]  # folder label -> [(path, seconds)]
    background: Dict[str, List[Tuple[str, float]]]
    label_map: Dict[str, str]  # folder label -> output label
    ignored: List[str] = field(default_factory=list)  # files in label folders that are not audio, skipped

    def output_label(self, folder_label: str) -> str:
        return self.label_map.get(folder_label, folder_label)


def _scan_kind(folder: Path, kind: str, ignored: List[str]) -> Dict[str, List[Tuple[str, float]]]:
    import soundfile as sf

    if not folder.is_dir():
        raise InputError(f"{folder}: missing; a sound bank needs {kind}/<label>/<clip>.wav folders "
                         "(Scaper's layout: <bank>/foreground/<label>/ and <bank>/background/<label>/)")
    labels = sorted(p for p in folder.iterdir() if p.is_dir())
    if not labels:
        stray = [p.name for p in folder.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS]
        hint = (f" (found audio files directly in it, e.g. {stray[0]}: put them in a <label>/ sub-folder)"
                if stray else "")
        raise InputError(f"{folder}: no <label>/ sub-folders{hint}")
    bank = {}
    for label_dir in labels:
        clips = []
        ignored += [str(p) for p in sorted(label_dir.iterdir())
                    if p.is_file() and p.suffix.lower() not in AUDIO_EXTENSIONS and not p.name.startswith(".")]
        for path in sorted(p for p in label_dir.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS):
            try:
                info = sf.info(str(path))
            except (RuntimeError, OSError) as exc:
                raise InputError(f"{path}: cannot read audio: {str(exc).splitlines()[0]}") from None
            if info.frames == 0:
                raise InputError(f"{path}: empty audio (0 samples)")
            clips.append((str(path), info.frames / info.samplerate))
        if not clips:
            raise InputError(f"{label_dir}: label {label_dir.name!r} has no clips ({', '.join(AUDIO_EXTENSIONS)})")
        bank[label_dir.name] = clips
    return bank


def scan_soundbank(root: str | Path, label_map_path: str | Path | None = None) -> SoundBank:
    """Check a bank's layout and read every clip's duration; errors name the folder or file."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such sound bank folder")
    ignored: List[str] = []
    foreground = _scan_kind(root / "foreground", "foreground", ignored)
    background = _scan_kind(root / "background", "background", ignored)
    label_map = {}
    if label_map_path is not None:
        rows = read_tsv(label_map_path, required=("folder", "label"))
        for number, row in enumerate(rows, start=2):
            if row["folder"] not in foreground:
                raise InputError(f"{label_map_path}:{number}: no foreground folder {row['folder']!r} in {root}")
            label_map[row["folder"]] = row["label"]
    return SoundBank(root, foreground, background, label_map, ignored)


@dataclass
class SynthReport:
    out_dir: Path
    n_clips: int  # in this shard
    n_made: int = 0
    n_skipped: int = 0
    n_events: int = 0
    n_dropped_events: int = 0
    elapsed_s: float = 0.0
    spec_changed: bool = False


def _clip_name(config: SynthConfig, index: int) -> str:
    return f"{config.name_prefix}{index:05d}.wav"


def _max_overlap(intervals: Sequence[Tuple[float, float]], start: float, stop: float) -> int:
    """Most intervals active at one instant of [start, stop) (half-open intervals)."""
    points = [start] + [a for a, b in intervals if start <= a < stop]
    return max(sum(1 for a, b in intervals if a <= p < b) for p in points)


def plan_clip(bank: SoundBank, config: SynthConfig, index: int) -> dict:
    """Draw one soundscape's background and events (all as constants for Scaper)."""
    rng = np.random.default_rng([config.seed, index])
    fg_labels = config.foreground_labels or sorted(bank.foreground)
    bg_labels = config.background_labels or sorted(bank.background)
    bg_label = bg_labels[rng.integers(len(bg_labels))]
    bg_path, bg_duration = bank.background[bg_label][rng.integers(len(bank.background[bg_label]))]
    plan = {"background": (bg_label, bg_path, float(rng.uniform(0, max(0.0, bg_duration - config.duration_s)))),
            "events": [], "dropped": 0, "scaper_seed": int(rng.integers(2 ** 31 - 1))}
    placed: List[Tuple[float, float]] = []
    placed_labels: List[str] = []
    n_main = int(rng.integers(config.min_events, config.max_events + 1))
    # Drawn only when asked for, so that specs without distractors keep their random streams.
    n_distractors = (int(rng.integers(config.distractor_events[0], config.distractor_events[1] + 1))
                     if config.distractor_events[1] > 0 else 0)
    for number in range(n_main + n_distractors):
        distractor = number >= n_main
        pool = config.distractor_labels if distractor else fg_labels
        label = pool[rng.integers(len(pool))]
        path, source_s = bank.foreground[label][rng.integers(len(bank.foreground[label]))]
        stretch = float(rng.uniform(*config.time_stretch)) if config.time_stretch else None
        pitch = float(rng.uniform(*config.pitch_shift_semitones)) if config.pitch_shift_semitones else None
        snr = float(rng.uniform(*(config.distractor_snr_db if distractor else config.snr_db)))
        factor = stretch or 1.0
        source_used = min(source_s, config.duration_s / factor)
        length = source_used * factor
        gap = config.min_same_class_gap_s
        for _ in range(config.max_placement_tries):
            onset = float(rng.uniform(0, config.duration_s - length))
            same_label = [iv for iv, lab in zip(placed, placed_labels) if lab == label]
            if (_max_overlap(placed, onset, onset + length) < config.max_polyphony
                    and not any(a - gap < onset + length and onset < b + gap for a, b in same_label)):
                placed.append((onset, onset + length))
                placed_labels.append(label)
                plan["events"].append(dict(label=label, path=path, duration=source_used, onset=onset, snr=snr,
                                           pitch=pitch, stretch=stretch))
                break
        else:
            plan["dropped"] += 1
    # Drawn last and only when asked for, so that specs without a level range keep their random streams.
    plan["ref_db"] = float(rng.uniform(*config.ref_db_range)) if config.ref_db_range else config.ref_db
    return plan


_WORKER: dict = {}


def _init_worker(bank: SoundBank, config: SynthConfig, out_dir: Path, digest: str) -> None:
    _WORKER.update(bank=bank, config=config, out_dir=out_dir, digest=digest)


def merge_touching(events: Sequence[Tuple[float, float, str]]) -> List[Tuple[float, float, str]]:
    """Same-class events that overlap or touch become one (as an annotator hears them), sorted by onset."""
    by_label: Dict[str, List[List[float]]] = {}
    for onset, offset, label in sorted(events, key=lambda e: (e[2], e[0])):
        merged = by_label.setdefault(label, [])
        if merged and onset <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], offset)
        else:
            merged.append([onset, offset])
    return sorted(((on, off, label) for label, spans in by_label.items() for on, off in spans),
                  key=lambda e: (e[0], e[1], e[2]))


def render_clip(bank: SoundBank, config: SynthConfig, index: int, stems: bool = False) -> dict:
    """Mix clip ``index`` (and, for the real domain, record it through the chain).

    Returns ``audio`` (float64 mono), ``jam`` (Scaper's annotation of the dry mixture), ``events``
    ((onset, offset, output label) as labelled), ``dropped`` and, with ``stems``, ``stems``: each event's own
    audio in the mixture, isolated and noise-free (through the room and microphone in the real domain), as
    (label, audio). Real-domain labels end where each recorded event stops being audible
    (:func:`sedkit.data.soundbank.audible_extent`), same-class events that then touch merged.
    """
    import scaper

    plan = plan_clip(bank, config, index)
    scape = scaper.Scaper(config.duration_s, str(bank.root / "foreground"), str(bank.root / "background"),
                          random_state=plan["scaper_seed"])
    scape.sr, scape.ref_db, scape.n_channels = config.sample_rate, plan["ref_db"], 1
    bg_label, bg_path, bg_start = plan["background"]
    scape.add_background(label=("const", bg_label), source_file=("const", bg_path), source_time=("const", bg_start))
    for event in plan["events"]:
        scape.add_event(label=("const", event["label"]), source_file=("const", event["path"]),
                        source_time=("const", 0.0), event_time=("const", event["onset"]),
                        event_duration=("const", event["duration"]), snr=("const", event["snr"]),
                        pitch_shift=None if event["pitch"] is None else ("const", event["pitch"]),
                        time_stretch=None if event["stretch"] is None else ("const", event["stretch"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Scaper warns about float rounding of durations it then fixes
        audio, jam, annotations, event_audio = scape.generate(fix_clipping=config.fix_clipping,
                                                              disable_sox_warnings=True,
                                                              disable_instantiation_warnings=True)
    audio = np.asarray(audio, dtype=np.float64).reshape(audio.shape[0], -1)[:, 0]
    foreground = [(observation, np.asarray(stem, dtype=np.float64).reshape(stem.shape[0], -1)[:, 0])
                  for observation, stem in zip(jam.annotations[0].data, event_audio)  # background first, as Scaper
                  if observation.value["role"] == "foreground"]
    events = [(float(obs.time), float(obs.time + obs.duration), bank.output_label(obs.value["label"]))
              for obs, _ in foreground]
    isolated = [(label, stem) for (_, _, label), (_, stem) in zip(events, foreground)]
    if config.domain == "real":
        chain = draw_recording_chain(np.random.default_rng([config.seed, index, 1]), config.sample_rate,
                                     config.recording_chain)
        audio = chain.render(audio).astype(np.float64)
        # The room's tail is part of the sound: each offset moves to where the event, as recorded, stops
        # being audible (never earlier than the dry offset); onsets stay, the direct sound comes first.
        isolated = [(label, chain.filter(stem)) for label, stem in isolated]
        events = merge_touching([(on, max(off, min(config.duration_s, audible_extent(stem, config.sample_rate)[1]
                                                   / config.sample_rate)), label)
                                 for (on, off, label), (_, stem) in zip(events, isolated)])
    result = {"audio": audio, "jam": jam, "events": events, "dropped": plan["dropped"]}
    if stems:
        result["stems"] = isolated
    return result


def _make_clip(index: int) -> Tuple[int, int, int]:
    """Mix clip ``index`` and write its audio, JAMS and event list; returns (index, events, dropped)."""
    import soundfile as sf

    bank, config, out_dir, digest = (_WORKER[k] for k in ("bank", "config", "out_dir", "digest"))
    clip = render_clip(bank, config, index)
    name = _clip_name(config, index)
    with atomic_write(out_dir / "audio" / name, "wb", fsync=False) as handle:
        sf.write(handle, clip["audio"].astype(np.float32), config.sample_rate, format="WAV", subtype="PCM_16")
    jams_path = out_dir / "jams" / (os.path.splitext(name)[0] + ".jams")
    with atomic_write(jams_path, "w", fsync=False) as handle:
        clip["jam"].save(handle, fmt="jams")
    lines = [f"{on:.6f}\t{off:.6f}\t{label}\n" for on, off, label in clip["events"]]
    with atomic_write(out_dir / EVENTS_DIR / (os.path.splitext(name)[0] + ".tsv"), "w", fsync=False) as handle:
        handle.write(f"# {digest}\n")
        handle.writelines(lines)
    return index, len(lines), clip["dropped"]


def _clip_done(out_dir: Path, name: str, digest: str) -> bool:
    stem = os.path.splitext(name)[0]
    events = out_dir / EVENTS_DIR / f"{stem}.tsv"
    if not (events.exists() and (out_dir / "audio" / name).exists() and (out_dir / "jams" / f"{stem}.jams").exists()):
        return False
    with open(events) as handle:
        return handle.readline().strip() == f"# {digest}"


def _write_tables(out_dir: Path, config: SynthConfig, digest: str) -> int:
    """strong/weak/durations tables from every finished clip's event list; returns the clip count."""
    strong, weak, durations = [], [], []
    for index in range(config.n_soundscapes):
        name = _clip_name(config, index)
        if not _clip_done(out_dir, name, digest):
            continue
        lines = (out_dir / EVENTS_DIR / f"{os.path.splitext(name)[0]}.tsv").read_text().splitlines()[1:]
        events = [line.split("\t") for line in lines if line]
        strong += [(name, float(on), float(off), label) for on, off, label in events]
        weak.append((name, ",".join(sorted({label for _, _, label in events}))))
        durations.append((name, f"{config.duration_s:.3f}"))
    write_events(out_dir / "strong.tsv", strong, empty_files=[n for n, labels in weak if not labels])
    write_tsv(out_dir / "weak.tsv", ("filename", "event_labels"), weak)
    write_tsv(out_dir / "durations.tsv", ("filename", "duration"), durations)
    return len(durations)


def _remove_other_clips(out_dir: Path, stems: set) -> None:
    """After a spec change, delete clips the new spec does not make (a smaller set, another prefix)."""
    for folder, suffix in (("audio", ".wav"), ("jams", ".jams"), (EVENTS_DIR, ".tsv")):
        for path in (out_dir / folder).glob(f"*{suffix}") if (out_dir / folder).is_dir() else []:
            if path.stem not in stems:
                path.unlink()


def synthesize(bank: SoundBank, out_dir: str | Path, config: SynthConfig, nj: int = 1,
               shard: Tuple[int, int] = (1, 1), progress: Optional[bool] = None) -> SynthReport:
    """Make this shard's soundscapes (skipping finished ones) and rebuild the tables of the set."""
    import time

    from tqdm import tqdm

    started = time.perf_counter()
    out_dir = Path(out_dir)
    for label in (config.foreground_labels or []) + (config.distractor_labels or []):
        if label not in bank.foreground:
            raise InputError(f"{bank.root / 'foreground'}: no folder for label {label!r}")
    for label in (config.background_labels or []):
        if label not in bank.background:
            raise InputError(f"{bank.root / 'background'}: no folder for label {label!r}")
    sources = {kind: {label: [path for path, _ in files] for label, files in clips.items()}
               for kind, clips in (("foreground", bank.foreground), ("background", bank.background))}
    spec = {"soundbank": str(bank.root), "sources": config_digest(sources), "label_map": bank.label_map,
            **to_dict(config)}
    digest = config_digest(spec)
    spec_path = out_dir / "synth.yaml"
    report = SynthReport(out_dir=out_dir, n_clips=0)
    if spec_path.exists() and spec_path.read_text() != dump_yaml(spec):
        report.spec_changed = True
        _remove_other_clips(out_dir, {os.path.splitext(_clip_name(config, i))[0] for i in range(config.n_soundscapes)})
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_write(spec_path) as handle:
        handle.write(dump_yaml(spec))
    mine = shard_items(range(config.n_soundscapes), shard)
    report.n_clips = len(mine)
    todo = [i for i in mine if not _clip_done(out_dir, _clip_name(config, i), digest)]
    report.n_skipped = len(mine) - len(todo)
    if todo:
        bar = tqdm(total=len(todo), desc=f"synth {out_dir.name}", unit="clip",
                   disable=None if progress is None else not progress, leave=False)
        with worker_results(_make_clip, todo, nj, _init_worker, (bank, config, out_dir, digest),
                            cleanup=_WORKER.clear) as results:
            for _, n_events, dropped in results:
                report.n_made += 1
                report.n_events += n_events
                report.n_dropped_events += dropped
                bar.update(1)
        bar.close()
    _write_tables(out_dir, config, digest)
    report.elapsed_s = time.perf_counter() - started
    return report
