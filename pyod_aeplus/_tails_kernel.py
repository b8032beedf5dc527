"""The compiled CPU kernels of :mod:`pyod_aeplus._tails` (numba).

Imported on first use only: numba takes a moment to import, and its compiled
code is cached next to this file (or in numba's user cache) after the first run.

Both kernels score a column a tile of rows at a time, in three loops: the
first finds each value's cell of the column's body table and its fraction
through the cell (no load depends on a value there, so the compiler
vectorises it), the second looks every value up in the body and lists the
rows above the tail's start, the third scores those rows by the tail.
The body is scored by the same float32 operations as the torch
implementation and the tail to within a few ulps of it (its logarithm is
taken another way: see :func:`log1p`). Every value is scored by the same
operations whatever the tile it falls in, so a row's score does not depend
on the other rows.
"""

import math

import numba
import numpy as np

from ._tails import GRID_CELLS, TAIL_SHARE, TIE_TOLERANCE

LOG_SHARE = np.float32(-math.log(TAIL_SHARE))
CAP = np.float32(1e30)
ZERO = np.float32(0.0)
ONE = np.float32(1.0)
INF = np.float32(np.inf)
# Rows per tile: the tile's cells, fractions and scores stay in the L1 cache.
TILE = 512


@numba.njit(nogil=True, cache=True, error_model="numpy", inline="always")
def log1p(value):
    """``log(1 + value)`` for ``value >= 0``, within a few float32 ulps of ``np.log1p``.

    By the rounded sum's own logarithm, corrected by how far the sum
    rounded (Goldberg's method): a float32 ``log`` costs about a third of
    numba's ``log1p``, and the tail scores are about a tenth of the values.
    """
    total = ONE + value
    rounded = total - ONE
    if rounded == ZERO or rounded == INF:  # below half an ulp of 1, or infinite
        return value
    return np.log(total) * (value / rounded)


@numba.njit(nogil=True, cache=True, error_model="numpy", boundscheck=False, inline="always")
def column_scores(values, column, low, inv, table, tail_from, threshold, scale, cell, fraction,
                  tail_rows, scores):
    """Scores of ``values`` (one tile of column ``column``) into ``scores[:len(values)]``."""
    n_rows = values.shape[0]
    top = np.float32(table.shape[1] - 1)
    last_cell = top - np.float32(1)
    start, step = low[column], inv[column]
    for row in range(n_rows):  # vectorised
        value = values[row]
        root = np.sqrt(value if value > ZERO else ZERO)
        position = (root - start) * step
        position = position if position > ZERO else ZERO
        position = position if position < top else top
        lower = np.floor(position)
        lower = lower if lower < last_cell else last_cell
        fraction[row] = position - lower
        cell[row] = np.int32(lower)
    body = table[column]
    edge, column_threshold, column_scale = tail_from[column], threshold[column], scale[column]
    # Every value is looked up in the body (the cells are clamped into the
    # table), and the rows above the tail's start are listed without a branch:
    # they are about a tenth of the values, at random, so a branch per value
    # would be mispredicted often. Their scores are then taken one by one.
    n_tail = 0
    for row in range(n_rows):
        below = body[cell[row]]
        scores[row] = below + fraction[row] * (body[cell[row] + 1] - below)
        tail_rows[n_tail] = row
        n_tail += values[row] > edge
    for index in range(n_tail):
        row = tail_rows[index]
        excess = values[row] - column_threshold
        excess = excess if excess > ZERO else ZERO
        score = LOG_SHARE + log1p(excess / column_scale)
        scores[row] = score if score < CAP else CAP


@numba.njit(nogil=True, cache=True, error_model="numpy")
def tail_kernel(values, low, inv, table, tail_from, threshold, scale, out):
    """``out[c, r]``: −log tail probability of ``values[c, r]`` on column ``c`` (float32)."""
    n_columns, n_rows = values.shape
    cell = np.empty(TILE, dtype=np.int32)
    fraction = np.empty(TILE, dtype=np.float32)
    tail_rows = np.empty(TILE, dtype=np.int32)
    for column in range(n_columns):
        for start in range(0, n_rows, TILE):
            stop = min(start + TILE, n_rows)
            column_scores(values[column, start:stop], column, low, inv, table, tail_from,
                          threshold, scale, cell, fraction, tail_rows,
                          out[column, start:stop])


