"""Offline log-mel extraction for a folder (or list) of audio files: resumable, sharded, parallel.

Output layout of a feature folder ``OUT``:

- ``OUT/<clip>.npy``: float32 array (n_frames, n_mels); ``<clip>`` is the file name relative to the
  input folder without its extension (sub-folders are kept).
- ``OUT/feats.tsv``: ``filename  path  n_frames  duration  audio_path`` (one row per extracted clip, in
  input order). ``filename`` is the audio file name as DCASE tables name it (``clip.wav``), ``path`` the
  ``.npy`` file relative to ``OUT``, ``duration`` the analysed length in seconds (after pad/crop),
  ``audio_path`` the source file.
- ``OUT/features.yaml``: the :class:`LogMelConfig` used, loadable with ``sedkit features --config``.
- ``OUT/.progress/<K>-of-<N>.tsv``: what each shard has finished, with the config digest; a rerun skips
  clips finished with the same config and redoes all clips when the config changed.

Every ``.npy`` is written to a temporary name and renamed, so an interrupted run leaves no partial file.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from sedkit.config import config_digest, dump_yaml, from_dict, load_yaml, to_dict
from sedkit.errors import InputError
from sedkit.features.logmel import LogMelConfig
from sedkit.io import atomic_write, read_tsv, save_npy, write_tsv
from sedkit.parallel import shard_items, worker_results

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioItem",
    "ExtractionReport",
    "list_audio",
    "load_audio",
    "audio_info",
    "prepare_audio",
    "extract_features",
    "read_feature_table",
    "read_feature_config",
]

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
FEATS_TABLE = "feats.tsv"
CONFIG_FILE = "features.yaml"
PROGRESS_DIR = ".progress"
FEATS_COLUMNS = ("filename", "path", "n_frames", "duration", "audio_path")


@dataclass(frozen=True)
class AudioItem:
    """One input clip: its DCASE ``filename`` (relative name with extension) and where it lies; with
    ``start_s``/``duration_s`` the clip is that segment of the file (Kaldi's segments)."""

    filename: str
    path: Path
    start_s: Optional[float] = None
    duration_s: Optional[float] = None

    @property
    def clip_id(self) -> str:
        return os.path.splitext(self.filename)[0]

    @property
    def feature_name(self) -> str:
        return self.clip_id + ".npy"


@dataclass
class ExtractionReport:
    """What a call to :func:`extract_features` did."""

    out_dir: Path
    n_inputs: int  # clips in this shard
    n_extracted: int = 0
    n_skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (filename, message)
    n_table_rows: int = 0  # rows in feats.tsv after this call (all shards)
    n_listed: int = 0  # clips in the whole listing (all shards)
    elapsed_s: float = 0.0
    config_changed: bool = False


def list_audio(source: str | Path) -> list[AudioItem]:
    """Audio inputs from a folder (wav, flac, ogg; recursive; sorted), one audio file, or a
    ``filename  path`` tsv (optional columns ``start_s`` and ``duration_s`` cut a segment of the file).

    Relative paths in a tsv are taken relative to the tsv's folder. Two inputs that would write the same
    feature file (``a.wav`` and ``a.flac``) are an error.
    """
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    if source.is_dir():
        paths = sorted(p for p in source.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())
        if not paths:
            raise InputError(f"{source}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) in this folder")
        items = [AudioItem(p.relative_to(source).as_posix(), p) for p in paths]
    elif source.suffix.lower() in AUDIO_EXTENSIONS:
        items = [AudioItem(source.name, source)]
    else:
        rows = read_tsv(source, required=("filename", "path"))
        if not rows:
            raise InputError(f"{source}: no rows after the header")
        items = []
        for number, row in enumerate(rows, start=2):
            if not row["filename"] or not row["path"]:
                raise InputError(f"{source}:{number}: empty filename or path")
            path = Path(row["path"])
            try:
                start = float(row["start_s"]) if row.get("start_s") else None
                duration = float(row["duration_s"]) if row.get("duration_s") else None
            except ValueError:
                raise InputError(f"{source}:{number}: start_s / duration_s must be seconds") from None
            items.append(AudioItem(row["filename"], path if path.is_absolute() else source.parent / path,
                                   start, duration))
    seen: dict[str, str] = {}
    for item in items:
        other = seen.setdefault(item.clip_id, item.filename)
        if other != item.filename:
            raise InputError(f"{source}: {other} and {item.filename} would both write {item.feature_name}")
    return items


@contextlib.contextmanager
def _reading(path: str | Path):
    """soundfile's errors on ``path`` as one-line InputErrors naming it."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (RuntimeError, OSError, ValueError) as exc:  # soundfile.LibsndfileError is a RuntimeError
        message = str(exc).split("\n")[0].replace(f"Error opening {str(path)!r}: ", "")
        raise InputError(f"{path}: cannot read audio: {message}") from None


def audio_info(path: str | Path):
    """soundfile's info (rate, frames, channels) of ``path``, or the InputError :func:`load_audio` gives."""
    import soundfile as sf

    with _reading(path):
        return sf.info(str(path))


def load_audio(path: str | Path, config: LogMelConfig, start_s: Optional[float] = None,
               duration_s: Optional[float] = None) -> np.ndarray:
    """Read ``path`` (or its segment from ``start_s`` lasting ``duration_s``) with soundfile, downmix to
    mono, resample to ``config.sample_rate``, pad/crop.

    Returns float32 samples. Raises :class:`InputError` for a missing, unreadable, empty or non-finite
    file (the message starts with the path).
    """
    import soundfile as sf

    with _reading(path):
        if start_s is None and duration_s is None:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        else:
            rate = sf.info(str(path)).samplerate
            start = int(round((start_s or 0.0) * rate))
            frames = -1 if duration_s is None else int(round(duration_s * rate))
            data, rate = sf.read(str(path), start=start, frames=frames, dtype="float32", always_2d=True)
    if data.shape[0] == 0:
        raise InputError(f"{path}: empty audio (0 samples)")
    return prepare_audio(data, rate, config, str(path))


def prepare_audio(data: np.ndarray, rate: int, config: LogMelConfig, where: str = "audio") -> np.ndarray:
    """Samples ``(n,)`` or ``(n, channels)`` at ``rate`` -> mono float32 at ``config.sample_rate``, padded with
    zeros or cropped to ``config.clip_duration_s`` when set. NaN or infinite samples are an InputError."""
    audio = data.mean(axis=1) if data.ndim == 2 and data.shape[1] > 1 else data.reshape(data.shape[0], -1)[:, 0]
    audio = np.asarray(audio, dtype=np.float32)
    if not np.isfinite(audio).all():
        raise InputError(f"{where}: audio contains NaN or infinite samples")
    if rate != config.sample_rate and audio.shape[0]:
        import librosa

        audio = librosa.resample(audio, orig_sr=rate, target_sr=config.sample_rate,
                                 res_type=config.resample_type)
    if config.clip_duration_s is not None:
        target = int(round(config.clip_duration_s * config.sample_rate))
        if audio.shape[0] >= target:
            audio = audio[:target]
        else:
            audio = np.pad(audio, (0, target - audio.shape[0]))
    return np.ascontiguousarray(audio, dtype=np.float32)


def read_feature_config(out_dir: str | Path) -> LogMelConfig:
    """The :class:`LogMelConfig` a feature folder was made with."""
    path = Path(out_dir) / CONFIG_FILE
    if not path.exists():
        raise InputError(f"{out_dir}: not a feature folder ({CONFIG_FILE} missing; run `sedkit features` first)")
    return from_dict(LogMelConfig, load_yaml(path))


def read_feature_table(out_dir: str | Path) -> list[dict[str, str]]:
    """Rows of ``OUT/feats.tsv`` (strings), checked for the expected columns."""
    path = Path(out_dir) / FEATS_TABLE
    if not path.exists():
        raise InputError(f"{out_dir}: not a feature folder ({FEATS_TABLE} missing; run `sedkit features` first)")
    return read_tsv(path, required=FEATS_COLUMNS[:4])


# --- worker side ---------------------------------------------------------------------------------------

_WORKER: dict = {}


def _init_worker(config: LogMelConfig, out_dir: Path) -> None:
    import torch

    from sedkit.features.logmel import LogMelExtractor

    # One intra-op thread per worker: the ops are small, and threads of parallel workers would compete.
    torch.set_num_threads(1)
    _WORKER.update(config=config, out_dir=out_dir, extractor=LogMelExtractor(config), torch=torch)


def _extract_one(item: AudioItem) -> tuple[AudioItem, int, float, str | None]:
    config, extractor, torch = _WORKER["config"], _WORKER["extractor"], _WORKER["torch"]
    try:
        audio = load_audio(item.path, config, item.start_s, item.duration_s)
    except InputError as exc:
        return item, 0, 0.0, str(exc)
    with torch.inference_mode():
        features = extractor(torch.from_numpy(audio)).numpy()
    # No fsync: a crash still leaves no partial file (rename), and features can be recomputed.
    save_npy(_WORKER["out_dir"] / item.feature_name, features.astype(np.float32, copy=False), fsync=False)
    return item, int(features.shape[0]), audio.shape[0] / config.sample_rate, None


def _restore_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    _WORKER.clear()


# --- driver ----------------------------------------------------------------------------------------------

def _read_progress(out_dir: Path, digest: str) -> dict[str, tuple[str, int, float]]:
    """filename -> (audio_path, n_frames, duration) for clips finished with config ``digest``."""
    done: dict[str, tuple[str, int, float]] = {}
    progress = out_dir / PROGRESS_DIR
    if not progress.is_dir():
        return done
    for table in sorted(progress.glob("*.tsv")):
        for line in table.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) != 5 or fields[0] != digest:
                continue  # another config, or a line cut short by an interruption
            try:
                done[fields[1]] = (fields[2], int(fields[3]), float(fields[4]))
            except ValueError:
                continue
    return done


