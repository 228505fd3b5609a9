"""File input/output shared by all of sedkit: atomic writes and tab-separated tables.

Every file sedkit writes goes through :func:`atomic_write` or :func:`save_npy`: the content is written
to a temporary file in the same folder and renamed over the target with :func:`os.replace`, so a crash or
Ctrl-C never leaves a half-written output behind (readers see the old file or the new one).
"""
from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator, Sequence

import numpy as np

from sedkit.errors import InputError

__all__ = ["atomic_write", "save_npy", "write_tsv", "read_tsv"]


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
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a tsv file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
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
