"""Tail scores: how rare a value is among a column's training values.

A column is described by quantile knots below its ``1 - TAIL_SHARE``
quantile (the threshold) and by a heavy, log-growing tail above it. A
value's score is −log of its tail probability:

- in the body, ``-log1p(-(1 - TAIL_SHARE) · rank / TAIL_KNOTS)``, where the
  rank is interpolated linearly between the knots (knot ``i`` has rank
  ``i + ½``; tied knots share their block's middle rank; the threshold has
  rank ``TAIL_KNOTS``), so the score is continuous: a value that moves by a
  rounding error moves its score by about as little;
- above the threshold, ``-log(TAIL_SHARE) + log1p(excess / mean excess)``,
  which meets the body at the threshold and grows without bound, slowly.

Scoring evaluates the body from a table per column: the body's values at
``GRID_CELLS + 1`` points evenly spaced in the square root of the value
(the columns are squared errors and distances, dense near 0), linearly
interpolated. Two implementations compute the same values (the tail's to
within a few float32 ulps): torch operations (any device) and a compiled
kernel for the CPU (about ten times faster than the same work in torch
operations, which matters: scoring one row of 20 features scores 60 values).
"""

import math
import os
import threading
import weakref

import numpy as np
import torch

from ._compiled import compiled_kernel
from ._parallel import in_parallel, over_column_blocks

# Quantile knots per column below the (1 - TAIL_SHARE) quantile.
TAIL_KNOTS, TAIL_SHARE = 256, 0.1
# Points of each column's body table, evenly spaced in the value's square root.
GRID_CELLS = 512
# Values closer than this (relative to the column's largest knot) count as tied.
TIE_TOLERANCE = 1e-6
# Tails are fitted in blocks of columns of about this many values (small
# copies, which the allocator reuses, instead of one of all the columns).
SORT_BLOCK_VALUES = 2 ** 19


def fit_tails(columns):
    """Knots, tail threshold and tail scale of each column of ``columns`` ``(rows, C)``.

    Returns ``(knots (C, TAIL_KNOTS), threshold (C,), scale (C,))`` as tensors
    on the columns' device.
    """
    n_rows, n_columns = columns.shape
    body = (torch.arange(TAIL_KNOTS) + 0.5) / TAIL_KNOTS
    at = ((1 - TAIL_SHARE) * body * (n_rows - 1)).round().long()
    top = min(n_rows - 1, round((1 - TAIL_SHARE) * (n_rows - 1)))  # the threshold's rank
    if columns.device.type == "cpu":
        values = columns.numpy()
        knots = np.empty((n_columns, TAIL_KNOTS), dtype=values.dtype)
        threshold = np.empty(n_columns, dtype=values.dtype)
        excess = np.empty(n_columns, dtype=values.dtype)
        above = np.empty(n_columns, dtype=np.int64)
        index = at.numpy()

        def block(start, stop, ordered):
            # NumPy's vectorised sort, over ten times torch's here.
            ordered.sort(axis=1)
            knots[start:stop] = ordered[:, index]
            threshold[start:stop] = ordered[:, top]
            # Sorted: only values from the threshold's rank on can exceed it.
            tail = ordered[:, top:] - ordered[:, top:top + 1]
            above[start:stop] = (tail > 0).sum(axis=1)
            excess[start:stop] = np.maximum(tail, 0).sum(axis=1)

        over_column_blocks(block, values, SORT_BLOCK_VALUES)
        knots, threshold = torch.from_numpy(knots), torch.from_numpy(threshold)
        scale = torch.from_numpy(excess) / torch.from_numpy(above).clamp(min=1)
    else:
        ordered = columns.sort(dim=0).values
        threshold = ordered[top]
        excess = (ordered - threshold).clamp(min=0)
        scale = excess.sum(dim=0) / (ordered > threshold).sum(dim=0).clamp(min=1)
        knots = ordered[at.to(ordered.device)].T.contiguous()
    # A column with nothing above its threshold still needs a finite slope.
    floor = 1e-3 * scale.mean() + 1e-8
    return knots, threshold, torch.maximum(scale, floor)


def column_medians(columns):
    """Each column's median (the lower one for an even count, as ``torch.median``): ``(C,)``."""
    if columns.device.type != "cpu":
        return columns.median(dim=0).values
    values = columns.numpy()
    middle = (values.shape[0] - 1) // 2
    medians = np.empty(values.shape[1], dtype=values.dtype)

    def block(start, stop, copy):
        medians[start:stop] = np.partition(copy, middle, axis=1)[:, middle]

    over_column_blocks(block, values, SORT_BLOCK_VALUES)
    return torch.from_numpy(medians)


