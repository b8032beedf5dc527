"""Work split over torch's CPU threads, in Python threads: the GIL is released meanwhile.

NumPy's sorts, partitions, torch's operations and the compiled tail kernels
release the GIL, so independent pieces of work run in parallel threads:

- :func:`in_parallel` splits one large operation into blocks of columns (or
  rows), one block per thread;
- :func:`map_in_order` works through a sequence of chunks (the rows a
  detector scores), one chunk per thread at a time, each on one torch thread.

Each piece is computed exactly as it would be alone, so results do not
depend on the number of threads.
"""

import collections
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

# Below this many values a call is not split over threads.
PARALLEL_VALUES = 2 ** 16
# Most chunks map_in_order works on at once: each holds a chunk's memory (16 MB
# as the engine sizes them, more when few are in flight), so scoring memory
# stays bounded on many cores.
MAP_THREADS = 8

_POOLS = {}
_POOLS_LOCK = threading.Lock()


def _forget_pools():
    # A process forked from this one has none of its threads: its copies of
    # the pools would take work that no thread ever runs.
    global _POOLS_LOCK
    _POOLS.clear()
    _POOLS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools)


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


def over_column_blocks(function, values, block_values, dtype=None):
    """``function(start, stop, block)`` for blocks of a few columns of ``values`` ``(rows, C)``.

    ``block`` is a transposed C-ordered copy of columns ``start:stop`` (in
    ``dtype``, if given), ``(stop - start, rows)``, of about ``block_values``
    values: small copies, which the allocator reuses (a fresh copy of all the
    columns can cost more in page faults than the work on it), each row of
    the copy one column, contiguous. The blocks go over torch's threads
    (:func:`in_parallel`); ``function`` may change its block.
    """
    n_rows, n_columns = values.shape
    width = max(1, block_values // max(1, n_rows))

    def part(lo, hi):
        for start in range(lo, hi, width):
            stop = min(start + width, hi)
            function(start, stop, np.array(values[:, start:stop].T, dtype=dtype, order="C"))

    in_parallel(part, n_columns, values.size)


def chunks_in_flight():
    """The most calls :func:`map_in_order` has in flight at once on a CPU: two per thread."""
    return 2 * max(1, min(MAP_THREADS, torch.get_num_threads()))


def map_in_order(function, items, progress=None, parallel=True):
    """``function(item)`` for each of ``items``, in order: a list of the results.

    The calls run under ``torch.no_grad``. With ``parallel=False`` (work on
    a GPU) they run one after another in this thread. Otherwise, with more
    than one torch thread, they run in a pool of as many Python threads (at
    most ``MAP_THREADS``), each call on one torch thread: a chunk of rows is
    scored by many small operations, which gain little from being split over
    threads one by one (and torch's idle OpenMP threads, spinning after each
    operation, slow the other threads down), while chunks scored side by side
    keep every core busy. With one torch thread the calls run in this thread. Either way each
    call runs on one torch thread, so its result does not depend on the
    number of threads. ``progress.update()`` is called after each result, in
    order; at most two items per thread are in flight, so memory stays
    bounded by the chunks' size.
    """
    threads = min(MAP_THREADS, torch.get_num_threads()) if parallel else 1
    results = []
    if threads <= 1:
        with torch.no_grad():
            for item in items:
                results.append(function(item))
                if progress is not None:
                    progress.update()
        return results
    caller_threads = torch.get_num_threads()

    def one_thread(item):
        torch.set_num_threads(1)
        try:
            with torch.no_grad():
                return function(item)
        finally:
            # torch's count for threads that have not run an operation yet
            # is process-wide, and set_num_threads set it: give the caller's back.
            torch.set_num_threads(caller_threads)

    pending = collections.deque()
    pool = _pool(threads + 1)  # a pool of ``threads`` threads
    try:
        for item in items:
            pending.append(pool.submit(one_thread, item))
            while len(pending) >= 2 * threads:
                results.append(pending.popleft().result())
                if progress is not None:
                    progress.update()
        while pending:
            results.append(pending.popleft().result())
            if progress is not None:
                progress.update()
    finally:
        for future in pending:  # after an error: no work left running
            future.cancel()
        for future in pending:
            if not future.cancelled():
                future.exception()
    return results


def _pool(parts):
    """A thread pool for ``parts - 1`` helper threads, made once per size and reused."""
    if parts <= 1:
        return None
    with _POOLS_LOCK:
        if parts not in _POOLS:
            _POOLS[parts] = ThreadPoolExecutor(parts - 1, thread_name_prefix="pyod_aeplus")
        return _POOLS[parts]
