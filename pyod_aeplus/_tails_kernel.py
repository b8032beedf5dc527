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


@numba.njit(nogil=True, cache=True)
def tail_kernel(values, low, inv, table, tail_from, threshold, scale, out):
    """``out[c, r]``: −log tail probability of ``values[c, r]`` on column ``c`` (float32).

    Column by column, so that a column's table stays in the cache; the same
    float32 operations, in the same order, as the torch implementation.
    """
    n_columns, n_rows = values.shape
    cells = table.shape[1] - 1
    top = np.float32(cells)
    for column in range(n_columns):
        start, step = low[column], inv[column]
        edge, limit, spread = tail_from[column], threshold[column], scale[column]
        for row in range(n_rows):
            value = values[column, row]
            if value > edge:
                out[column, row] = min(LOG_SHARE + np.log1p(max(value - limit, ZERO) / spread),
                                       CAP)
            else:
                position = min(max((np.sqrt(max(value, ZERO)) - start) * step, ZERO), top)
                cell = min(np.floor(position), top - 1)
                fraction = position - cell
                below = table[column, int(cell)]
                out[column, row] = below + fraction * (table[column, int(cell) + 1] - below)
