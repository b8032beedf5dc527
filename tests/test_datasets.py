"""Loaders: embedded data, the cache, checksums, the offline error, each tutorial set."""

import os
from pathlib import Path

import numpy as np
import pytest

from pyod_aeplus import datasets
from pyod_aeplus.datasets import DatasetUnavailableError, load_dataset
from pyod_aeplus.datasets._registry import ADBENCH_SHA256, EMBEDDED

SHARED = os.environ.get("PYOD_AEPLUS_DATA")


def need(relpath):
    if not SHARED or not (Path(SHARED) / relpath).is_file():
        pytest.skip(f"{relpath} is not in PYOD_AEPLUS_DATA")


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PYOD_AEPLUS_DATA", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", EMBEDDED)
def test_embedded_sets_load_without_any_cache(name, empty_cache):
    data = datasets.load_adbench(name)
    assert data.X.dtype == np.float64 and data.X.ndim == 2
    assert set(np.unique(data.y)) == {0, 1}
    assert data.source.startswith("embedded")


def test_embedded_equals_the_published_file():
    need("adbench/45_wine.npz")
    with np.load(Path(SHARED) / "adbench/45_wine.npz") as source:
        embedded = datasets.load_adbench("wine")
        np.testing.assert_array_equal(embedded.X, source["X"])
        np.testing.assert_array_equal(embedded.y, source["y"])


def test_embedded_data_stays_small():
    folder = Path(datasets.__file__).parent / "_data"
    assert sum(p.stat().st_size for p in folder.glob("*.csv.gz")) <= 300_000


@pytest.mark.parametrize("alias", ["wine", "45_wine", "45", "WINE"])
def test_adbench_names_resolve(alias, empty_cache):
    assert datasets.load_adbench(alias).name == "45_wine"


def test_unknown_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown ADBench data set 'nope'"):
        load_dataset("nope")
    with pytest.raises(ValueError, match="unknown ODDS data set"):
        datasets.load_odds("odds:nope")


@pytest.mark.parametrize("name", sorted(ADBENCH_SHA256))
def test_development_sets_from_the_cache(name):
    need(f"adbench/{name}.npz")
    data = datasets.load_adbench(name)
    assert len(data.X) == len(data.y) and data.y.sum() > 0


@pytest.mark.parametrize("name", ["lympho", "musk", "vertebral"])
def test_odds_sets(name):
    need(f"odds/{name}.mat")
    data = datasets.load_odds(name)
    assert data.X.shape[0] == data.y.shape[0] and set(np.unique(data.y)) == {0, 1}


def test_offline_error_names_file_url_and_folder(empty_cache, monkeypatch):
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DatasetUnavailableError) as info:
        datasets.load_adbench("1_ALOI")
    message = str(info.value)
    assert "1_ALOI.npz" in message
    assert "https://github.com/Minqi824/ADBench/raw/" in message
    assert str(empty_cache / "adbench" / "1_ALOI.npz") in message
    assert "PYOD_AEPLUS_DATA" in message


def test_checksum_mismatch_refuses_the_file(empty_cache, monkeypatch):
    import pooch

    bad = empty_cache / "adbench" / "1_ALOI.npz"
    bad.parent.mkdir(parents=True)
    np.savez(bad, X=np.zeros((3, 2)), y=np.zeros(3))
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("must not download"))
    with pytest.raises(ValueError, match="checksum mismatch for .*1_ALOI.npz"):
        datasets.load_adbench("1_ALOI")


def test_list_datasets_reports_availability(empty_cache):
    rows = {r["name"]: r for r in datasets.list_datasets()}
    assert rows["45_wine"]["available"] == "embedded"
    assert rows["1_ALOI"]["available"] == "download"
    assert rows["generate_data"]["available"] == "generated"
    assert {"ecg5000", "mnist", "creditcard", "odds:lympho", "make_classification"} <= set(rows)
    assert sum(r["kind"] == "adbench" for r in rows.values()) == 47


def test_list_datasets_sees_the_cache():
    need("adbench/1_ALOI.npz")
    rows = {r["name"]: r for r in datasets.list_datasets()}
    assert rows["1_ALOI"]["available"] == "cached"


def test_ecg5000_inverts_the_tutorial_label():
    need("ecg/ecg.csv")
    data = datasets.load_ecg5000()
    assert data.X.shape == (4998, 140)
    assert data.y.sum() == 2079  # the file's label 0 (abnormal) is our anomaly


def test_mnist_one_class():
    need("mnist/t10k-images-idx3-ubyte.gz")
    data = datasets.load_mnist_one_class()
    assert data.X.shape[1] == 784 and data.X.max() <= 1.0
    assert (data.y == 0).sum() == 1135
    assert abs(data.y.mean() - 0.01) < 0.002
    other = datasets.load_mnist_one_class(normal_digit=0, anomaly_digit=7, contamination=0.05)
    assert (other.y == 0).sum() == 980 and abs(other.y.mean() - 0.05) < 0.002


def test_creditcard_on_a_file_of_the_same_schema(empty_cache):
    from conftest import write_creditcard_csv

    path = write_creditcard_csv(empty_cache / "creditcard" / "creditcard.csv", n_rows=50)
    data = datasets.load_creditcard()
    assert data.X.shape == (50, 29) and data.y.sum() == 5
    assert datasets.load_creditcard(drop_time=False).X.shape == (50, 30)
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="does not have the credit-card columns"):
        datasets.load_creditcard()


