"""Loaders: embedded data, the cache, checksums, the offline error, each tutorial set."""

import hashlib
import io
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from pyod_aeplus import datasets
from pyod_aeplus.datasets import DatasetUnavailableError, _fetch, load_dataset
from pyod_aeplus.datasets._registry import (
    ADBENCH_COMMIT,
    ADBENCH_DEV,
    ADBENCH_NAMES,
    ADBENCH_POINTERS,
    ADBENCH_SHA256,
    EMBEDDED,
    EMBEDDING_DEV,
    EMBEDDING_NAMES,
    EMBEDDING_SHA256,
    FILES,
)

SHARED = os.environ.get("PYOD_AEPLUS_DATA")
#: An embedding set with no pinned checksum: a file of any bytes can stand in for it.
UNPINNED = "ResNet18_CIFAR10_1"


def need(relpath):
    if not SHARED or not (Path(SHARED) / relpath).is_file():
        pytest.skip(f"{relpath} is not in PYOD_AEPLUS_DATA")


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PYOD_AEPLUS_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture
def offline(monkeypatch):
    """No download may happen: each attempt fails as with no network."""
    def no_network(url, handle):
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(_fetch, "_http_download", no_network)


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def put(cache, relpath, content):
    path = cache / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def files_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


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
    with pytest.raises(ValueError, match="unknown data set 'nope'; known: generate_data, "):
        load_dataset("nope")
    with pytest.raises(ValueError, match="unknown ADBench data set 'nope'"):
        datasets.load_adbench("nope")
    with pytest.raises(ValueError, match="unknown ODDS data set"):
        datasets.load_odds("odds:nope")
    with pytest.raises(ValueError, match="unknown ODDS data set 'odds:nope'"):
        load_dataset("odds:nope")


def test_names_are_case_insensitive_and_mean_one_set_each(empty_cache):
    for name in ("mnist", "Mnist", "MNIST", " mnist "):
        assert datasets._resolve(name) == ("tutorial", "mnist")
    # ADBench's MNIST set goes by its full name or number.
    assert datasets._resolve("24_MNIST") == datasets._resolve("24") == ("adbench", "24_mnist")
    assert datasets._resolve("resnet18_mvtec-ad_BOTTLE") == ("embedding",
                                                             "ResNet18_MVTec-AD_bottle")
    assert datasets._resolve("ODDS:Lympho") == ("odds", "odds:lympho")
    assert load_dataset("Wine").name == load_dataset("WINE").name == "45_wine"
    assert load_dataset("Generate_Data").name == "generate_data"


def test_mnist_by_any_case_is_the_tutorial_set():
    need("mnist/t10k-images-idx3-ubyte.gz")
    upper = load_dataset("Mnist")
    assert upper.name == "mnist" and upper.X.shape[1] == 784
    np.testing.assert_array_equal(upper.X, load_dataset("mnist").X)


def test_return_X_y_gives_the_arrays_of_the_bunch(empty_cache):
    data = load_dataset("wine")
    assert set(data) == {"X", "y", "name", "source"}
    X, y = load_dataset("wine", return_X_y=True)
    np.testing.assert_array_equal(X, data.X)
    np.testing.assert_array_equal(y, data.y)
    X, y = load_dataset("wine@dependency", return_X_y=True)
    np.testing.assert_array_equal(X, load_dataset("wine@dependency").X)
    X, y = load_dataset("make_classification", return_X_y=True, n_samples=500)
    assert X.shape == (500, 32) and y.shape == (500,)


@pytest.mark.parametrize("name, keywords, message", [
    ("wine", {"normal_digit": 3}, "load_dataset\\('wine'\\) got an unexpected keyword argument "
                                  "'normal_digit': 45_wine takes no keyword arguments"),
    ("wine@local", {"normal_digit": 3}, "unexpected keyword argument 'normal_digit'"),
    ("odds:lympho", {"drop_time": True}, "unexpected keyword argument 'drop_time'"),
    ("ResNet18_MVTec-AD_bottle", {"seed": 0}, "unexpected keyword argument 'seed'"),
    ("mnist", {"digit": 3}, "unexpected keyword argument 'digit': mnist takes normal_digit, "
                            "anomaly_digit, contamination, random_state"),
    ("creditcard", {"drop_time": False, "x": 1}, "unexpected keyword argument 'x'"),
])
def test_a_keyword_the_loader_does_not_take_is_refused(name, keywords, message, offline):
    with pytest.raises(TypeError, match=message):
        load_dataset(name, **keywords)


