"""Bad input, faults and determinism, for every detector."""

import json
import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import pyod_aeplus as pa
import pyod_aeplus.base

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4))


# ------------------------------------------------------------- refused input
BAD_INPUTS = {
    "nan": (np.where(X > 1.5, np.nan, X), ValueError, "Input X contains NaN"),
    "inf": (np.where(X > 1.5, np.inf, X), ValueError, "Input X contains infinity"),
    "-inf": (np.where(X > 1.5, -np.inf, X), ValueError, "Input X contains infinity"),
    "strings": (np.array([["a", "b"], ["c", "d"]]), ValueError, "bytes/strings"),
    "objects": (np.array([[1.0, "x"], [2.0, 3.0]], dtype=object), ValueError,
                "could not convert string to float"),
    "complex": (X.astype(complex), ValueError, "Complex data not supported"),
    "zero rows": (np.zeros((0, 4)), ValueError, r"Found array with 0 sample\(s\)"),
    "zero columns": (np.zeros((10, 0)), ValueError, r"Found array with 0 feature\(s\)"),
    "one row at fit": (X[:1], ValueError, r"Found array with 1 sample\(s\).*minimum of 10"),
    "nine rows at fit": (X[:9], ValueError, r"Found array with 9 sample\(s\).*minimum of 10"),
    "3-D": (np.zeros((10, 2, 2)), ValueError, "dim 3"),
    "sparse": (sp.csr_matrix(X), TypeError, "Sparse data was passed"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_at_fit_is_refused(make_detector, case):
    data, error, message = BAD_INPUTS[case]
    det = make_detector()
    if case == "3-D" and isinstance(det, pa.ConvAE):
        message = "ConvAE got X of shape"
    with pytest.raises(error, match=message):
        det.fit(data)
    with pytest.raises(NotFittedError):
        check_is_fitted(det, "module_")


@pytest.mark.parametrize("case", ["nan", "inf", "strings", "complex", "zero rows", "3-D",
                                  "sparse"])
def test_bad_input_at_scoring_is_refused(make_detector, case):
    data, error, message = BAD_INPUTS[case]
    det = make_detector().fit(X)
    if case in ("strings", "3-D") and isinstance(det, pa.ConvAE):
        message = "ConvAE got X of shape" if case == "3-D" else message
    for call in (det.decision_function, det.predict, det.feature_scores):
        with pytest.raises(error, match=message):
            call(data[:, :4] if case in ("nan", "inf") else data)


# ------------------------------------------------------------ accepted input
def _checked_scores(det, data, score_data=None):
    det.fit(data)
    scores = det.decision_function(data if score_data is None else score_data)
    assert np.isfinite(det.decision_scores_).all() and np.isfinite(scores).all()
    return scores


GOOD_INPUTS = {
    "ten rows (the fewest fit takes)": X[:10],
    "fewer rows than batch_size": X[:12],
    "one column": X[:, :1],
    "constant column": np.c_[X, np.full(len(X), 3.0)],
    "huge values": X * 1e30,
    "tiny values": X * 1e-30,
    "extreme values": X * 1e300,
    "integers": (X * 10).astype(np.int64),
    "booleans": X > 0,
    "float16": X.astype(np.float16),
    "float32": X.astype(np.float32),
    "Fortran order": np.asfortranarray(X),
    "non-contiguous": np.asarray(RNG.normal(size=(40, 8)))[:, ::2],
    "list of lists": X.tolist(),
}


@pytest.mark.parametrize("case", sorted(GOOD_INPUTS))
def test_accepted_input_gives_finite_scores(make_detector, case):
    data = GOOD_INPUTS[case]
    scores = _checked_scores(make_detector(), data)
    assert scores.shape == (len(data),)


def test_lists_work_everywhere(make_detector):
    det = make_detector().fit(X.tolist())
    rows = X[:5].tolist()
    assert det.predict(rows).shape == (5,)
    assert det.predict_proba(rows).shape == (5, 2)
    assert det.predict_confidence(rows).shape == (5,)
    np.testing.assert_array_equal(det.decision_function(rows), det.decision_function(X[:5]))


def test_one_row_at_scoring(make_detector):
    det = make_detector().fit(X)
    assert det.decision_function(X[:1]).shape == (1,)
    assert det.predict(X[:1]).shape == (1,)
    np.testing.assert_allclose(det.decision_function(X[3:4]), det.decision_function(X)[3:4],
                               rtol=1e-6)


def test_identical_training_rows_get_one_finite_score(make_detector):
    det = make_detector().fit(np.ones((30, 3)))
    assert np.isfinite(det.decision_scores_).all()
    assert np.ptp(det.decision_scores_) == 0.0


def test_scaled_copies_score_alike(make_detector):
    """Standard scaling makes the score blind to the unit: 1e30·X scores as X."""
    base = make_detector().fit(X).decision_scores_
    huge = make_detector().fit(X * 1e30).decision_scores_
    np.testing.assert_allclose(huge, base, rtol=1e-4, atol=1e-7)


def test_memory_layout_does_not_change_scores(make_detector):
    det = make_detector().fit(X)
    np.testing.assert_array_equal(det.decision_function(np.asfortranarray(X)),
                                  det.decision_function(X))
    np.testing.assert_array_equal(make_detector().fit(np.asfortranarray(X)).decision_scores_,
                                  det.decision_scores_)


def test_read_only_input(make_detector):
    data = X.copy()
    data.setflags(write=False)
    _checked_scores(make_detector(), data)


def test_dataframe_column_names_are_kept_and_checked(make_detector):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    det = make_detector().fit(frame)
    np.testing.assert_array_equal(det.feature_names_in_, ["a", "b", "c", "d"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        np.testing.assert_array_equal(det.decision_function(frame), det.decision_function(X))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        det.decision_function(X)
    with pytest.raises(ValueError, match="feature names should match"):
        det.decision_function(frame.rename(columns={"a": "z"}))


def test_non_numeric_dataframe_columns_are_refused_by_name(make_detector):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    colours = pd.Categorical(np.where(X[:, 0] > 0, "red", "blue"))
    message = r"column\(s\) 'colour' are not numeric \(dtype category\)"
    with pytest.raises(ValueError, match=message):
        make_detector().fit(frame.assign(colour=colours))
    det = make_detector().fit(frame)
    named = frame.assign(b=frame["b"].astype(str).astype(object),
                         d=frame["d"].astype("string"))
    message = r"column\(s\) 'b', 'd' are not numeric \(dtype object, string\)"
    with pytest.raises(ValueError, match=message):
        det.decision_function(named)


def test_a_huge_value_in_one_row_is_clipped_not_refused(make_detector):
    """A value beyond float32 after scaling is clipped like any value beyond the scoring limit."""
    det = make_detector().fit(X)
    rows = X[:4].copy()
    rows[1, 0] = 1e300
    scores = det.decision_function(rows)
    assert np.isfinite(scores).all() and scores.argmax() == 1
    np.testing.assert_allclose(scores[[0, 2, 3]], det.decision_function(X[:4])[[0, 2, 3]],
                               rtol=1e-6)
    rows[1, 0] = 1e30  # also beyond the limit once scaled: the same clipped value
    assert det.decision_function(rows)[1] == scores[1]


# ------------------------------------------------------------------ params
BAD_PARAMS = [
    ({"contamination": 0.0}, ValueError, r"contamination must be a finite number in \(0.0, 0.5\]"),
    ({"contamination": 0.7}, ValueError, "contamination must be"),
    ({"contamination": "auto"}, TypeError, "contamination must be a float"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"compile": "yes"}, TypeError, "compile must be True or False"),
    ({"mixed_precision": 1}, TypeError, "mixed_precision must be True or False"),
    ({"lr": 0.0}, ValueError, "lr must be a finite number"),
    ({"lr": -1e-3}, ValueError, "lr must be a finite number"),
    ({"lr": float("nan")}, ValueError, "lr must be a finite number"),
    ({"patience": 0}, ValueError, "patience must be >= 1"),
    ({"weight_decay": -1.0}, ValueError, "weight_decay must be"),
    ({"validation_fraction": 1.0}, ValueError, "validation_fraction must be"),
    ({"gradient_clip": 0.0}, ValueError, "gradient_clip must be"),
    ({"loss": "huber"}, ValueError, "loss must be one of 'mse', 'mae'"),
    ({"preprocessing": "zscore"}, ValueError, "preprocessing must be one of"),
    ({"device": "tpu"}, ValueError, "device must be"),
    ({"early_stopping": "yes"}, TypeError, "early_stopping must be True or False"),
]


@pytest.mark.parametrize("params,error,message", BAD_PARAMS)
def test_bad_common_parameters_are_refused_by_name(make_detector, params, error, message):
    det = make_detector(**params)  # __init__ accepts anything: sklearn's convention
    with pytest.raises(error, match=message):
        det.fit(X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(make_detector):
    with pytest.raises(ValueError, match="device='cuda' was requested but no CUDA GPU"):
        make_detector(device="cuda").fit(X)


OWN_BAD_PARAMS = [
    (pa.DenseAE, {"code_size": 0}, "code_size must be >= 1"),
    (pa.DenseAE, {"activation": "swish2"}, "activation must be one of"),
    (pa.DeepAE, {"hidden_sizes": ()}, "hidden_sizes must hold at least one layer"),
    (pa.DeepAE, {"hidden_sizes": (8, 0)}, "every entry of hidden_sizes must be >= 1"),
    (pa.DeepAE, {"dropout": 1.0}, "dropout must be"),
    (pa.SparseAE, {"sparsity_weight": -0.1}, "sparsity_weight must be"),
    (pa.DenoisingAE, {"noise_level": -0.1}, "noise_level must be"),
    (pa.DenoisingAE, {"noise": "mask", "noise_level": 1.0}, "noise_level must be"),
    (pa.DenoisingAE, {"noise": "salt"}, "noise must be one of"),
    (pa.ConvAE, {"kernel_size": 4}, "kernel_size must be odd"),
    (pa.ConvAE, {"input_shape": (2, 3)}, r"input_shape \(2, 3\) holds 6 values, but X has 4"),
    (pa.VAE, {"beta": -1.0}, "beta must be"),
    (pa.VAE, {"score_type": "likelihood"}, "score_type must be one of"),
    (pa.VAE, {"n_draws": 0}, "n_draws must be >= 1"),
    (pa.VAE, {"latent_size": 0}, "latent_size must be >= 1"),
    (pa.VAE, {"trim_fraction": 0.5},
     r"trim_fraction must be a finite number in \[0.0, 0.5\), got 0.5"),
    (pa.VAE, {"trim_fraction": "half"},
     r"trim_fraction must be 'auto' or a number in \[0.0, 0.5\), got 'half'"),
    (pa.AEPlus, {"trim_fraction": "AUTO"},
     r"trim_fraction must be 'auto' or a number in \[0.0, 0.5\), got 'AUTO'"),
    (pa.VAE, {"decoder_variance": "column"},
     "decoder_variance must be one of 'bounded', 'feature', 'row'; got 'column'"),
]


@pytest.mark.parametrize("cls,params,message", OWN_BAD_PARAMS,
                         ids=[f"{c.__name__}-{next(iter(p))}" for c, p, _ in OWN_BAD_PARAMS])
def test_bad_detector_parameters_are_refused_by_name(cls, params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        cls(epochs=1, **params).fit(X)


# ------------------------------------------------------------------- faults
def test_diverging_training_is_a_clear_error(make_detector):
    det = make_detector(lr=1e12, epochs=20)
    with pytest.raises(FloatingPointError, match="(training loss became|non-finite scores)"):
        det.fit(X)
    with pytest.raises(NotFittedError):
        det.decision_function(X)


def test_new_rows_with_huge_values_get_finite_top_scores(make_detector):
    det = make_detector(random_state=0).fit(X)
    rows = np.repeat(X[:1], 3, axis=0)
    rows[1, 0], rows[2, 0] = 1e20, 1e30  # squared errors would overflow float32
    scores = det.decision_function(rows)
    assert np.isfinite(scores).all() and scores[1] > scores[0] and scores[2] >= scores[1]
    assert det.predict(rows)[1:].all()
    assert np.isfinite(det.predict_proba(rows)).all()


@pytest.mark.parametrize("preprocessing", ["robust", None])
def test_training_rows_score_the_same_in_fit_and_in_decision_function(make_detector,
                                                                      preprocessing):
    """Extreme training values go through the same clamping at fit as at scoring."""
    rows = X.copy()
    rows[5, 0] = 1e30 if preprocessing == "robust" else 1e18
    det = make_detector(random_state=0, preprocessing=preprocessing).fit(rows)
    np.testing.assert_allclose(det.decision_scores_, det.decision_function(rows), rtol=1e-6)
    assert det.decision_scores_.argmax() == 5
    if isinstance(det, pa.AEPlus):
        # Its scores grow with the log of an extreme value, so one outlier does
        # not squash every other row's (min-max) probability to nothing.
        assert np.median(det.predict_proba(rows)[:, 1]) > 1e-3


def test_unscaled_huge_values_fail_clearly():
    with pytest.raises(ValueError, match=r"most values of X are beyond ±1e\+15, where they are "
                                         r"capped; scale the input"):
        pa.DenseAE(preprocessing=None, epochs=2).fit(X * 1e30)
    # The same data scaled trains.
    pa.DenseAE(epochs=2).fit(X * 1e30)


def test_interrupted_fit_leaves_the_detector_as_it_was(make_detector, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    fresh = make_detector()
    monkeypatch.setattr(pyod_aeplus.base, "train_module", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X)
    assert set(vars(fresh)) == set(fresh.get_params())  # unfitted, nothing half-set
    monkeypatch.undo()

    fitted = make_detector().fit(X)
    before = fitted.decision_function(X)
    monkeypatch.setattr(pyod_aeplus.base, "train_module", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fitted.fit(RNG.normal(size=(30, 4)) + 5)
    np.testing.assert_array_equal(fitted.decision_function(X), before)


# ----------------------------------------------------- determinism, persistence
SCRIPT = """
import hashlib, json, numpy as np, torch
torch.set_num_threads({threads})
import pyod_aeplus as pa
X = np.random.default_rng(0).normal(size=(40, 4))
out = {{}}
for name in {names!r}:
    det = getattr(pa, name)(epochs=4, random_state=0).fit(X)
    out[name] = hashlib.sha256(det.decision_function(X).tobytes()).hexdigest()
print(json.dumps(out))
"""


@pytest.mark.slow  # fits every detector again in a new interpreter
def test_bit_identical_across_processes():
    import hashlib

    names = ["DenseAE", "DeepAE", "SparseAE", "DenoisingAE", "ConvAE", "VAE"]
    if hasattr(pa, "AEPlus"):
        names.append("AEPlus")
    code = SCRIPT.format(threads=torch.get_num_threads(), names=names)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    other_process = json.loads(result.stdout.strip().splitlines()[-1])
    for name in names:
        det = getattr(pa, name)(epochs=4, random_state=0).fit(X)
        here = hashlib.sha256(det.decision_function(X).tobytes()).hexdigest()
        assert here == other_process[name], name


def test_clone_fits_identically(make_detector):
    from sklearn.base import clone

    det = make_detector().fit(X)
    np.testing.assert_array_equal(clone(det).fit(X).decision_scores_, det.decision_scores_)


def test_concurrent_fits_equal_the_serial_fit():
    """Dropout, weights and shuffles come from the fit's own generators, in any thread."""
    def fit(_=None):
        return pa.DeepAE(dropout=0.2, epochs=4, random_state=0).fit(X).decision_scores_

    serial = fit()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fit, range(8)))
    for result in results:
        np.testing.assert_array_equal(result, serial)


def test_a_fit_leaves_another_threads_global_draws_alone():
    """A thread drawing from torch's global generator during a fit gets the draws it would alone."""
    import threading

    start = torch.get_rng_state()
    fitting, drawn = threading.Event(), []

    def draw_until_the_fit_ends():
        fitting.wait()
        while fitting.is_set():
            drawn.append(torch.rand(1).item())

    thread = threading.Thread(target=draw_until_the_fit_ends)
    thread.start()
    try:
        fitting.set()
        pa.DeepAE(dropout=0.2, epochs=4, random_state=0).fit(X)
    finally:
        fitting.clear()
        thread.join()
    after = torch.get_rng_state()
    torch.set_rng_state(start)
    alone = [torch.rand(1).item() for _ in drawn]
    assert torch.equal(torch.get_rng_state(), after)
    assert drawn and drawn == alone


MMAP_SCRIPT = """
import sys, joblib, numpy as np
import pyod_aeplus as pa
X = np.random.default_rng(0).normal(size=(40, 4))
for name in {names!r}:
    det = getattr(pa, name)(epochs=2, random_state=0).fit(X)
    path = sys.argv[1] + "/" + name + ".joblib"
    joblib.dump(det, path)
    loaded = joblib.load(path, mmap_mode="r")
    assert np.array_equal(loaded.decision_function(X), det.decision_function(X)), name
    print(name, "ok", flush=True)
"""


@pytest.mark.slow  # runs in a new interpreter
def test_joblib_memory_mapped_round_trip(tmp_path):
    """Loading with mmap_mode='r' maps the fitted arrays read-only; the network must not use them.

    Run in another process: a network that shared memory with a read-only
    map crashed the interpreter when its state was loaded.
    """
    names = ["ConvAE", "VAE"] + (["AEPlus"] if hasattr(pa, "AEPlus") else [])
    result = subprocess.run([sys.executable, "-c", MMAP_SCRIPT.format(names=names), str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [word for name in names for word in (name, "ok")]


def test_fitted_arrays_do_not_share_memory_with_the_network(make_detector):
    det = make_detector().fit(X)
    scores = det.decision_function(X)
    before = {k: v.clone() for k, v in det.module_.state_dict().items()}
    fitted = {name: value for name, value in vars(det).items()
              if name.endswith("_") and isinstance(value, np.ndarray) and value.flags.writeable}
    assert fitted
    for value in fitted.values():
        value[...] = 7 if value.dtype != bool else True
    for key, tensor in det.module_.state_dict().items():
        assert torch.equal(tensor, before[key]), key
    if isinstance(det, getattr(pa, "AEPlus", ())):
        # The feature masks live in the network: writing the fitted copy changes no score.
        fresh = make_detector().fit(X)
        fresh.feature_masks_[...] = 0.0
        np.testing.assert_array_equal(fresh.decision_function(X), scores)


def test_concurrent_scoring_equals_serial(make_detector):
    det = make_detector().fit(X)
    data = RNG.normal(size=(500, 4))
    serial = det.decision_function(data)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(det.decision_function, [data] * 8))
    for result in results:
        np.testing.assert_array_equal(result, serial)


# ---------------------------------------------------------------- property
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int32, np.bool_])


@st.composite
def matrices(draw):
    rows = draw(st.integers(0, 12))
    cols = draw(st.integers(0, 5))
    dtype = draw(DTYPES)
    elements = None
    if dtype in (np.float64, np.float32):
        elements = st.floats(allow_nan=True, allow_infinity=True, width=32)
    return draw(arrays(dtype, (rows, cols), elements=elements))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=matrices(), name=st.sampled_from(["DenseAE", "DeepAE", "VAE", "ConvAE"]))
def test_any_input_is_refused_clearly_or_scored_finitely(data, name):
    det = getattr(pa, name)(epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            det.fit(data)
        except (ValueError, TypeError) as exc:
            assert str(exc)
            return
        scores = det.decision_function(data)
    assert scores.shape == (data.shape[0],)
    assert np.isfinite(scores).all() and np.isfinite(det.decision_scores_).all()
