"""Running per-item work in this process or in a pool of workers, and splitting work into shards.

Shared by feature extraction and soundscape synthesis: ``--nj N`` runs N worker processes on one machine,
``--shard K/N`` lets job K of an N-job cluster array take every N-th item. Scoring runs its classes on
threads instead (:func:`thread_map`): its work is large numpy operations, which release the interpreter
lock, on arrays that worker processes would have to copy.
"""
from __future__ import annotations

import contextlib
import multiprocessing
from typing import Callable, Iterator, Sequence, Tuple

from sedkit.errors import InputError

__all__ = ["parse_shard", "shard_items", "worker_results", "thread_map", "check_jobs", "contiguous_blocks"]


def parse_shard(text: str) -> Tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise InputError(f"--shard {text!r}: expected K/N, e.g. 1/4") from None
    if not 1 <= k <= n:
        raise InputError(f"--shard {text!r}: need 1 <= K <= N")
    return k, n


def shard_items(items: Sequence, shard: Tuple[int, int]) -> list:
    """Items K-1, K-1+N, K-1+2N, ... of shard (K, N) (round robin keeps shards balanced)."""
    k, n = shard
    return list(items)[k - 1::n]


@contextlib.contextmanager
def worker_results(function: Callable, items: Sequence, nj: int, initializer: Callable | None = None,
                   initargs: tuple = (), cleanup: Callable | None = None) -> Iterator[Iterator]:
    """An iterator over ``function(item)`` for ``items``: here when ``nj`` is 1, else from ``nj`` workers.

    Results from workers come in completion order. ``initializer(*initargs)`` prepares each worker (or this
    process, followed by ``cleanup()`` afterwards). Workers are forked where the platform allows (they
    start in milliseconds and share the parent's imported modules); callers must not have started torch
    thread pools before.
    """
    if nj <= 1 or len(items) <= 1:
        if initializer is not None:
            initializer(*initargs)
        try:
            yield map(function, items)
        finally:
            if cleanup is not None:
                cleanup()
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    chunk = max(1, min(8, len(items) // (4 * nj)))
    with context.Pool(nj, initializer=initializer, initargs=initargs) as pool:
        yield pool.imap_unordered(function, items, chunksize=chunk)


def check_jobs(nj: int) -> int:
    """``nj`` if it is at least 1, else an :class:`InputError` (``--nj``)."""
    if nj < 1:
        raise InputError(f"--nj {nj}: must be at least 1")
    return nj


def thread_map(function: Callable, items: Sequence, nj: int) -> list:
    """``[function(item) for item in items]``, on ``nj`` threads when ``nj`` > 1 (results in item order)."""
    if nj <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(nj, len(items))) as pool:
        return list(pool.map(function, items))


def contiguous_blocks(n: int, nj: int) -> list:
    """``[(lo, hi), ...]``: ``range(n)`` cut into at most ``nj`` consecutive blocks of near-equal size (none
    empty; ``[]`` for n = 0), for work on ``nj`` threads whose results are concatenated in order."""
    parts = max(1, min(nj, n))
    cuts = [k * n // parts for k in range(parts + 1)]
    return [(lo, hi) for lo, hi in zip(cuts[:-1], cuts[1:]) if hi > lo]