def test_synthetic_sets():
    data = datasets.generate_data()
    assert data.X.shape == (3000, 20) and data.n_train == 2000
    keras = datasets.make_classification(n_samples=20_000)
    assert keras.X.shape == (20_000, 32) and 0.003 < keras.y.mean() < 0.02


# ------------------------------------------------------- synthetic anomalies
def _two_clusters(n=600, seed=0):
    """Two tight Gaussian clusters in 4-D, columns 0 and 1 perfectly correlated; 60 'anomalies'."""
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 2.0, 0.0, 1.0], [4.0, 4.0, 1.0, 0.0]])
    X = centres[rng.integers(2, size=n)] + rng.normal(0, 0.1, size=(n, 4))
    X[:, 1] = X[:, 0]
    y = np.zeros(n, dtype=int)
    y[:60] = 1
    return X, y


@pytest.mark.parametrize("kind", datasets.ANOMALY_TYPES)
def test_synthetic_anomalies_keep_the_counts_and_the_input(kind):
    X, y = _two_clusters()
    before = X.copy()
    made = datasets.make_synthetic_anomalies(X, y, kind, random_state=0)
    assert made.X.shape == X.shape and made.y.sum() == 60
    assert (made.y[:540] == 0).all() and (made.y[540:] == 1).all()
    assert np.array_equal(X, before)  # the caller's rows are not touched
    again = datasets.make_synthetic_anomalies(X, y, kind, random_state=0)
    assert np.array_equal(made.X, again.X)
    other = datasets.make_synthetic_anomalies(X, y, kind, random_state=1)
    assert not np.array_equal(made.X[540:], other.X[540:])


def test_each_kind_of_synthetic_anomaly_is_what_it_says():
    X, y = _two_clusters()
    normal = X[y == 0]
    low, span = normal.min(axis=0), np.ptp(normal, axis=0)

    local = datasets.make_synthetic_anomalies(X, y, "local", random_state=0)
    # Normal rows are mixture samples: the two clusters with their own spread.
    assert not np.isin(local.X[:540], normal).any()
    nearest = np.abs(local.X[:, :1] - np.array([[2.0, 4.0]])).min(axis=1)
    # Covariances × 5: about √5 times the normal rows' distance from their centre.
    ratio = nearest[540:].std() / nearest[:540].std()
    assert 1.8 < ratio < 2.8

    cluster = datasets.make_synthetic_anomalies(X, y, "cluster", random_state=0)
    unit = (cluster.X[540:, 0] - low[0]) / span[0]
    # Means × 5 in the [0, 1] scaling, spread unchanged (0.1 / span: about 0.04).
    moved = 5 * (np.array([2.0, 4.0]) - low[0]) / span[0]
    distance = np.abs(unit[:, None] - moved[None, :])
    assert distance.min(axis=1).max() < 0.3
    assert set(distance.argmin(axis=1)) == {0, 1}

    uniform = datasets.make_synthetic_anomalies(X, y, "global", random_state=0)
    unit = (uniform.X[540:] - low) / span
    assert unit.min() >= -0.1 and unit.max() <= 1.1
    assert (unit < 0).any() and (unit > 1).any()
    # Uniform on [-0.1, 1.1] (240 values): mean 0.5, sd 1.2 / √12 = 0.35.
    assert 0.45 < unit.mean() < 0.55 and 0.32 < unit.std() < 0.38

    dependency = datasets.make_synthetic_anomalies(X, y, "dependency", random_state=0)
    assert np.array_equal(dependency.X[:540], normal)  # the real normal rows
    for column in range(4):
        assert np.isin(dependency.X[540:, column], normal[:, column]).all()
    # Columns 0 and 1 are equal in every normal row, drawn independently in the anomalies.
    assert np.corrcoef(dependency.X[540:, 0], dependency.X[540:, 1])[0, 1] < 0.5
    assert (dependency.X[540:, 0] != dependency.X[540:, 1]).mean() > 0.9


def test_synthetic_anomalies_by_name(empty_cache):
    data = load_dataset("45_wine@local")
    real = load_dataset("45_wine")
    assert data.name == "45_wine@local" and "local anomalies" in data.source
    assert data.X.shape == real.X.shape and data.y.sum() == real.y.sum()
    assert np.array_equal(data.X, load_dataset("wine@local").X)
    assert load_dataset("wine@local").name == "45_wine@local"
    with pytest.raises(ValueError, match="unknown anomaly type 'odd' in 'wine@odd'"):
        load_dataset("wine@odd")
    with pytest.raises(ValueError, match="anomaly_type must be one of"):
        datasets.make_synthetic_anomalies(real.X, real.y, "odd")
    with pytest.raises(ValueError, match="at least 2 normal rows"):
        datasets.make_synthetic_anomalies(real.X[:3], np.array([0, 1, 1]), "local")
    with pytest.raises(ValueError, match="one label per row"):
        datasets.make_synthetic_anomalies(real.X, real.y[:-1], "local")
    holed = real.X.copy()
    holed[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        datasets.make_synthetic_anomalies(holed, real.y, "local")
