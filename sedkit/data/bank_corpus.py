"""A corpus for training a detector from your own recordings, and the benchmark that measures it.

A user has a few recordings of each sound class and some background recordings, in Scaper's layout
(``<bank>/foreground/<label>/*.wav``, ``<bank>/background/<label>/*.wav``). Sets made under ``OUT``:

| set | bank | mixing | role |
|---|---|---|---|
| ``train_synth`` | training | augmented synthesis (below) | strong training data |
| ``train_synth_plain`` | training | plain (DESED's settings) | the ablation without synthesis augmentation |
| ``validation_synth`` | training | plain, other mixtures | model selection (training sources only) |
| ``validation`` | evaluation | plain | the set results are reported on |
| ``validation-<variant>`` | evaluation | ``validation`` resampled or at another level | reported too |

The evaluation sources are a second bank (``eval_soundbank``, e.g. other recordists' recordings) or, without
one, ``eval_share`` of each label's files of the bank (drawn with the seed). No training or selection set
uses them. Mixing is Scaper's own, over a background, with no simulated room: the recordings are real
already, like DESED's synthetic soundscapes (Turpault et al. 2019).

Augmented synthesis (:class:`BankCorpusConfig`): each event pitch-shifted and time-stretched by Scaper
(uniform in ``pitch_shift_semitones`` and ``time_stretch``, the ranges of Scaper's documentation example),
a wider SNR range than DESED's and a background level drawn per clip (``ref_db_range`` in LUFS); event
counts and polyphony as DESED (1-5 events, at most 3 at once). More soundscapes per source than a DESED-
sized set: ``train_clips`` at scale 1.

Variants of ``validation`` (same events, same tables): each clip resampled to ``variant_rates`` (soxr,
very high quality) or scaled by ``variant_gains_db`` (saturating at full scale, as a recorder does; the
count of clipped clips is logged). Their names: ``validation-16k``, ``validation-44k``, ``validation-20db``,
``validation-10db`` (quieter only by default: Scaper's clipping protection already brings most mixtures to
full scale, so a louder copy would only clip).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sedkit.data.synth import SoundBank, SynthConfig, SynthReport, scan_soundbank, synthesize
from sedkit.errors import InputError

__all__ = ["BankCorpusConfig", "make_bank_corpus", "variant_name", "make_variant", "check_banks"]

CLASSES_FILE = "classes.txt"
TABLES = ("strong.tsv", "weak.tsv", "durations.tsv")


@dataclass
class BankCorpusConfig:
    """Sizes (at scale 1) and synthesis settings of a bank corpus (see the module docstring)."""

    train_clips: int = 2000
    plain_clips: int = 2000  # 0: no train_synth_plain (only the ablation needs it)
    selection_clips: int = 300
    eval_clips: int = 600
    pitch_shift_semitones: Optional[Tuple[float, float]] = (-2.0, 2.0)
    time_stretch: Optional[Tuple[float, float]] = (0.8, 1.2)
    snr_db: Tuple[float, float] = (0.0, 30.0)
    ref_db_range: Optional[Tuple[float, float]] = (-50.0, -20.0)
    variant_rates: List[int] = field(default_factory=lambda: [16000, 44100])
    variant_gains_db: List[float] = field(default_factory=lambda: [-20.0, -10.0])
    eval_share: float = 0.3


def variant_name(rate: Optional[int] = None, gain_db: Optional[float] = None) -> str:
    """``validation-16k`` / ``validation-44k`` (rate in kHz, floored) or ``validation-20db`` / ``validation+6db``
    (the gain). A hyphen or sign, not an underscore: ``decode_validation_<x>`` names another network's scores of
    ``validation`` (sedkit.reporting)."""
    if rate is not None:
        return f"validation-{rate // 1000}k"
    return f"validation{gain_db:+g}db"


def check_banks(train: SoundBank, evaluation: SoundBank, log: Callable[[str], None]) -> None:
    """Refuse a pair of banks that cannot make a benchmark (one line each); log what is handled."""
    missing = sorted(set(train.foreground) - set(evaluation.foreground))
    extra = sorted(set(evaluation.foreground) - set(train.foreground))
    if extra:
        raise InputError(f"{evaluation.root / 'foreground' / extra[0]}: class {extra[0]!r} has no training "
                         f"recordings in {train.root / 'foreground'}")
    if missing:
        log(f"warning: no evaluation recordings for {', '.join(missing)}: scored as classes without events")
    single = [label for label, files in sorted(train.foreground.items()) if len(files) == 1]
    if single:
        log(f"warning: one training recording only for {', '.join(single)}: expect that class to generalise "
            "poorly (augmented synthesis varies it, but one source is one source)")


def describe_bank(bank: SoundBank, role: str, log: Callable[[str], None]) -> None:
    """Log one line per bank: clips per kind, and what Scaper will convert (other rates, stereo)."""
    import soundfile as sf

    files = [path for clips in (bank.foreground, bank.background) for items in clips.values() for path, _ in items]
    rates: Dict[int, int] = {}
    stereo = 0
    for path in files:
        info = sf.info(path)
        rates[info.samplerate] = rates.get(info.samplerate, 0) + 1
        stereo += info.channels > 1
    n_fg = sum(len(v) for v in bank.foreground.values())
    n_bg = sum(len(v) for v in bank.background.values())
    line = (f"{role} bank {bank.root}: {n_fg} event recordings in {len(bank.foreground)} classes "
            f"({min(len(v) for v in bank.foreground.values())}-{max(len(v) for v in bank.foreground.values())} "
            f"a class), {n_bg} background recordings in {len(bank.background)} labels")
    if len(rates) > 1:
        line += "; sample rates " + ", ".join(f"{r} Hz ({n})" for r, n in sorted(rates.items())) + ": resampled"
    if stereo:
        line += f"; {stereo} multi-channel files: mixed down to mono"
    if bank.ignored:
        line += f"; ignored {len(bank.ignored)} files that are not audio (e.g. {bank.ignored[0]})"
    log(line)


def make_variant(source: Path, out: Path, rate: Optional[int] = None, gain_db: Optional[float] = None,
                 progress: Optional[bool] = None) -> int:
    """Write every clip of ``source/audio`` resampled to ``rate`` or scaled by ``gain_db`` (clipped to
    [-1, 1]) into ``out/audio`` and copy the set's tables; returns how many clips clipped. Resumes."""
    import librosa
    import soundfile as sf
    from tqdm import tqdm

    from sedkit.io import atomic_write

    signature = f"{(source / 'synth.yaml').read_text()}rate={rate} gain_db={gain_db}\n"
    marker = out / ".done"
    if out.exists() and not (marker.exists() and marker.read_text() == signature):
        shutil.rmtree(out)  # made from another validation set (or unfinished): no stale clip may stay
    (out / "audio").mkdir(parents=True, exist_ok=True)
    clipped = 0
    names = sorted(p.name for p in (source / "audio").glob("*.wav"))
    for name in tqdm(names, desc=out.name, unit="clip", disable=None if progress is None else not progress,
                     leave=False):
        target = out / "audio" / name
        audio, source_rate = sf.read(str(source / "audio" / name), dtype="float64")
        out_rate = source_rate
        if rate is not None:
            audio, out_rate = librosa.resample(audio, orig_sr=source_rate, target_sr=rate, res_type="soxr_vhq"), rate
        if gain_db is not None:
            audio = audio * 10 ** (gain_db / 20)
        clipped += bool(np.abs(audio).max() > 1.0)
        if not target.exists():
            with atomic_write(target, "wb", fsync=False) as handle:
                sf.write(handle, np.clip(audio, -1.0, 1.0).astype(np.float32), out_rate, format="WAV",
                         subtype="PCM_16")
    for table in TABLES:
        shutil.copyfile(source / table, out / table)
    marker.write_text(signature)
    return clipped


