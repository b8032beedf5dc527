"""ADBench's four types of synthetic anomalies, made from a real data set's normal rows.

Han et al., "ADBench: Anomaly Detection Benchmark" (NeurIPS 2022), section 4.3:
a real set's anomalies are replaced by anomalies of one known kind, so a
detector's results can be read by kind of anomaly rather than by data set.
"""

import numpy as np
from sklearn.utils import Bunch

#: ADBench's four kinds of synthetic anomalies (see :func:`make_synthetic_anomalies`).
ANOMALY_TYPES = ("local", "global", "dependency", "cluster")
# ADBench's settings: covariances (local) and means (cluster) scaled by 5,
# the uniform box of the global anomalies 10% beyond the normal rows' range.
ALPHA, GLOBAL_MARGIN = 5.0, 0.1
# The mixture is fitted on at most this many normal rows, with at most this
# many components (chosen by BIC, as in ADBench).
GMM_ROWS, GMM_MAX_COMPONENTS = 10_000, 9


def _fit_mixture(X, rng):
    """A full-covariance Gaussian mixture of ``X``, its component count chosen by BIC.

    The search stops at the first count whose BIC is worse than the previous
    one's: on wide data (hundreds of columns) each further component costs a
    full covariance and only raises the BIC.
    """
    from sklearn.mixture import GaussianMixture

    if X.shape[0] > GMM_ROWS:
        X = X[np.sort(rng.choice(X.shape[0], GMM_ROWS, replace=False))]
    best, best_bic = None, np.inf
    for n_components in range(1, max(1, min(GMM_MAX_COMPONENTS, X.shape[0] // 50)) + 1):
        mixture = GaussianMixture(n_components, covariance_type="full", reg_covar=1e-6,
                                  random_state=int(rng.integers(2 ** 31 - 1))).fit(X)
        bic = mixture.bic(X)
        if bic >= best_bic:
            break
        best, best_bic = mixture, bic
    return best


def _sample_mixture(weights, means, covariances, n_rows, rng):
    counts = rng.multinomial(n_rows, weights / weights.sum())
    parts = [rng.multivariate_normal(mean, cov, size=count, method="eigh")
             for mean, cov, count in zip(means, covariances, counts) if count]
    return np.vstack(parts) if parts else np.empty((0, means.shape[1]))


def make_synthetic_anomalies(X, y, anomaly_type, *, random_state=0):
    """Replace a data set's anomalies by synthetic ones of one kind (ADBench's four).

    The result has as many normal rows and anomalies as ``(X, y)``. The
    mixture-based kinds work on the normal rows scaled to [0, 1] by their
    range (as ADBench's sets are) and scale their rows back.

    - ``'local'``: a Gaussian mixture is fitted to the normal rows (component
      count by BIC); the normal rows are samples of it, the anomalies samples
      of the same mixture with every covariance scaled by 5: anomalies near
      the normal clusters but outside their usual spread.
    - ``'cluster'``: the same mixture with every mean scaled by 5 (in the
      [0, 1] scaling): tight groups of anomalies away from the normal rows.
    - ``'global'``: normal rows as for ``'local'``; anomalies uniform in the
      box of each feature's range widened by 10% on each side (ADBench's ``[1.1·min,
      1.1·max]``, written so that it widens for negative values too).
    - ``'dependency'``: the normal rows are the real ones; each anomaly takes
      every feature from an independently drawn normal row, so its values
      are all typical one by one but the dependence between features is
      broken. (ADBench models the normal rows with a vine copula and draws
      the anomalies from kernel density estimates of the marginals; drawing
      real values keeps both parts free of any model's artefacts.)

    Parameters
    ----------
    X : array of shape (n_rows, n_features)
    y : array of shape (n_rows,), 1 = anomaly
    anomaly_type : {'local', 'global', 'dependency', 'cluster'}
    random_state : int, numpy Generator or None, default=0

    Returns
    -------
    Bunch with ``X`` (normal rows first, then the anomalies) and ``y``.
    """
    if anomaly_type not in ANOMALY_TYPES:
        raise ValueError(f"anomaly_type must be one of {ANOMALY_TYPES}, got {anomaly_type!r}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be 2-D with one label per row; got X {X.shape}, y {y.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or infinite values; fill or drop them first")
    normal = X[y == 0]
    n_normal, n_anomalies = normal.shape[0], int(np.sum(y != 0))
    if n_normal < 2:
        raise ValueError(f"at least 2 normal rows are needed, got {n_normal}")
    rng = np.random.default_rng(random_state)
    if anomaly_type == "dependency":
        # Real values, not rescaled: every anomaly value is one of the normal rows'.
        columns = np.arange(normal.shape[1])
        anomalies = normal[rng.integers(n_normal, size=(n_anomalies, normal.shape[1])), columns]
        X_new = np.vstack([normal, anomalies])
    else:
        low = normal.min(axis=0)
        span = normal.max(axis=0) - low
        # A constant feature counts as spanning [value, value + 1], so the
        # global box and the scaled means can still leave it.
        span[span == 0] = 1.0
        mixture = _fit_mixture((normal - low) / span, rng)
        normal_rows = _sample_mixture(mixture.weights_, mixture.means_, mixture.covariances_,
                                      n_normal, rng)
        if anomaly_type == "local":
            anomalies = _sample_mixture(mixture.weights_, mixture.means_,
                                        mixture.covariances_ * ALPHA, n_anomalies, rng)
        elif anomaly_type == "cluster":
            anomalies = _sample_mixture(mixture.weights_, mixture.means_ * ALPHA,
                                        mixture.covariances_, n_anomalies, rng)
        else:
            anomalies = rng.uniform(-GLOBAL_MARGIN, 1 + GLOBAL_MARGIN,
                                    size=(n_anomalies, normal.shape[1]))
        X_new = np.vstack([normal_rows, anomalies]) * span + low
    y_new = np.r_[np.zeros(n_normal, dtype=np.int64), np.ones(n_anomalies, dtype=np.int64)]
    return Bunch(X=X_new, y=y_new)
