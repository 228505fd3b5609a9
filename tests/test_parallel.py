import threading
import time

import pytest

from sedkit.errors import InputError
from sedkit.parallel import check_jobs, thread_map


def test_thread_map_keeps_item_order_and_uses_threads():
    seen = set()

    def slow_first(item):
        seen.add(threading.get_ident())
        time.sleep(0.05 if item == 0 else 0.0)  # item 0 finishes last
        return item * item

    assert thread_map(slow_first, range(6), 3) == [0, 1, 4, 9, 16, 25]
    assert len(seen) > 1
    seen.clear()
    assert thread_map(slow_first, [3], 4) == [9] and seen == {threading.get_ident()}  # one item: here


def test_check_jobs():
    assert check_jobs(2) == 2
    with pytest.raises(InputError, match=r"^--nj 0: must be at least 1$"):
        check_jobs(0)


def test_contiguous_blocks_by_hand():
    from sedkit.parallel import contiguous_blocks

    assert contiguous_blocks(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert contiguous_blocks(2, 4) == [(0, 1), (1, 2)]  # never more blocks than items, none empty
    assert contiguous_blocks(5, 1) == [(0, 5)]
    assert contiguous_blocks(0, 2) == []