@pytest.mark.parametrize("name", ADBENCH_DEV)
def test_development_sets_from_the_cache(name):
    need(f"adbench/{name}.npz")
    data = datasets.load_adbench(name)
    assert len(data.X) == len(data.y) and data.y.sum() > 0


@pytest.mark.parametrize("name", ["lympho", "musk", "vertebral"])
def test_odds_sets_load_with_labels_0_and_1(name):
    need(f"odds/{name}.mat")
    data = datasets.load_odds(name)
    assert data.X.shape[0] == data.y.shape[0] and set(np.unique(data.y)) == {0, 1}


def test_offline_error_names_file_url_and_folder(empty_cache, offline):
    with pytest.raises(DatasetUnavailableError) as info:
        datasets.load_adbench("1_ALOI")
    message = str(info.value)
    assert "1_ALOI.npz" in message
    assert "https://github.com/Minqi824/ADBench/raw/" in message
    assert str(empty_cache / "adbench" / "1_ALOI.npz") in message
    assert "PYOD_AEPLUS_DATA" in message
    assert files_in(empty_cache) == []  # the failed download left nothing behind


def test_checksum_mismatch_refuses_the_file(empty_cache, monkeypatch):
    bad = empty_cache / "adbench" / "1_ALOI.npz"
    bad.parent.mkdir(parents=True)
    np.savez(bad, X=np.zeros((3, 2)), y=np.zeros(3))
    monkeypatch.setattr(_fetch, "_http_download", lambda *a: pytest.fail("must not download"))
    with pytest.raises(ValueError, match="checksum mismatch for .*1_ALOI.npz"):
        datasets.load_adbench("1_ALOI")