@numba.njit(nogil=True, cache=True, error_model="numpy")
def weighted_tail_kernel(values, low, inv, table, tail_from, threshold, scale, weights, first,
                         last, out):
    """``out[r] = Σ_c weights[c] · tail score of values[r, c]`` for rows ``first`` to ``last``.

    ``values`` is row-major ``(rows, C)``: each tile's column is copied to a
    contiguous buffer first (the tile's rows stay in the cache from one
    column to the next), which costs less than transposing all the values
    beforehand. Float64 sums over the columns in their order, for every
    row, so a row's result does not depend on the other rows. Rows go in
    tiles, columns within a tile, so the tile's sums stay in the cache.
    """
    n_columns = values.shape[1]
    column = np.empty(TILE, dtype=np.float32)
    cell = np.empty(TILE, dtype=np.int32)
    fraction = np.empty(TILE, dtype=np.float32)
    tail_rows = np.empty(TILE, dtype=np.int32)
    scores = np.empty(TILE, dtype=np.float32)
    for start in range(first, last, TILE):
        stop = min(start + TILE, last)
        sums = out[start:stop]
        sums[:] = 0.0
        for index in range(n_columns):
            for row in range(stop - start):
                column[row] = values[start + row, index]
            column_scores(column[:stop - start], index, low, inv, table, tail_from,
                          threshold, scale, cell, fraction, tail_rows, scores)
            weight = weights[index]
            for row in range(stop - start):  # vectorised
                sums[row] += weight * scores[row]


@numba.njit(nogil=True, cache=True, error_model="numpy")
def body_table_kernel(knots, threshold, first, last, low, inv, table, tail_from):
    """:func:`~pyod_aeplus._tails.body_tables` of columns ``first`` to ``last``, into the outputs.

    The same float64 operations, column by column: the points that enclose
    each edge are found by one walk along the column's points (the edges
    rise), not a binary search per edge.
    """
    n_knots = knots.shape[1]
    points = np.empty(n_knots + 1)
    ranks = np.empty(n_knots + 1)
    for column in range(first, last):
        points[:n_knots] = knots[column]
        points[n_knots] = max(threshold[column], knots[column, n_knots - 1])
        largest = 0.0
        for i in range(n_knots + 1):
            largest = max(largest, abs(points[i]))
        tolerance = TIE_TOLERANCE * largest
        # Points within the tolerance of the previous one join its block, at
        # its first value; tied points share the middle rank of their block.
        start = 0
        for i in range(1, n_knots + 2):
            if i == n_knots + 1 or points[i] - points[i - 1] > tolerance:
                rank = (start + (i - 1)) / 2 + 0.5
                for j in range(start, i):
                    points[j] = points[start]
                    ranks[j] = rank
                start = i
        # The threshold, unless tied with knots, has rank n_knots.
        block = n_knots
        while block > 0 and points[block - 1] == points[n_knots]:
            block -= 1
        if block == n_knots:
            ranks[n_knots] = n_knots
        start_root = math.sqrt(max(points[0], 0.0))
        width = math.sqrt(max(points[n_knots], 0.0)) - start_root
        low[column] = start_root
        inv[column] = GRID_CELLS / width if width > 0 else 0.0
        tail_from[column] = threshold[column] + tolerance
        right = 0
        for cell in range(GRID_CELLS + 1):
            edge = start_root + cell / GRID_CELLS * width
            edge = edge * edge
            while right <= n_knots and points[right] <= edge:
                right += 1
            enclosing = min(max(right, 1), n_knots)
            x0, x1 = points[enclosing - 1], points[enclosing]
            r0, r1 = ranks[enclosing - 1], ranks[enclosing]
            fraction = (edge - x0) / (x1 - x0) if x1 > x0 else 1.0
            rank = r0 + min(max(fraction, 0.0), 1.0) * (r1 - r0)
            rank = min(max(rank, ranks[0]), float(n_knots))
            table[column, cell] = -np.log1p(-(1 - TAIL_SHARE) * rank / n_knots)
