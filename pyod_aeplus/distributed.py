"""Scoring beyond one machine: a fitted detector applied to a Dask array, block by block."""

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _score_block(block, detector, method):
    return np.asarray(getattr(detector, method)(block), dtype=np.float64)


def score_dask_array(detector, X, method="decision_function"):
    """Lazily score the rows of a Dask array with a fitted detector.

    Each block of rows is scored where it lives (on the workers of a Dask
    distributed cluster when a client is active); call ``.compute()`` on the
    result. Columns are merged into one chunk first, since a row must be
    scored whole.

    Parameters
    ----------
    detector : fitted detector
        Any of this package's detectors (or any with ``method``).
    X : dask.array.Array or array-like of shape (n_samples, n_features)
    method : str, default='decision_function'
        'decision_function' (scores) or 'predict' (labels).

    Returns
    -------
    dask.array.Array of shape (n_samples,)
    """
    import dask.array as da

    check_is_fitted(detector, "decision_scores_")
    if method not in ("decision_function", "predict"):
        raise ValueError(f"method must be 'decision_function' or 'predict', got {method!r}")
    X = da.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (rows × features), got {X.ndim}-D")
    expected = getattr(detector, "n_features_in_", X.shape[1])
    if X.shape[1] != expected:
        raise ValueError(f"X has {X.shape[1]} features, but the detector expects {expected}")
    X = X.rechunk({1: -1})
    return X.map_blocks(_score_block, detector, method, drop_axis=1,
                        dtype=np.float64 if method == "decision_function" else np.int64,
                        meta=np.empty((0,), dtype=np.float64))