def body_tables(knots, threshold):
    """Each column's body table and where its tail starts, float32.

    Returns ``(low (C,), inv (C,), table (C, GRID_CELLS + 1), tail_from (C,))``:
    point ``g`` of column ``c`` is at the value ``(low + g / inv)²`` (below
    ``low²``, the first knot, the body is the table's first value); values
    above ``tail_from`` are scored by the tail. Computed in float64 from the
    knots, on the CPU.

    Knots closer than ``TIE_TOLERANCE`` of the column's largest value count
    as tied, and so does a value that close to the threshold: float32
    products round a few ulps (~1e-7) differently from row to row, and a
    steep body would turn that into different scores for equal rows.

    A compiled kernel makes them on the CPU (numba; else torch operations):
    with thousands of columns, torch's operations on whole tables cost a
    noticeable share of a fit.
    """
    kernel = _cpu_kernel("body_table_kernel")
    if kernel is None:
        return body_tables_torch(knots, threshold)
    knots = np.ascontiguousarray(knots, dtype=np.float64)
    threshold = np.ascontiguousarray(threshold, dtype=np.float64)
    n_columns = knots.shape[0]
    low, inv, tail_from = (np.empty(n_columns, dtype=np.float32) for _ in range(3))
    table = np.empty((n_columns, GRID_CELLS + 1), dtype=np.float32)
    in_parallel(lambda lo, hi: kernel(knots, threshold, lo, hi, low, inv, table, tail_from),
                n_columns, table.size)
    return tuple(torch.from_numpy(a) for a in (low, inv, table, tail_from))


def body_tables_torch(knots, threshold):
    """:func:`body_tables` from torch operations (the same values as the compiled kernel)."""
    knots = torch.as_tensor(knots, dtype=torch.float64, device="cpu")
    threshold = torch.as_tensor(threshold, dtype=torch.float64, device="cpu")
    n_knots = knots.shape[1]
    # The threshold is the last point (rank n_knots), so body and tail meet there.
    points = torch.cat([knots, torch.maximum(threshold, knots[:, -1]).unsqueeze(1)], dim=1)
    tolerance = TIE_TOLERANCE * points.abs().amax(dim=1, keepdim=True)
    # Points within the tolerance of the previous one join its block, at its first value.
    starts = torch.cat([torch.ones_like(points[:, :1], dtype=torch.bool),
                        points.diff(dim=1) > tolerance], dim=1)
    index = torch.arange(n_knots + 1).expand_as(points)
    points = points.gather(1, torch.where(starts, index, 0).cummax(dim=1).values)
    # Tied points share the middle rank of their block (rank i + ½ for knot i);
    # the threshold, unless tied with knots, has rank n_knots.
    first = torch.searchsorted(points, points, right=False).double()
    last = torch.searchsorted(points, points, right=True).double() - 1
    ranks = (first + last) / 2 + 0.5
    ranks[:, -1] = torch.where(first[:, -1] < n_knots, ranks[:, -1], float(n_knots))
    low = points[:, 0].clamp(min=0).sqrt()
    high = points[:, -1].clamp(min=0).sqrt()
    width = high - low
    inv = torch.where(width > 0, GRID_CELLS / torch.where(width > 0, width, 1.0),
                      torch.zeros_like(width))
    steps = torch.arange(GRID_CELLS + 1, dtype=torch.float64) / GRID_CELLS
    edges = (low.unsqueeze(1) + steps * width.unsqueeze(1)).square()  # (C, cells + 1)
    # Linear interpolation of the ranks between the points that enclose each edge.
    right = torch.searchsorted(points, edges, right=True).clamp(1, n_knots)
    x0, x1 = points.gather(1, right - 1), points.gather(1, right)
    r0, r1 = ranks.gather(1, right - 1), ranks.gather(1, right)
    fraction = torch.where(x1 > x0, (edges - x0) / torch.where(x1 > x0, x1 - x0, 1.0),
                           torch.ones_like(edges))
    rank = torch.maximum(r0 + fraction.clamp(0, 1) * (r1 - r0), ranks[:, :1]).clamp(max=n_knots)
    table = -torch.log1p(-(1 - TAIL_SHARE) * rank / n_knots)
    tail_from = threshold + tolerance.squeeze(1)
    return low.float(), inv.float(), table.float().contiguous(), tail_from.float()


# The tables of recently used knots (a detector scores chunk after chunk with
# the same ones): keyed by the array's identity, checked through a weak
# reference. Made under a lock: chunks scored in parallel threads wait for
# one thread to make them instead of each making its own.
_TABLES = {}
_TABLES_LOCK = threading.Lock()


def _new_tables_lock():
    # A process forked while another thread held the lock gets a fresh one.
    global _TABLES_LOCK
    _TABLES_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_tables_lock)


