"""scikit-learn's own estimator checks, run on every detector.

Each detector passes every check except those PyOD's own detectors fail by
design (PyOD's labels and score direction, PyOD's handling of ``y``); those
are listed with their reason and expected to fail, strictly: a check that
starts passing fails here, so the list stays true.
"""

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

import pyod_aeplus as pa
from conftest import torch_threads

pytestmark = [
    # PyOD's own warnings, about calls the checks make on purpose.
    pytest.mark.filterwarnings("ignore:y should not be presented in unsupervised learning"),
    pytest.mark.filterwarnings("ignore:Function fit_predict is deprecated:FutureWarning"),
]


# Small networks and two epochs: the checks fit hundreds of times.
SMALL = dict(epochs=2, random_state=0)
DETECTORS = [
    pa.DenseAE(code_size=2, **SMALL),
    pa.DeepAE(hidden_sizes=(8, 4, 2), dropout=0.1, batch_norm=True, **SMALL),
    pa.SparseAE(code_size=4, **SMALL),
    pa.DenoisingAE(hidden_sizes=(8, 2), **SMALL),
    pa.ConvAE(channels=(2,), code_size=2, **SMALL),
    pa.VAE(hidden_sizes=(8,), latent_size=2, n_draws=4, **SMALL),
]
if hasattr(pa, "AEPlus"):
    DETECTORS.append(pa.AEPlus(n_estimators=2, hidden_size=8, **SMALL))

# What every PyOD detector does differently from scikit-learn's outlier
# detectors; PyOD's IForest fails the same checks
# (test_pyods_own_iforest_fails_the_same_checks).
PYOD_CONVENTIONS = {
    "check_outliers_fit_predict": (
        "PyOD labels outliers 1 and inliers 0; scikit-learn's outlier detectors use -1 and 1"),
    "check_outliers_train": (
        "PyOD labels outliers 1 and inliers 0, and its decision_function is higher for more "
        "abnormal rows; scikit-learn's is negative for outliers"),
    "check_classifier_data_not_an_array": (
        "PyOD's BaseDetector._set_n_classes calls np.unique on y (which the detectors "
        "ignore), and this check's y is an array-like that refuses NumPy functions"),
}


@pytest.fixture(autouse=True, scope="module")
def one_cpu_thread():
    """The checks' data are tiny: a second thread only adds hand-offs, and waits when busy."""
    with torch_threads(1):
        yield


def _check_id(check):
    keywords = "".join(f"({k}={v})" for k, v in check.keywords.items())
    return f"{check.func.__name__}{keywords}"


def _cases():
    for detector in DETECTORS:
        for case in estimator_checks_generator(detector, expected_failed_checks=PYOD_CONVENTIONS,
                                               mark="xfail", xfail_strict=True):
            marks = ()
            if hasattr(case, "values"):  # an expected failure, wrapped in pytest.param
                marks, case = case.marks, case.values
            estimator, check = case
            yield pytest.param(estimator, check, marks=marks,
                               id=f"{type(estimator).__name__}-{_check_id(check)}")


@pytest.mark.parametrize("detector,check", list(_cases()))
def test_detector_passes_scikit_learns_estimator_check(detector, check):
    check(detector)


@pytest.mark.parametrize("check_name", sorted(PYOD_CONVENTIONS))
def test_pyods_own_iforest_fails_the_same_checks(check_name):
    from pyod.models.iforest import IForest

    forest = IForest(n_estimators=10, random_state=0)
    checks = [check for _, check in estimator_checks_generator(forest)
              if getattr(check, "func", None) is not None and check.func.__name__ == check_name]
    assert checks, f"scikit-learn no longer runs {check_name} on outlier detectors"
    for check in checks:
        with pytest.raises((AssertionError, TypeError)):
            check(forest)
