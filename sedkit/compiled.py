"""Small compiled (numba) helpers shared by the compiled loops of :mod:`sedkit.metrics._kernels` and
:mod:`sedkit.postprocess._kernels`. Imported only by those modules, so that ``sedkit`` starts without numba."""
import numba
import numpy as np

__all__ = ["round_to", "merge_sorted"]


@numba.njit(cache=True, nogil=True)
def round_to(x, decimals):
    """numpy's ``np.round(x, decimals)`` for decimals >= 0 (rint(x * 10^d) / 10^d, the same bits)."""
    scale = 10.0 ** decimals
    return np.rint(x * scale) / scale


@numba.njit(cache=True, nogil=True)
def merge_sorted(a, b):
    """The sorted union, repeats kept, of two sorted arrays (one linear pass)."""
    out = np.empty(a.shape[0] + b.shape[0])
    i = j = 0
    for m in range(out.shape[0]):
        if j == b.shape[0] or (i < a.shape[0] and a[i] <= b[j]):
            out[m] = a[i]
            i += 1
        else:
            out[m] = b[j]
            j += 1
    return out