def test_a_tilde_in_the_data_folder_is_expanded_everywhere(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PYOD_AEPLUS_DATA", "~/data")
    assert datasets.data_home() == tmp_path / "data"
    put(tmp_path / "data", "adbench/3_backdoor.npz", npz_bytes(X=np.eye(4), y=[0, 0, 0, 1]))
    assert _fetch.is_cached("adbench/3_backdoor.npz")
    assert datasets._availability("3_backdoor") == "cached"
    assert load_dataset("3_backdoor").y.tolist() == [0, 0, 0, 1]


def test_every_classical_file_stored_in_full_is_pinned():
    assert len(ADBENCH_SHA256) == 43 and set(ADBENCH_SHA256).isdisjoint(ADBENCH_POINTERS)
    assert set(ADBENCH_SHA256) | set(ADBENCH_POINTERS) == set(ADBENCH_NAMES)
    assert set(ADBENCH_DEV) <= set(ADBENCH_SHA256) and len(ADBENCH_DEV) == 21
    for name in ADBENCH_NAMES:
        url, sha256 = FILES[f"adbench/{name}.npz"]
        assert url.endswith(f"/{ADBENCH_COMMIT}/adbench/datasets/Classical/{name}.npz")
        assert sha256 == ADBENCH_SHA256.get(name)
        assert sha256 is None or re.fullmatch("[0-9a-f]{64}", sha256)


@pytest.mark.parametrize("name", sorted(ADBENCH_SHA256))
def test_classical_pins_match_the_files(name):
    need(f"adbench/{name}.npz")
    digest = hashlib.sha256((Path(SHARED) / "adbench" / f"{name}.npz").read_bytes()).hexdigest()
    assert digest == ADBENCH_SHA256[name]


@pytest.mark.parametrize("name", ADBENCH_POINTERS)
def test_a_set_stored_upstream_as_a_pointer_is_not_downloaded(name, empty_cache, monkeypatch):
    monkeypatch.setattr(_fetch, "_http_download", lambda *a: pytest.fail("must not download"))
    with pytest.raises(DatasetUnavailableError, match=f"cannot get {name}.npz: it is not in the "
                       "cache and cannot be downloaded .*large-file pointer"):
        load_dataset(name)
    assert {r["name"]: r["available"] for r in datasets.list_datasets()}[name] == "manual"


@pytest.mark.parametrize("content", [
    b"",
    npz_bytes(X=np.eye(40), y=np.zeros(40))[:300],
    b"<!DOCTYPE html><html><body>429 Too Many Requests</body></html>",
    npz_bytes(features=np.eye(3), y=np.zeros(3)),
], ids=["empty", "truncated", "html page", "no X"])
def test_a_damaged_unpinned_file_is_a_clear_error_naming_it(content, empty_cache, offline):
    path = put(empty_cache, f"embeddings/{UNPINNED}.npz", content)
    with pytest.raises(ValueError) as info:
        load_dataset(UNPINNED)
    message = str(info.value)
    assert message.startswith(f"{path} cannot be read (")
    assert "delete it and load the set again to download it anew from https://" in message
    # A file that no URL serves cannot be fetched again: the error says so.
    put(empty_cache, "adbench/9_census.npz", content)
    with pytest.raises(ValueError, match="9_census.npz cannot be read .*replace it with the "
                                         "published file \\(it cannot be downloaded"):
        load_dataset("9_census")


def test_a_damaged_creditcard_file_is_a_clear_error_naming_it(empty_cache, offline):
    from conftest import write_creditcard_csv

    path = write_creditcard_csv(empty_cache / "creditcard" / "creditcard.csv", n_rows=20)
    path.write_bytes(path.read_bytes()[:-40])  # the last row cut short
    with pytest.raises(ValueError, match=f"{re.escape(str(path))} cannot be read .*delete it"):
        datasets.load_creditcard()
    path.write_text("<html>error</html>\n")
    with pytest.raises(ValueError, match="cannot be read .*does not have the credit-card "):
        datasets.load_creditcard()


def test_labels_other_than_0_and_1_are_refused(empty_cache, offline):
    put(empty_cache, f"embeddings/{UNPINNED}.npz", npz_bytes(X=np.eye(4), y=[0, 1, 2, 0]))
    with pytest.raises(ValueError, match=f"{UNPINNED}: labels must be 0 \\(normal\\) or 1 "
                                         "\\(anomaly\\); found 2$"):
        load_dataset(UNPINNED)
    put(empty_cache, f"embeddings/{UNPINNED}.npz", npz_bytes(X=np.eye(3), y=[0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match="labels must be .*; found 0.5$"):
        load_dataset(UNPINNED)
    from conftest import write_creditcard_csv

    path = write_creditcard_csv(empty_cache / "creditcard" / "creditcard.csv", n_rows=20)
    path.write_text(path.read_text().replace('"1"\n', '"-1"\n'))
    with pytest.raises(ValueError, match="creditcard: labels must be .*; found -1.0$"):
        datasets.load_creditcard()


def test_a_download_is_whole_or_absent(empty_cache, monkeypatch):
    content = npz_bytes(X=np.eye(5), y=[0, 0, 0, 0, 1])

    def interrupted(url, handle):
        handle.write(content[:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(_fetch, "_http_download", interrupted)
    with pytest.warns(UserWarning, match="no checksum is pinned"), \
            pytest.raises(KeyboardInterrupt):
        load_dataset(UNPINNED)
    assert files_in(empty_cache) == []

    # A partial file left by a killed download goes at the next download of that
    # file; one still being written (another process's) stays.
    folder = empty_cache / "embeddings"
    killed = put(folder, f".{UNPINNED}.npz.abc123.part", b"half")
    old = time.time() - 2 * _fetch.STALE_PARTIAL_SECONDS
    os.utime(killed, (old, old))
    live = put(folder, f".{UNPINNED}.npz.def456.part", b"half")
    monkeypatch.setattr(_fetch, "_http_download", lambda url, handle: handle.write(content))
    with pytest.warns(UserWarning, match="no checksum is pinned"):
        data = load_dataset(UNPINNED)
    assert data.y.tolist() == [0, 0, 0, 0, 1]
    assert files_in(empty_cache) == [f"embeddings/{live.name}", f"embeddings/{UNPINNED}.npz"]


def test_a_download_that_does_not_match_its_pin_is_not_kept(empty_cache, monkeypatch):
    monkeypatch.setattr(_fetch, "_http_download", lambda url, handle: handle.write(b"other"))
    with pytest.raises(ValueError, match="downloaded https://.*/1_ALOI.npz does not match its "
                                         "pinned sha256 .*it was not kept"):
        load_dataset("1_ALOI")
    assert files_in(empty_cache) == []


# ---------------------------------------------------------- embedding sets
def test_embedding_sets_are_registered_with_their_urls_and_pins():
    assert len(EMBEDDING_NAMES) == len(set(EMBEDDING_NAMES)) == 61 + 13
    assert sum(n.startswith("ResNet18_MVTec-AD_") for n in EMBEDDING_NAMES) == 15
    assert sum(n.startswith("ResNet18_MNIST-C_") for n in EMBEDDING_NAMES) == 16
    assert set(EMBEDDING_DEV) == set(EMBEDDING_SHA256) and len(EMBEDDING_DEV) == 19
    assert set(EMBEDDING_DEV) <= set(EMBEDDING_NAMES)
    base = f"https://github.com/Minqi824/ADBench/raw/{ADBENCH_COMMIT}/adbench/datasets/"
    assert FILES["embeddings/ResNet18_MVTec-AD_bottle.npz"] == (
        base + "CV_by_ResNet18/MVTec-AD_bottle.npz", EMBEDDING_SHA256["ResNet18_MVTec-AD_bottle"])
    assert FILES["embeddings/BERT_20news_3.npz"][0] == base + "NLP_by_BERT/20news_3.npz"
    assert FILES[f"embeddings/{UNPINNED}.npz"][1] is None
    assert all(re.fullmatch("[0-9a-f]{64}", s) for s in EMBEDDING_SHA256.values())
    rows = [r for r in datasets.list_datasets() if r["kind"] == "embedding"]
    assert [r["name"] for r in rows] == EMBEDDING_NAMES


@pytest.mark.parametrize("name", EMBEDDING_DEV)
def test_development_embedding_sets_load(name):
    need(f"embeddings/{name}.npz")
    data = load_dataset(name)  # verified against its pinned sha256 on the way
    assert data.name == name and data.source.startswith("ADBench, ")
    assert data.X.dtype == np.float64
    assert data.X.shape[1] == (768 if name.startswith("BERT_") else 512)
    assert set(np.unique(data.y)) == {0, 1} and len(data.X) == len(data.y)
    assert load_dataset(name.lower()).name == name


def test_an_unpinned_embedding_set_downloads_with_a_warning(empty_cache, monkeypatch):
    content = npz_bytes(X=np.eye(5, dtype=np.float32), y=[0, 0, 0, 0, 1])
    seen = []

    def serve(url, handle):
        seen.append(url)
        handle.write(content)

    monkeypatch.setattr(_fetch, "_http_download", serve)
    with pytest.warns(UserWarning, match=f"{UNPINNED}.npz: no checksum is pinned"):
        data = load_dataset(UNPINNED)
    assert seen == [FILES[f"embeddings/{UNPINNED}.npz"][0]]
    assert data.X.shape == (5, 5) and data.source == "ADBench, ResNet18 embeddings"


def test_list_datasets_reports_availability(empty_cache):
    rows = {r["name"]: r for r in datasets.list_datasets()}
    assert rows["45_wine"]["available"] == "embedded"
    assert rows["1_ALOI"]["available"] == "download"
    assert rows["3_backdoor"]["available"] == "manual"
    assert rows["ResNet18_MVTec-AD_bottle"]["available"] == "download"
    assert rows["generate_data"]["available"] == "generated"
    assert {"ecg5000", "mnist", "creditcard", "odds:lympho", "make_classification"} <= set(rows)
    assert sum(r["kind"] == "adbench" for r in rows.values()) == 47
    assert sum(r["kind"] == "embedding" for r in rows.values()) == 74


def test_list_datasets_sees_the_cache():
    need("adbench/1_ALOI.npz")
    need("embeddings/ResNet18_MVTec-AD_bottle.npz")
    rows = {r["name"]: r for r in datasets.list_datasets()}
    assert rows["1_ALOI"]["available"] == "cached"
    assert rows["ResNet18_MVTec-AD_bottle"]["available"] == "cached"


def test_ecg5000_inverts_the_tutorial_label():
    need("ecg/ecg.csv")
    data = datasets.load_ecg5000()
    assert data.X.shape == (4998, 140)
    assert data.y.sum() == 2079  # the file's label 0 (abnormal) is our anomaly


def test_mnist_one_class_keeps_the_digits_and_contamination_asked():
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


def test_synthetic_generators_give_the_tutorials_shapes():
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