def inspect_banks(soundbank: str | Path, eval_soundbank: Optional[str | Path], config: BankCorpusConfig,
                  seed: int, log: Callable[[str], None]) -> Tuple[SoundBank, SoundBank]:
    """(training, evaluation) banks: scanned, described in the log, checked (:func:`check_banks`)."""
    from sedkit.data.mini_corpus import split_soundbank

    bank = scan_soundbank(soundbank)
    if eval_soundbank is not None:
        train, evaluation = bank, scan_soundbank(eval_soundbank)
        describe_bank(train, "training", log)
        describe_bank(evaluation, "evaluation", log)
    else:
        describe_bank(bank, "the", log)
        train, evaluation, shared = split_soundbank(bank, config.eval_share, seed)
        log(f"evaluation sources: {config.eval_share:g} of each label's files of {soundbank} (seed {seed})"
            + (f"; shared (one file only): {', '.join(shared)}" if shared else ""))
    check_banks(train, evaluation, log)
    return train, evaluation


def make_bank_corpus(out: str | Path, soundbank: str | Path, eval_soundbank: Optional[str | Path] = None,
                     config: Optional[BankCorpusConfig] = None, scale: float = 1.0, seed: int = 0, nj: int = 1,
                     sets: Optional[Sequence[str]] = None, progress: Optional[bool] = None,
                     log: Optional[Callable[[str], None]] = None) -> Dict[str, SynthReport]:
    """Build (or resume) the bank corpus under ``out``; returns each synthesised set's report."""
    config = config or BankCorpusConfig()
    log = log or (lambda line: None)
    if scale <= 0:
        raise InputError(f"--scale {scale}: must be positive")
    out = Path(out)
    train, evaluation = inspect_banks(soundbank, eval_soundbank, config, seed, log)
    classes = sorted({train.output_label(label) for label in train.foreground})
    out.mkdir(parents=True, exist_ok=True)
    (out / CLASSES_FILE).write_text("".join(f"{label}\n" for label in classes))

    def count(clips: int) -> int:
        return max(1, round(clips * scale))

    augmented = dict(pitch_shift_semitones=config.pitch_shift_semitones, time_stretch=config.time_stretch,
                     snr_db=config.snr_db, ref_db_range=config.ref_db_range)
    specs = [("train_synth", train, count(config.train_clips), augmented),
             ("train_synth_plain", train, count(config.plain_clips) if config.plain_clips else 0, {}),
             ("validation_synth", train, count(config.selection_clips), {}),
             ("validation", evaluation, count(config.eval_clips), {})]
    reports = {}
    for number, (name, source_bank, clips, settings) in enumerate(specs):
        if clips == 0 or (sets is not None and name not in sets):
            continue
        synth = SynthConfig(n_soundscapes=clips, name_prefix=f"{name}_", seed=1000 * seed + 100 + number,
                            **settings)
        reports[name] = synthesize(source_bank, out / name, synth, nj=nj, progress=progress)
    if sets is None or "validation" in sets:
        for kind, values in (("rate", config.variant_rates), ("gain", config.variant_gains_db)):
            for value in values:
                rate, gain = (value, None) if kind == "rate" else (None, value)
                name = variant_name(rate, gain)
                clipped = make_variant(out / "validation", out / name, rate, gain, progress)
                log(f"{name}: validation {'resampled to %d Hz' % rate if rate else 'at %+g dB' % gain}"
                    + (f" ({clipped} clips saturated at full scale)" if clipped else ""))
    return reports