def _cached_tables(knots, threshold):
    key = id(knots)
    with _TABLES_LOCK:
        entry = _TABLES.get(key)
        if entry is not None and entry[0]() is knots and entry[1]() is threshold:
            return entry[2]
        tables = body_tables(knots, threshold)
        try:
            _TABLES[key] = (weakref.ref(knots), weakref.ref(threshold), tables)
            weakref.finalize(knots, _TABLES.pop, key, None)
        except TypeError:  # not weakly referenceable: no caching
            pass
        return tables


def tail_values(columns, knots, threshold, scale):
    """−log of each value's tail probability on its column: ``(rows, C)``.

    ``columns`` is a ``(rows, C)`` tensor; ``knots``, ``threshold`` and
    ``scale`` are the fitted NumPy arrays. On a CPU a compiled kernel
    computes it; elsewhere torch operations do.
    """
    tables = _cached_tables(knots, threshold)
    if columns.device.type == "cpu":
        kernel = _cpu_kernel()
        if kernel is not None and columns.numel():
            return _tail_values_cpu(kernel, columns, *tables, threshold, scale)
    return tail_values_torch(columns, *tables, threshold, scale)


def weighted_tail_values(columns, knots, threshold, scale, weights):
    """``Σ_c weights[c] · tail score`` of each row: ``(rows,)`` float64.

    ``columns`` is ``(rows, C)``, as for :func:`tail_values`. The same sum as
    weighting :func:`tail_values` and adding along each row, without the
    ``(rows, C)`` scores in between.
    """
    tables = _cached_tables(knots, threshold)
    if columns.device.type == "cpu" and columns.numel():
        kernel = _cpu_kernel("weighted_tail_kernel")
        if kernel is not None:
            values = np.ascontiguousarray(columns.numpy(), dtype=np.float32)
            low, inv, table, tail_from = (t.numpy() for t in tables)
            args = (low, inv, table, tail_from, np.ascontiguousarray(threshold, dtype=np.float32),
                    np.ascontiguousarray(scale, dtype=np.float32),
                    np.ascontiguousarray(weights, dtype=np.float64))
            out = np.empty(values.shape[0], dtype=np.float64)
            in_parallel(lambda lo, hi: kernel(values, *args, lo, hi, out),
                         values.shape[0], values.size)
            return torch.from_numpy(out)
    values = tail_values_torch(columns, *tables, threshold, scale).double()
    return values @ torch.as_tensor(weights, device=values.device, dtype=torch.float64)


def tail_values_torch(columns, low, inv, table, tail_from, threshold, scale):
    """:func:`tail_values` from torch operations (any device), given the body tables."""
    device, dtype = columns.device, columns.dtype
    low, inv, table, tail_from, threshold, scale = (
        torch.as_tensor(a, device=device, dtype=dtype)
        for a in (low, inv, table, tail_from, threshold, scale))
    cells = table.shape[1] - 1
    position = ((columns.clamp(min=0).sqrt() - low) * inv).clamp(0, cells)
    cell = position.floor().clamp(max=cells - 1)
    fraction = position - cell
    cell = cell.long().T  # (C, rows)
    below, above = table.gather(1, cell).T, table.gather(1, cell + 1).T
    body = below + fraction * (above - below)
    tail = -math.log(TAIL_SHARE) + torch.log1p((columns - threshold).clamp(min=0) / scale)
    # Capped so that sums stay finite in float32 for any finite input.
    return torch.where(columns > tail_from, tail.clamp(max=1e30), body)


def _tail_values_cpu(kernel, columns, low, inv, table, tail_from, threshold, scale):
    # Column-major: the kernel works through one column (and its table) at a time.
    values = np.ascontiguousarray(columns.T.numpy(), dtype=np.float32)
    low, inv, table, tail_from = low.numpy(), inv.numpy(), table.numpy(), tail_from.numpy()
    threshold = np.ascontiguousarray(threshold, dtype=np.float32)
    scale = np.ascontiguousarray(scale, dtype=np.float32)
    out = np.empty_like(values)
    # Blocks of columns in parallel threads.
    in_parallel(lambda lo, hi: kernel(values[lo:hi], low[lo:hi], inv[lo:hi], table[lo:hi],
                                       tail_from[lo:hi], threshold[lo:hi], scale[lo:hi],
                                       out[lo:hi]), len(values), values.size)
    # Row-major, as the torch implementation gives: later reductions over a
    # row then sum in the same order whatever the number of rows.
    return torch.from_numpy(out).T.contiguous()


def _cpu_kernel(name="tail_kernel"):
    """A compiled kernel of :mod:`._tails_kernel`, or None where numba is missing."""
    return compiled_kernel("_tails_kernel", name)
