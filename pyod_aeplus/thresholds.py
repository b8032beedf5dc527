"""The tutorials' threshold rules, on any score vector or as a detector's ``contamination``.

Functions take scores (higher = more abnormal) and return a threshold; a row
is an outlier when its score is above it. The classes wrap the same rules in
the thresholder interface PyOD accepts as ``contamination`` (as pythresh's
do): ``DenseAE(contamination=MeanStdThreshold(k=1))``.
"""

import numpy as np


def _scores(scores, name="scores"):
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(scores).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return scores


def percentile_threshold(scores, q=98.0):
    """The ``q``-th percentile of ``scores`` (the Keras tutorial uses 98)."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be in [0, 100], got {q!r}")
    return float(np.percentile(_scores(scores), q))


def mean_std_threshold(scores, k=1.0):
    """``mean + k · std`` of ``scores`` (the TensorFlow ECG tutorial uses k = 1)."""
    scores = _scores(scores)
    return float(scores.mean() + k * scores.std())


def midpoint_threshold(scores, y):
    """Midpoint between the mean score of rows labelled normal (0) and anomalous (1).

    Needs labels: the rule of the PyTorch ``generate_data`` tutorial.
    """
    scores = _scores(scores)
    y = np.asarray(y).ravel()
    if y.shape != scores.shape:
        raise ValueError(f"y has {y.shape[0]} labels for {scores.shape[0]} scores")
    if not ((y == 0).any() and (y == 1).any()):
        raise ValueError("midpoint_threshold needs both normal (0) and anomalous (1) rows")
    return float((scores[y == 0].mean() + scores[y == 1].mean()) / 2)


class _Thresholder:
    """PyOD's thresholder interface: ``fit`` sets ``thresh_`` and ``labels_``."""

    def fit(self, scores):
        scores = _scores(scores)
        self.thresh_ = self._threshold(scores)
        self.labels_ = (scores > self.thresh_).astype(int)
        return self

    def eval(self, scores):
        """Labels of ``scores`` from a threshold fitted on them (pythresh's call)."""
        return self.fit(scores).labels_

    def predict(self, scores):
        """Labels of new ``scores`` against the fitted threshold."""
        return (_scores(scores) > self.thresh_).astype(int)

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


class PercentileThreshold(_Thresholder):
    """Threshold at the ``q``-th percentile of the training scores."""

    def __init__(self, q=98.0):
        self.q = q

    def _threshold(self, scores):
        return percentile_threshold(scores, self.q)


class MeanStdThreshold(_Thresholder):
    """Threshold at mean + ``k`` · std of the training scores."""

    def __init__(self, k=1.0):
        self.k = k

    def _threshold(self, scores):
        return mean_std_threshold(scores, self.k)
