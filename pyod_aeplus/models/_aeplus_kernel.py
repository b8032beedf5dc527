"""AEPlus's compiled CPU kernel (numba): the members' mean error and residual of each value.

Imported on first use only, as :mod:`pyod_aeplus._tails_kernel`. On a CPU
the members' reconstructions of a chunk of rows (``members × rows ×
features``) are the largest values a score is made of; torch would take
five passes over them (adding the bias, averaging, subtracting the row,
squaring, averaging again) and two temporaries of their size. This kernel
takes one pass and none, with the same float32 operations in the same
order, so it gives the same values.
"""

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, error_model="numpy", boundscheck=False)
def member_means(products, bias, x, clipped, squared, errors, residuals):
    """Each value's error averaged over the members, and the clipped value's residual.

    With ``r = products[m, i, j] + bias[m, j]`` (member ``m``'s reconstruction):
    ``errors[i, j]`` is the mean over the members of ``(r - x[i, j])²``
    (``|r - x[i, j]|`` without ``squared``) and ``residuals[i, j]`` is
    ``clipped[i, j]`` minus the mean of ``r``. Row by row: a row's values do
    not depend on the other rows. ``x`` and ``clipped`` may be wider than
    the features (rows laid out with padding): their first ``features``
    values are read.
    """
    n_members, n_rows, n_features = products.shape
    count = np.float32(n_members)
    for row in range(n_rows):
        error, residual, value = errors[row], residuals[row], x[row]
        for j in range(n_features):
            error[j] = np.float32(0.0)
            residual[j] = np.float32(0.0)
        for member in range(n_members):
            product, offset = products[member, row], bias[member]
            for j in range(n_features):  # vectorised
                reconstruction = product[j] + offset[j]
                residual[j] += reconstruction
                difference = reconstruction - value[j]
                error[j] += difference * difference if squared else abs(difference)
        for j in range(n_features):
            error[j] /= count
            residual[j] = clipped[row, j] - residual[j] / count
