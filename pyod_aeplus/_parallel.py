"""Blocks of work split over torch's CPU threads, for NumPy and compiled code that releases the GIL.

NumPy's sorts, partitions and the compiled tail kernels release the GIL, so
independent blocks of columns (or rows) run in parallel threads. Each block
is computed exactly as it would be alone, so results do not depend on the
number of threads.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

# Below this many values a call is not split over threads.
PARALLEL_VALUES = 2 ** 16

_POOLS = {}
_POOLS_LOCK = threading.Lock()


def in_parallel(block, n, size):
    """``block(lo, hi)`` over ``[0, n)`` in contiguous parts, one per torch thread.

    ``size`` is the number of values the whole call touches: below
    ``PARALLEL_VALUES`` it runs in this thread alone. This thread takes the
    first part; the others go to a thread pool made once per size.
    """
    parts = 1 if size < PARALLEL_VALUES else max(1, min(torch.get_num_threads(), n))
    edges = np.linspace(0, n, parts + 1).astype(int)
    futures = [_pool(parts).submit(block, lo, hi) for lo, hi in zip(edges[1:-1], edges[2:])]
    block(edges[0], edges[1])
    for future in futures:
        future.result()


def _pool(parts):
    """A thread pool for ``parts - 1`` helper threads, made once per size and reused."""
    if parts <= 1:
        return None
    with _POOLS_LOCK:
        if parts not in _POOLS:
            _POOLS[parts] = ThreadPoolExecutor(parts - 1, thread_name_prefix="pyod_aeplus")
        return _POOLS[parts]