def _progress_line(digest: str, item: AudioItem, frames: int, duration: float) -> str:
    return f"{digest}\t{item.filename}\t{item.path}\t{frames}\t{duration:.6f}\n"


def extract_features(items: Sequence[AudioItem], out_dir: str | Path, config: LogMelConfig | None = None,
                     nj: int = 1, shard: tuple[int, int] = (1, 1), progress: bool | None = None,
                     ) -> ExtractionReport:
    """Extract log-mel features of ``items`` (this call's shard of them) into ``out_dir``.

    Args:
        items: the full input listing (all shards), e.g. from :func:`list_audio`.
        out_dir: feature folder (created if missing).
        config: feature settings; defaults to the paper's.
        nj: worker processes.
        shard: (K, N): this call handles items K-1, K-1+N, K-1+2N, ... (1-based K), so N jobs of a
            cluster array can share one folder; each rebuilds ``feats.tsv`` from all finished work.
        progress: tqdm bar on stderr; ``None`` shows it only on a terminal.

    A clip that fails (unreadable, empty, ...) is recorded in the report and skipped; the others go on.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    config = config or LogMelConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    k, n = shard
    digest = config_digest(config)
    config_path = out_dir / CONFIG_FILE
    config_text = dump_yaml(to_dict(config))
    report = ExtractionReport(out_dir=out_dir, n_inputs=0, n_listed=len(items))

    if config_path.exists() and config_path.read_text() != config_text:
        report.config_changed = True
        with contextlib.suppress(FileNotFoundError):
            (out_dir / FEATS_TABLE).unlink()  # describes features of the old config
    with atomic_write(config_path) as handle:
        handle.write(config_text)

    mine = shard_items(items, shard)
    report.n_inputs = len(mine)
    done = _read_progress(out_dir, digest)
    todo = [item for item in mine
            if not (item.filename in done and (out_dir / item.feature_name).exists())]
    report.n_skipped = len(mine) - len(todo)

    progress_path = out_dir / PROGRESS_DIR / f"{k}-of-{n}.tsv"
    progress_path.parent.mkdir(exist_ok=True)
    # Keep only this config's rows in our own progress file, then append as clips finish.
    own = [ln for ln in (progress_path.read_text().splitlines(keepends=True) if progress_path.exists() else [])
           if ln.startswith(digest + "\t") and ln.endswith("\n")]
    with atomic_write(progress_path) as handle:
        handle.writelines(own)

    if todo:
        for item in todo:
            (out_dir / item.feature_name).parent.mkdir(parents=True, exist_ok=True)
        bar = tqdm(total=len(todo), desc=f"features {out_dir.name}", unit="clip",
                   disable=(None if progress is None else not progress), leave=False)
        if nj > 1:
            # librosa loads its submodules lazily (~1 s); load them before forking so workers share them.
            import librosa

            librosa.resample, librosa.filters.mel  # noqa: B018
        import torch

        with open(progress_path, "a") as log, worker_results(
                _extract_one, todo, nj, _init_worker, (config, out_dir),
                cleanup=lambda threads=torch.get_num_threads(): _restore_threads(threads)) as results:
            for item, frames, duration, error in results:
                if error is None:
                    log.write(_progress_line(digest, item, frames, duration))
                    log.flush()
                    report.n_extracted += 1
                else:
                    report.failures.append((item.filename, error))
                bar.update(1)
        bar.close()

    report.n_table_rows = _write_feature_table(out_dir, items, _read_progress(out_dir, digest))
    report.elapsed_s = time.perf_counter() - started
    return report


def _write_feature_table(out_dir: Path, items: Iterable[AudioItem], done: dict) -> int:
    rows = []
    for item in items:
        if item.filename in done and (out_dir / item.feature_name).exists():
            audio_path, frames, duration = done[item.filename]
            rows.append((item.filename, item.feature_name, frames, f"{duration:.6f}", audio_path))
    write_tsv(out_dir / FEATS_TABLE, FEATS_COLUMNS, rows)
    return len(rows)
