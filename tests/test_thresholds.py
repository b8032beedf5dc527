"""Threshold rules, as functions and as a detector's contamination."""

import numpy as np
import pytest

import pyod_aeplus as pa
from pyod_aeplus.thresholds import (
    MeanStdThreshold,
    PercentileThreshold,
    mean_std_threshold,
    midpoint_threshold,
    percentile_threshold,
)


def test_rules_on_known_scores():
    scores = np.arange(101, dtype=float)
    assert percentile_threshold(scores, 98) == 98.0
    assert mean_std_threshold([1.0, 3.0], k=1) == 3.0
    assert mean_std_threshold([1.0, 3.0], k=0) == 2.0
    assert midpoint_threshold([1.0, 1.0, 5.0], [0, 0, 1]) == 3.0


def test_rules_refuse_bad_input():
    with pytest.raises(ValueError, match="q must be in"):
        percentile_threshold([1.0], 101)
    with pytest.raises(ValueError, match="scores contains NaN"):
        mean_std_threshold([1.0, np.nan])
    with pytest.raises(ValueError, match="needs both normal"):
        midpoint_threshold([1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match="y has 1 labels for 2 scores"):
        midpoint_threshold([1.0, 2.0], [0])
    with pytest.raises(ValueError, match="scores is empty"):
        percentile_threshold([])


@pytest.mark.parametrize("rule,expected", [
    (PercentileThreshold(90), lambda s: np.percentile(s, 90)),
    (MeanStdThreshold(1.5), lambda s: s.mean() + 1.5 * s.std()),
])
def test_thresholders_as_contamination(rule, expected):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    det = pa.DenseAE(contamination=rule, epochs=3, random_state=0).fit(X)
    assert det.threshold_ == pytest.approx(expected(det.decision_scores_))
    np.testing.assert_array_equal(det.labels_, det.decision_scores_ > det.threshold_)
    X_new = rng.normal(size=(50, 5)) * 3
    np.testing.assert_array_equal(det.predict(X_new),
                                  det.decision_function(X_new) > det.threshold_)
    assert "Threshold(" in repr(rule)
