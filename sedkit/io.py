"""File input/output shared by all of sedkit: atomic writes and tab-separated tables.

Every file sedkit writes goes through :func:`atomic_write` or :func:`save_npy`: the content is written
to a temporary file in the same folder and renamed over the target with :func:`os.replace`, so a crash or
Ctrl-C never leaves a half-written output behind (readers see the old file or the new one).
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import IO, Iterator, Optional, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["atomic_write", "save_npy", "write_tsv", "read_tsv", "EventTable", "read_events", "read_durations",
           "write_events", "read_scores", "ScoreFiles", "read_score_files"]


def _file_mode() -> int:
    """Mode for new files under the current umask (mkstemp would leave them private, 0600).

    Read when a file is written, not at import (importing a library must not touch process state): from
    /proc on Linux, else by setting and restoring the umask.
    """
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", fsync: bool = True, **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it to ``path``, on error delete it.

    ``fsync`` also flushes the data to disk before the rename, which makes the file survive a power
    loss, not only a crash of the process; bulk outputs that can be recomputed (features) skip it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_npy(path: str | Path, array: np.ndarray, fsync: bool = True) -> None:
    """Write ``array`` as ``.npy`` atomically (see :func:`atomic_write` for ``fsync``)."""
    with atomic_write(path, "wb", fsync=fsync) as handle:
        np.save(handle, array, allow_pickle=False)


def write_tsv(path: str | Path, header: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Write a tab-separated table with a header line, atomically."""
    with atomic_write(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def read_tsv(path: str | Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Read a tab-separated table with a header; check that the ``required`` columns are there.

    Returns one dict per data row (values are strings). Errors are :class:`InputError` naming the file
    and the problem: missing file, empty file, wrong delimiter, missing column, ragged row.
    """
    path = Path(path)
    text = _read_text(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: empty file, expected a header line with columns {', '.join(required)}")
    header = lines[0].split("\t")
    missing = [c for c in required if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and ("," in lines[0] or " " in lines[0].strip()):
            hint = " (the file must be tab-separated)"
        raise InputError(f"{path}:1: missing column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)}; found {', '.join(header)}{hint}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        values = line.split("\t")
        if len(values) != len(header):
            raise InputError(f"{path}:{number}: expected {len(header)} tab-separated fields, got {len(values)}")
        rows.append(dict(zip(header, values)))
    return rows


# --- DCASE event tables -----------------------------------------------------------------------------------

EVENT_COLUMNS = ("filename", "onset", "offset", "event_label")


def lookup(names: Sequence[str], index: dict, missing: int = -1) -> np.ndarray:
    """Indices of ``names`` in ``index`` (``missing`` where absent); the loop runs in C (map over dict.get)."""
    return np.fromiter(map(index.get, names, repeat(missing)), dtype=np.int64, count=len(names))


@dataclass
class EventTable:
    """A DCASE strong-label table: ``filename  onset  offset  event_label`` (seconds).

    ``files`` lists every filename in order of first appearance, including clips marked as having no
    events (a row with empty onset, offset and label). The event arrays keep the file's row order, which
    sed_eval's matching depends on; ``row_numbers`` are the events' line numbers in the file (for errors).
    """

    path: str
    files: list[str]
    filename: list[str]
    onset: np.ndarray
    offset: np.ndarray
    label: list[str]
    row_numbers: list[int] = field(default_factory=list)
    _codes: Optional[tuple] = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.filename)

    def codes(self) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
        """(the distinct filenames: ``files`` first; each event's file as an index into them; the distinct
        labels in order of first appearance; each event's label as an index into them), computed once:
        :func:`read_events` computes them while it reads, so that scoring many tables maps numbers, not
        strings, to the evaluation's files and classes."""
        if self._codes is None:
            names = list(self.files)  # lists every filename (the class invariant), checked below
            file_codes = lookup(self.filename, {name: i for i, name in enumerate(names)})
            if (file_codes < 0).any():
                names = list(dict.fromkeys([*self.files, *self.filename]))
                file_codes = lookup(self.filename, {name: i for i, name in enumerate(names)})
            labels = list(dict.fromkeys(self.label))
            self._codes = (names, file_codes, labels, lookup(self.label, {name: i for i, name in enumerate(labels)}))
        return self._codes

    @property
    def labels(self) -> list[str]:
        """Sorted unique event labels."""
        return sorted(set(self.label))


def _parse_times(path: Path, column: str, values: list[str], row_numbers: list[int]) -> np.ndarray:
    try:
        times = np.array(values, dtype=np.float64)
    except ValueError:
        times = None
    if times is None or not np.isfinite(times).all():
        for value, number in zip(values, row_numbers):
            try:
                ok = np.isfinite(float(value))
            except ValueError:
                ok = False
            if not ok:
                raise InputError(f"{path}:{number}: {column} {value!r} is not a number of seconds")
    bad = np.flatnonzero(times < 0)
    if bad.size:
        raise InputError(f"{path}:{row_numbers[bad[0]]}: negative {column} {values[bad[0]]}")
    return times


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a tsv file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


def _fast_events(path: Path, text: str) -> EventTable | None:
    """The common, well-formed table parsed by numpy's C reader (``numpy.loadtxt``).

    Returns None at the first irregularity (other column order or extra columns, carriage returns,
    spaces, blank lines, ragged rows, empty or non-numeric fields, negative or reversed times), and the
    row-by-row reader then names the problem exactly as before. Rows marking clips without events
    (``name<TAB><TAB><TAB>``) make the first parse fail; they are then cut out and the rest parsed again,
    keeping their files and the other rows' line numbers. Blank lines, which numpy skips, show as a row count
    short of the line count.
    """
    if "\r" in text or " " in text:
        return None
    newline = text.find("\n")
    if newline < 0 or text[:newline].split("\t") != list(EVENT_COLUMNS):
        return None
    body = text[newline + 1:].rstrip("\n")
    if not body:
        return None
    empties: list[tuple[int, str]] = []
    n_lines = body.count("\n") + 1
    try:  # (an empty-clip row fails here: its times are empty)
        rows = np.loadtxt(io.StringIO(body), delimiter="\t", dtype=_EVENT_DTYPE, comments=None, quotechar=None,
                          ndmin=1)
    except ValueError:
        rows = None
    if rows is None:
        cut = _cut_empty_rows(body) if "\t\t\t" in body else None
        if cut is None:
            return None
        body, empties = cut
        if not body:  # only empty-clip rows (and no blank line)
            return EventTable(str(path), list(dict.fromkeys(name for _, name in empties)), [], np.zeros(0),
                              np.zeros(0), [], []) if len(empties) == n_lines else None
        try:
            rows = np.loadtxt(io.StringIO(body), delimiter="\t", dtype=_EVENT_DTYPE, comments=None,
                              quotechar=None, ndmin=1)
        except ValueError:
            return None
    if rows.shape[0] + len(empties) != n_lines:  # blank lines (which the C reader skips)
        return None
    onset, offset = np.ascontiguousarray(rows["onset"]), np.ascontiguousarray(rows["offset"])
    filename, label = rows["filename"].tolist(), rows["event_label"].tolist()
    if ("" in filename or "" in label or not (np.isfinite(onset).all() and np.isfinite(offset).all())
            or (onset < 0).any() or (offset < 0).any() or (onset > offset).any()):
        return None
    if not empties:
        return EventTable(str(path), list(dict.fromkeys(filename)), filename, onset, offset, label,
                          list(range(2, len(filename) + 2)))
    numbers = np.setdiff1d(np.arange(2, n_lines + 2), [number for number, _ in empties]).tolist()
    first = dict(zip(reversed(filename), reversed(numbers)))  # each file's first event row
    for number, name in empties:
        first[name] = min(first.get(name, number), number)
    files = [name for _, name in sorted((number, name) for name, number in first.items())]
    return EventTable(str(path), files, filename, onset, offset, label, numbers)


def _cut_empty_rows(body: str) -> tuple[str, list[tuple[int, str]]] | None:
    """``body`` without its ``name<TAB><TAB><TAB>`` rows, and (line number, name) of each; None if a
    triple tab sits anywhere else."""
    pieces, empties = [], []
    kept_from, counted_to, lines_before, scan = 0, 0, 0, 0
    while True:
        position = body.find("\t\t\t", scan)
        if position < 0:
            break
        line_start = body.rfind("\n", 0, position) + 1
        end = position + 3
        name = body[line_start:position]
        if (end < len(body) and body[end] != "\n") or not name or "\t" in name:
            return None
        lines_before += body.count("\n", counted_to, line_start)
        counted_to = line_start
        empties.append((lines_before + 2, name))
        pieces.append(body[kept_from:line_start])
        kept_from = scan = end + 1
    pieces.append(body[kept_from:])
    return "".join(pieces).rstrip("\n"), empties


_EVENT_DTYPE = np.dtype([("filename", "O"), ("onset", "f8"), ("offset", "f8"), ("event_label", "O")])


def read_events(path: str | Path, empty_rows: bool = True) -> EventTable:
    """Read a DCASE event table, checking every row.

    Errors (:class:`InputError`, ``path:row: problem``): missing file, empty file, wrong delimiter, missing
    column, non-numeric or non-finite or negative time, onset > offset, a row with only some of onset /
    offset / label. A row with all three empty marks a clip without events (allowed when ``empty_rows``).
    Well-formed tables take a column-wise fast path; anything else the row-by-row checks.
    """
    path = Path(path)
    table = _fast_events(path, _read_text(path)) if empty_rows else None
    if table is None:
        table = _read_event_rows(path, empty_rows)
    table.codes()
    return table


def _read_event_rows(path: Path, empty_rows: bool) -> EventTable:
    """The row-by-row reader: every check, every error message (:func:`read_events`)."""
    rows = read_tsv(path, required=EVENT_COLUMNS)
    files: dict[str, None] = {}
    filename, onsets, offsets, label, numbers = [], [], [], [], []
    for number, row in enumerate(rows, start=2):
        name = row["filename"].strip()
        if not name:
            raise InputError(f"{path}:{number}: empty filename")
        files.setdefault(name, None)
        on, off, lab = row["onset"].strip(), row["offset"].strip(), row["event_label"].strip()
        if not on and not off and not lab:
            if not empty_rows:
                raise InputError(f"{path}:{number}: empty onset, offset and event_label")
            continue
        if not on or not off or not lab:
            missing = [n for n, v in (("onset", on), ("offset", off), ("event_label", lab)) if not v]
            raise InputError(f"{path}:{number}: empty {', '.join(missing)}")
        filename.append(name)
        onsets.append(on)
        offsets.append(off)
        label.append(lab)
        numbers.append(number)
    onset = _parse_times(path, "onset", onsets, numbers)
    offset = _parse_times(path, "offset", offsets, numbers)
    bad = np.flatnonzero(onset > offset)
    if bad.size:
        i = bad[0]
        raise InputError(f"{path}:{numbers[i]}: onset {onsets[i]} is after offset {offsets[i]}")
    return EventTable(str(path), list(files), filename, onset, offset, label, numbers)


def read_durations(path: str | Path) -> dict[str, float]:
    """Read ``filename  duration`` (seconds, > 0) into a dict.

    A filename listed twice with the same duration is read once, with an :class:`InputWarning` (psds_eval
    drops such duplicates); with different durations it is an error.
    """
    import warnings

    from sedkit.errors import InputWarning

    path = Path(path)
    rows = read_tsv(path, required=("filename", "duration"))
    durations: dict[str, float] = {}
    repeated: list[str] = []
    for number, row in enumerate(rows, start=2):
        name = row["filename"].strip()
        try:
            value = float(row["duration"])
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"{path}:{number}: duration {row['duration']!r} is not a positive number of seconds")
        if name in durations:
            if durations[name] != value:
                raise InputError(f"{path}:{number}: {name} appears twice with different durations "
                                 f"({durations[name]:g} and {value:g} s)")
            repeated.append(name)
            continue
        durations[name] = value
    if not durations:
        raise InputError(f"{path}: no rows after the header")
    if repeated:
        warnings.warn(f"{path}: {len(repeated)} repeated row(s) with the same duration read once (first: "
                      f"{repeated[0]})", InputWarning)
    return durations


def write_events(path: str | Path, rows, empty_files: Sequence[str] = ()) -> None:
    """Write ``(filename, onset, offset, label)`` rows as a DCASE table sorted by (filename, onset).

    ``empty_files`` get one row with empty onset, offset and label (a clip without events).
    """
    body = sorted(((f, float(on), float(off), lab) for f, on, off, lab in rows),
                  key=lambda r: (r[0], r[1], r[2], r[3]))
    present = {r[0] for r in body}
    lines = [(f, f"{on:.6f}", f"{off:.6f}", lab) for f, on, off, lab in body]
    lines += [(f, "", "", "") for f in empty_files if f not in present]
    lines.sort(key=lambda r: (r[0], float(r[1]) if r[1] else -1.0))
    write_tsv(path, EVENT_COLUMNS, lines)


# --- frame scores (sed_scores_eval's format) --------------------------------------------------------------

def read_scores(path: str | Path) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Read one clip's frame scores: ``onset  offset  <class_1> ... <class_K>``.

    Returns (timestamps of shape (T + 1,), class names, scores of shape (T, K)). Frames must be
    contiguous (each onset equals the previous offset) and of non-zero length, as sed_scores_eval requires.
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: no such score file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise InputError(f"{path}: empty score file")
    header = lines[0].split("\t")
    if len(header) < 3 or header[:2] != ["onset", "offset"]:
        raise InputError(f"{path}:1: expected columns onset, offset, <class> ... (tab-separated), "
                         f"found {', '.join(header)}")
    if len(lines) < 2:
        raise InputError(f"{path}: no frames after the header")
    try:
        body = lines[1:]
        if set(map(str.count, body, repeat("\t"))) != {len(header) - 1}:
            raise ValueError("ragged")
        values = np.array("\t".join(body).split("\t"), dtype=np.float64).reshape(len(body), len(header))
    except ValueError:
        for number, line in enumerate(lines[1:], start=2):
            fields = line.split("\t")
            if len(fields) != len(header):
                raise InputError(f"{path}:{number}: expected {len(header)} fields, got {len(fields)}") from None
            try:
                [float(v) for v in fields]
            except ValueError:
                raise InputError(f"{path}:{number}: non-numeric value") from None
        raise
    if values.ndim != 2 or values.shape[1] != len(header):
        raise InputError(f"{path}: ragged rows; expected {len(header)} fields per row")
    onset, offset = values[:, 0], values[:, 1]
    bad = np.flatnonzero(~(offset > onset))
    if bad.size:
        raise InputError(f"{path}:{bad[0] + 2}: frame offset must be after its onset")
    gap = np.flatnonzero(offset[:-1] != onset[1:])
    if gap.size:
        raise InputError(f"{path}:{gap[0] + 3}: frame onset differs from the previous frame's offset")
    if np.isnan(values[:, 2:]).any():
        raise InputError(f"{path}: NaN scores")
    return np.append(onset, offset[-1]), header[2:], values[:, 2:]




def _read_scores_together(paths: Sequence[Path], threads: int = 1) -> Optional[tuple]:
    """:func:`read_scores` of many well-formed files at once, as (classes, frame onsets, frame offsets, scores
    (frames, classes), frames per file) of all files' frames in ``paths`` order: their rows (headers cut)
    joined and parsed in one call of Apache Arrow's C++ CSV reader (``pyarrow.csv``, about 3x numpy's
    ``loadtxt`` here), checked for all files together. None at the first irregularity (a file that cannot be
    read, headers that differ, blank lines, carriage returns, ragged or non-numeric rows, frames that are empty
    or not contiguous, NaN), and the caller reads file by file, naming the problem as before. Arrow's float
    parsing rounds correctly, as Python's ``float`` does, so both paths give the same numbers (tested).
    ``threads`` > 1 lets Arrow parse blocks of rows on its threads."""
    import pyarrow
    import pyarrow.csv as arrow_csv

    first_line: Optional[bytes] = None
    bodies = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if first_line is None:
            first_line = data[:data.find(b"\n") + 1]
        if not first_line or not data.startswith(first_line) or len(data) == len(first_line):
            return None
        bodies.append(data if data.endswith(b"\n") else data + b"\n")
    if first_line is None:
        return None
    try:
        header = first_line[:-1].decode().split("\t")
    except UnicodeDecodeError:
        return None
    if len(header) < 3 or header[:2] != ["onset", "offset"]:
        return None
    rows = np.array([body.count(b"\n") - 1 for body in bodies])
    joined = b"".join([memoryview(body)[len(first_line):] for body in bodies])
    if b"\r" in first_line or b"\r" in joined:
        return None
    names = [str(i) for i in range(len(header))]  # Arrow wants distinct column names; a header may repeat one
    try:
        table = arrow_csv.read_csv(
            pyarrow.py_buffer(joined),
            read_options=arrow_csv.ReadOptions(column_names=names, use_threads=threads > 1,
                                               block_size=1 << 22 if threads > 1 else min(len(joined) + 1, 1 << 30)),
            parse_options=arrow_csv.ParseOptions(delimiter="\t", quote_char=False, double_quote=False,
                                                 escape_char=False, newlines_in_values=False,
                                                 ignore_empty_lines=True),
            convert_options=arrow_csv.ConvertOptions(column_types={n: pyarrow.float64() for n in names},
                                                     null_values=[], strings_can_be_null=False))
    except (pyarrow.ArrowException, ValueError):
        return None
    if table.num_rows != int(rows.sum()):  # blank lines (skipped by Arrow) or a header-only file
        return None
    # Each column's value buffers read by numpy (Arrow's own to_numpy costs ~0.2 s on its first use).
    values = np.empty((table.num_rows, len(names)))
    for index, column in enumerate(table.columns):
        at = 0
        for chunk in column.chunks:
            if chunk.null_count:
                return None
            values[at:at + len(chunk), index] = np.frombuffer(chunk.buffers()[1], dtype=np.float64, count=len(chunk),
                                                              offset=8 * chunk.offset)
            at += len(chunk)
    if np.isnan(values[:, 2:]).any():
        return None
    onset, offset = values[:, 0], values[:, 1]
    last = np.cumsum(rows) - 1  # each file's last row
    follows = np.ones(len(onset) - 1, dtype=bool)
    follows[last[:-1]] = False  # a file's first frame follows nothing
    if not (offset > onset).all() or (offset[:-1] != onset[1:])[follows].any():
        return None
    return header[2:], onset, offset, values[:, 2:], rows


@dataclass
class ScoreFiles:
    """The score files of some clips (``read_score_files``): per clip, in ``names`` order, its file, its frame
    timestamps (T + 1,) and its scores (T, classes) of the ``classes`` columns; ``header``: the files' class
    columns as they are; ``ignored``: the header's columns outside ``classes``."""

    folder: Path
    names: list
    paths: list
    timestamps: list
    scores: list
    classes: list
    header: list
    ignored: list
    # All clips' frames as read at once (onsets, offsets, scores, frames per clip), when they were.
    joined: Optional[tuple] = field(default=None, repr=False)

    def durations(self) -> dict:
        """Each clip's length: the end of its last frame."""
        return {name: float(t[-1]) for name, t in zip(self.names, self.timestamps)}

    def concatenated(self, names: Sequence[str]):
        """(frame onsets, frame offsets, index into ``names`` of each frame, scores (frames, classes)) of the
        clips ``names`` (any order of ``self.names``), their frames concatenated in that order."""
        if self.joined is not None and list(names) == self.names:
            onset, offset, scores, rows = self.joined
            return onset, offset, np.repeat(np.arange(len(rows)), rows), scores
        position = {name: i for i, name in enumerate(self.names)}
        picked = [position[name] for name in names]
        stamps = [self.timestamps[i] for i in picked]
        return (np.concatenate([t[:-1] for t in stamps]), np.concatenate([t[1:] for t in stamps]),
                np.repeat(np.arange(len(picked)), [len(t) - 1 for t in stamps]),
                np.concatenate([self.scores[i] for i in picked]))


def read_score_files(folder: str | Path, names: Sequence[str], classes: Optional[Sequence[str]] = None,
                     outside: str = "the reference", threads: int = 1) -> ScoreFiles:
    """The score files ``folder/<stem>.tsv`` of the clips ``names`` (``<stem>``: the filename without its
    extension), read with :func:`read_scores`, keeping the ``classes`` columns in that order (all the header's
    without ``classes``). Errors (one line, :class:`InputError`): no such folder; a clip without a score file;
    a score file of no clip in ``names`` (``outside`` says what that list is); a class without a column;
    files whose columns differ. ``threads`` > 1: parse on that many threads (when all files are well formed)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such score folder")
    present = {p.stem: p for p in folder.glob("*.tsv")}
    stems = [os.path.splitext(name)[0] for name in names]
    extra = sorted(set(present) - set(stems))
    if extra:
        raise InputError(f"{present[extra[0]]}: clip {extra[0]} is not in {outside}")
    missing = [name for name, stem in zip(names, stems) if stem not in present]
    if missing:
        raise InputError(f"{folder}: no score file for {missing[0]}"
                         f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}")
    paths = [present[stem] for stem in stems]
    together = _read_scores_together(paths, threads)
    if together is not None:  # one header for all
        header, onset, offset, values, rows = together
        take = _score_columns(paths[0], header, classes)
        values = values if take == list(range(len(header))) else values[:, take]
        ends = np.cumsum(rows)
        timestamps, blocks = [], []
        for a, b in zip((ends - rows).tolist(), ends.tolist()):
            timestamps.append(np.append(onset[a:b], offset[b - 1]))
            blocks.append(values[a:b])
        joined = (onset, offset, values, rows)
    else:
        header, take, timestamps, blocks, joined = None, [], [], [], None
        for path in paths:
            stamps, columns, scores = read_scores(path)
            if header is None:
                header = columns
                take = _score_columns(path, header, classes)
            elif columns != header:
                raise InputError(f"{path}:1: columns differ from the other score files ({', '.join(header)})")
            timestamps.append(stamps)
            blocks.append(scores[:, take])
    header = header or []
    kept = [header[i] for i in take]
    return ScoreFiles(folder, list(names), paths, timestamps, blocks, kept, header,
                      [c for c in header if c not in kept], joined)


def _score_columns(path: Path, header: list, classes: Optional[Sequence[str]]) -> list:
    """Indices of the ``classes`` columns in a score file's ``header`` (all of them without ``classes``)."""
    wanted = list(classes) if classes is not None else list(header)
    lacking = [c for c in wanted if c not in header]
    if lacking:
        raise InputError(f"{path}:1: no score column for {', '.join(lacking)}")
    return [header.index(c) for c in wanted]


def write_scores(path: str | Path, timestamps: np.ndarray, classes: Sequence[str], scores: np.ndarray,
                 digits: int = 8) -> None:
    """Write one clip's frame scores in sed_scores_eval's format (atomically), scores to ``digits`` significant
    digits (17: exactly the float64 values)."""
    rows = [(f"{on:.6f}", f"{off:.6f}", *(f"{v:.{digits}g}" for v in frame))
            for on, off, frame in zip(timestamps[:-1], timestamps[1:], scores)]
    write_tsv(path, ("onset", "offset", *classes), rows)
