"""AEPlus's compiled CPU kernel (numba): the members' error and residual of each value.

Imported on first use only (:mod:`pyod_aeplus._compiled`). On a CPU
the members' reconstructions of a chunk of rows (``members × rows ×
features``) are the largest values a score is made of; torch would take
five passes over them (adding the bias, averaging, subtracting the row,
squaring, averaging or sorting) and temporaries of their size. This kernel
takes one pass and none, with the same float32 operations in the same
order, so it gives the same values.
"""

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, error_model="numpy", boundscheck=False, inline="always")
def _median_of_eight(values, j):
    """The mean of the 4th and 5th smallest of ``values[0:8, j]``.

    Batcher's odd-even merge sorting network of eight inputs, less the
    comparators that move neither middle output (17 of 19): branch-free
    minima and maxima, which the compiler vectorises over ``j``.
    """
    v0, v1, v2, v3 = values[0, j], values[1, j], values[2, j], values[3, j]
    v4, v5, v6, v7 = values[4, j], values[5, j], values[6, j], values[7, j]
    v0, v1 = min(v0, v1), max(v0, v1)
    v2, v3 = min(v2, v3), max(v2, v3)
    v4, v5 = min(v4, v5), max(v4, v5)
    v6, v7 = min(v6, v7), max(v6, v7)
    v0, v2 = min(v0, v2), max(v0, v2)
    v1, v3 = min(v1, v3), max(v1, v3)
    v4, v6 = min(v4, v6), max(v4, v6)
    v5, v7 = min(v5, v7), max(v5, v7)
    v1, v2 = min(v1, v2), max(v1, v2)
    v5, v6 = min(v5, v6), max(v5, v6)
    v0, v4 = min(v0, v4), max(v0, v4)
    v1, v5 = min(v1, v5), max(v1, v5)
    v2, v6 = min(v2, v6), max(v2, v6)
    v3, v7 = min(v3, v7), max(v3, v7)
    v2, v4 = min(v2, v4), max(v2, v4)
    v3, v5 = min(v3, v5), max(v3, v5)
    v3, v4 = min(v3, v4), max(v3, v4)
    return np.float32(0.5) * (v3 + v4)


@numba.njit(nogil=True, cache=True, error_model="numpy", boundscheck=False)
def member_means(products, bias, x, clipped, squared, median, errors, residuals):
    """Each value's error over the members, and the clipped value's residual.

    With ``r = products[m, i, j] + bias[m, j]`` (member ``m``'s reconstruction)
    and ``e = (r - x[i, j])²`` (``|r - x[i, j]|`` without ``squared``),
    ``errors[i, j]`` is the members' median ``e`` (the mean of the two middle
    ones for an even count), or their mean without ``median``;
    ``residuals[i, j]`` is ``clipped[i, j]`` minus the mean of ``r``. Row by
    row: a row's values do not depend on the other rows. ``x`` and
    ``clipped`` may be wider than the features (rows laid out with padding):
    their first ``features`` values are read.
    """
    n_members, n_rows, n_features = products.shape
    count = np.float32(n_members)
    half = np.float32(0.5)
    lower, upper = (n_members - 1) // 2, n_members // 2
    member_errors = np.empty((n_members, n_features), dtype=np.float32)
    for row in range(n_rows):
        error, residual, value = errors[row], residuals[row], x[row]
        for j in range(n_features):
            error[j] = np.float32(0.0)
            residual[j] = np.float32(0.0)
        for member in range(n_members):
            product, offset, own = products[member, row], bias[member], member_errors[member]
            for j in range(n_features):  # vectorised (the branches are the same for every j)
                reconstruction = product[j] + offset[j]
                residual[j] += reconstruction
                difference = reconstruction - value[j]
                member_error = difference * difference if squared else abs(difference)
                if median:
                    own[j] = member_error
                else:
                    error[j] += member_error
        if median and n_members == 8:
            for j in range(n_features):  # vectorised
                error[j] = _median_of_eight(member_errors, j)
        elif median:
            # Odd-even transposition sort of each value's member errors, all
            # values at once (a compare-exchange of two members' rows per step).
            for step in range(n_members):
                for member in range(step % 2, n_members - 1, 2):
                    first, second = member_errors[member], member_errors[member + 1]
                    for j in range(n_features):  # vectorised
                        smaller = min(first[j], second[j])
                        second[j] = max(first[j], second[j])
                        first[j] = smaller
            for j in range(n_features):
                error[j] = half * (member_errors[lower, j] + member_errors[upper, j])
        else:
            for j in range(n_features):
                error[j] /= count
        for j in range(n_features):
            residual[j] = clipped[row, j] - residual[j] / count
