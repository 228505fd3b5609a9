"""sedkit.compiled: the numba helpers give numpy's own results (the median filter and the SEBBs depend on
rounding to the same bits as sed_scores_eval and sebbs, which round with numpy)."""
import numpy as np

from sedkit.compiled import merge_sorted, round_to


def test_round_to_is_numpys_round_bit_for_bit():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.random(20000) * 100 - 50, np.arange(-2000, 2000) * 0.064 + 1e-7,
                             np.round(rng.random(5000) * 10, 7), [0.0, -0.0, 2.5e-9, -1.5e-8]])
    for decimals in (6, 8):
        np.testing.assert_array_equal(round_to(values, decimals), np.round(values, decimals))


def test_merge_sorted_equals_sorting_the_union():
    rng = np.random.default_rng(1)
    for n, m in ((0, 5), (7, 0), (100, 37), (1, 1)):
        a, b = np.sort(rng.integers(0, 20, n) / 4.0), np.sort(rng.integers(0, 20, m) / 4.0)  # repeats across both
        np.testing.assert_array_equal(merge_sorted(a, b), np.sort(np.concatenate((a, b))))
