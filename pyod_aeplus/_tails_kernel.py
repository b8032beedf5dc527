"""The compiled CPU kernel of :func:`pyod_aeplus._tails.tail_values` (numba).

Imported on first use only: numba takes a moment to import, and its compiled
code is cached next to this file (or in numba's user cache) after the first run.
"""

import math

import numba
import numpy as np

from ._tails import TAIL_SHARE

LOG_SHARE = np.float32(-math.log(TAIL_SHARE))
CAP = np.float32(1e30)
ZERO = np.float32(0.0)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def tail_score(value, column, low, inv, table, tail_from, threshold, scale):
    """−log tail probability of ``value`` on ``column`` (float32), as :func:`tail_kernel`."""
    if value > tail_from[column]:
        excess = max(value - threshold[column], ZERO)
        return min(LOG_SHARE + np.log1p(excess / scale[column]), CAP)
    cells = table.shape[1] - 1
    top = np.float32(cells)
    position = min(max((np.sqrt(max(value, ZERO)) - low[column]) * inv[column], ZERO), top)
    cell = min(np.floor(position), top - 1)
    fraction = position - cell
    below = table[column, int(cell)]
    return below + fraction * (table[column, int(cell) + 1] - below)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def tail_kernel(values, low, inv, table, tail_from, threshold, scale, out):
    """``out[c, r]``: −log tail probability of ``values[c, r]`` on column ``c`` (float32).

    Column by column, so that a column's table stays in the cache; the same
    float32 operations, in the same order, as the torch implementation.
    """
    n_columns, n_rows = values.shape
    for column in range(n_columns):
        for row in range(n_rows):
            out[column, row] = tail_score(values[column, row], column, low, inv, table,
                                          tail_from, threshold, scale)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def weighted_tail_kernel(values, low, inv, table, tail_from, threshold, scale, weights, first,
                         last, out):
    """``out[r] = Σ_c weights[c] · tail score of values[c, r]`` for rows ``first`` to ``last``.

    Float64 sums over the columns in their order, for every row, so a row's
    result does not depend on the other rows. Rows go in tiles, columns
    within a tile, so the tile's sums stay in the cache.
    """
    n_columns = values.shape[0]
    tile = 512
    for start in range(first, last, tile):
        stop = min(start + tile, last)
        for row in range(start, stop):
            out[row] = 0.0
        for column in range(n_columns):
            weight = weights[column]
            for row in range(start, stop):
                out[row] += weight * tail_score(values[column, row], column, low, inv, table,
                                                tail_from, threshold, scale)
