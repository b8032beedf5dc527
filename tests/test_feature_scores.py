"""``feature_scores`` keeps a DataFrame's column names and index."""

import warnings

import numpy as np
import pytest

import pyod_aeplus as pa

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 3)), columns=["height", "weight", "age"])
    return pa.DenseAE(epochs=2, random_state=0).fit(frame), frame


def test_dataframe_in_dataframe_out(fitted):
    detector, frame = fitted
    rows = frame.iloc[[5, 2, 40]]  # an index that is not 0, 1, 2
    errors = detector.feature_scores(rows)
    assert isinstance(errors, pd.DataFrame)
    assert list(errors.columns) == ["height", "weight", "age"]
    assert list(errors.index) == [5, 2, 40]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X has no feature names
        np.testing.assert_array_equal(errors.to_numpy(),
                                      detector.feature_scores(rows.to_numpy()))


def test_an_array_gets_an_array(fitted):
    detector, frame = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X has no feature names
        errors = detector.feature_scores(frame.to_numpy())
    assert type(errors) is np.ndarray and errors.shape == (80, 3)


def test_a_model_fitted_without_names_gives_an_array(fitted):
    _, frame = fitted
    detector = pa.DenseAE(epochs=2, random_state=0).fit(frame.to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # X has feature names, the model none
        errors = detector.feature_scores(frame)
    assert type(errors) is np.ndarray and errors.shape == (80, 3)
