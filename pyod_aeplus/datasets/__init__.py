"""Real data sets with one convention: ``X`` float64, ``y`` with 1 = anomaly, 0 = normal.

Files are read from the cache folder (``$PYOD_AEPLUS_DATA``, else
``~/.cache/pyod_aeplus``) after a sha256 check, downloaded from their public
source when missing, and a few small ADBench sets ship inside the package so
that the quick benchmark and the tests run with no download at all.
"""

import gzip
import io
from importlib import resources

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._fetch import DatasetUnavailableError, data_home, fetch_file, is_cached
from ._registry import ADBENCH_NAMES, EMBEDDED, ODDS
from ._synthetic import ANOMALY_TYPES, make_synthetic_anomalies

__all__ = [
    "ANOMALY_TYPES",
    "DatasetUnavailableError",
    "data_home",
    "fetch_file",
    "generate_data",
    "list_datasets",
    "load_adbench",
    "load_creditcard",
    "load_dataset",
    "load_ecg5000",
    "load_mnist_one_class",
    "load_odds",
    "make_classification",
    "make_synthetic_anomalies",
]

SYNTHETIC = ("generate_data", "make_classification")
TUTORIAL = ("ecg5000", "mnist", "creditcard")


def _bunch(X, y, name, source):
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64).ravel()
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: {X.shape[0]} rows but {y.shape[0]} labels")
    return Bunch(X=X, y=y, name=name, source=source)


# ----------------------------------------------------------------- synthetic
def generate_data(n_train=2000, n_test=1000, n_features=20, contamination=0.05,
                  random_state=42, **kwargs):
    """PyOD's synthetic generator (training and test parts joined, train first).

    Returns a Bunch with ``X``, ``y`` and ``n_train`` (the first ``n_train``
    rows are PyOD's training part).
    """
    from pyod.utils.data import generate_data as pyod_generate_data

    X_train, X_test, y_train, y_test = pyod_generate_data(
        n_train=n_train, n_test=n_test, n_features=n_features, contamination=contamination,
        random_state=random_state, **kwargs)
    data = _bunch(np.vstack([X_train, X_test]), np.concatenate([y_train, y_test]),
                  "generate_data", "pyod.utils.data.generate_data")
    data.n_train = n_train
    return data


def make_classification(n_samples=100_000, random_state=0):
    """The Keras tutorial's imbalanced problem: 32 informative features,
    weights 0.995/0.005, ``class_sep=0.5``; the minority class is the anomaly."""
    from sklearn.datasets import make_classification as sk_make_classification

    X, y = sk_make_classification(
        n_samples=n_samples, n_features=32, n_informative=32, n_redundant=0, n_repeated=0,
        n_classes=2, n_clusters_per_class=1, weights=[0.995, 0.005], class_sep=0.5,
        random_state=random_state)
    return _bunch(X, y, "make_classification", "sklearn.datasets.make_classification")


# ------------------------------------------------------------------- ADBench
def _adbench_name(name):
    """Resolve ``'cardio'``, ``'6_cardio'``, ``6`` or ``'Cardio'`` to ``'6_cardio'``."""
    key = str(name).strip()
    for full in ADBENCH_NAMES:
        number, short = full.split("_", 1)
        if key.lower() in (full.lower(), short.lower(), number):
            return full
    raise ValueError(f"unknown ADBench data set {name!r}; known: {', '.join(ADBENCH_NAMES)}")


def _embedded_path(full):
    return resources.files(__name__).joinpath("_data", f"{full}.csv.gz")


def load_adbench(name):
    """One ADBench "Classical" set by name or number (``'cardio'``, ``'6_cardio'``, ``6``).

    Embedded sets are read from the package; the others from the cache or
    their public URL.
    """
    full = _adbench_name(name)
    if full in EMBEDDED:
        table = np.loadtxt(io.BytesIO(gzip.decompress(_embedded_path(full).read_bytes())),
                           delimiter=",", ndmin=2)
        return _bunch(table[:, :-1], table[:, -1], full, "embedded (ADBench)")
    with np.load(fetch_file(f"adbench/{full}.npz"), allow_pickle=False) as data:
        return _bunch(data["X"], data["y"], full, "ADBench")


def load_odds(name):
    """An ODDS ``.mat`` set (``'lympho'``, ``'musk'``, ...). MATLAB v7.3 files need h5py."""
    key = str(name).lower().removeprefix("odds:")
    if key not in ODDS:
        raise ValueError(f"unknown ODDS data set {name!r}; known: {', '.join(ODDS)}")
    path = fetch_file(f"odds/{key}.mat")
    try:
        from scipy.io import loadmat

        mat = loadmat(path)
        X, y = mat["X"], mat["y"]
    except NotImplementedError:  # MATLAB v7.3 is HDF5; scipy cannot read it
        try:
            import h5py
        except ImportError:
            raise ImportError(f"{path} is a MATLAB v7.3 file; install h5py to read it") from None
        with h5py.File(path, "r") as mat:
            X, y = np.asarray(mat["X"]).T, np.asarray(mat["y"]).T
    return _bunch(X, y, f"odds:{key}", "ODDS")


# ----------------------------------------------------------------- tutorials
def load_ecg5000():
    """The TensorFlow tutorial's ECG5000 copy: 4,998 beats × 140 values.

    The file labels normal beats 1; here ``y == 1`` marks the 2,079 abnormal ones.
    """
    table = np.loadtxt(fetch_file("ecg/ecg.csv"), delimiter=",")
    return _bunch(table[:, :-1], table[:, -1] == 0, "ecg5000", "TensorFlow ecg.csv")


def _read_idx(path):
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist_one_class(normal_digit=1, anomaly_digit=3, contamination=0.01, random_state=0):
    """MNIST (test set, 10,000 images) as a one-class problem.

    All images of ``normal_digit`` plus a random sample of ``anomaly_digit``
    images making ``contamination`` of the rows. ``X`` holds pixels / 255,
    flattened to 784 columns (reshape to ``(28, 28)`` for images).
    """
    images = _read_idx(fetch_file("mnist/t10k-images-idx3-ubyte.gz"))
    labels = _read_idx(fetch_file("mnist/t10k-labels-idx1-ubyte.gz"))
    if normal_digit == anomaly_digit:
        raise ValueError("normal_digit and anomaly_digit must differ")
    normal = np.flatnonzero(labels == normal_digit)
    candidates = np.flatnonzero(labels == anomaly_digit)
    n_anomalies = int(round(len(normal) * contamination / (1 - contamination)))
    rng = check_random_state(random_state)
    anomalies = rng.choice(candidates, size=min(n_anomalies, len(candidates)), replace=False)
    index = np.concatenate([normal, np.sort(anomalies)])
    X = images[index].reshape(len(index), -1) / 255.0
    y = np.r_[np.zeros(len(normal)), np.ones(len(anomalies))]
    return _bunch(X, y, "mnist", f"MNIST test set, digit {normal_digit} vs {anomaly_digit}")


CREDITCARD_COLUMNS = ["Time", *(f"V{i}" for i in range(1, 29)), "Amount", "Class"]


def load_creditcard(drop_time=True):
    """ULB credit-card fraud (284,807 × 30 when complete); ``y`` is the ``Class`` column.

    ``drop_time=True`` leaves out ``Time`` (29 features), as the book chapter does.
    """
    path = fetch_file("creditcard/creditcard.csv")
    with open(path, encoding="utf-8") as handle:
        header = [c.strip().strip('"') for c in handle.readline().split(",")]
    if header != CREDITCARD_COLUMNS:
        raise ValueError(f"{path} does not have the credit-card columns {CREDITCARD_COLUMNS}")
    table = np.loadtxt(path, delimiter=",", skiprows=1,
                       converters={30: lambda s: float(s.strip().strip('"'))}, ndmin=2)
    X = table[:, 1:30] if drop_time else table[:, :30]
    return _bunch(X, table[:, 30], "creditcard", "ULB credit-card fraud")


# --------------------------------------------------------------------- index
def load_dataset(name, **kwargs):
    """Load any data set by name: ``generate_data``, ``make_classification``,
    ``ecg5000``, ``mnist``, ``creditcard``, an ADBench set (``'wine'``,
    ``'45_wine'``) or an ODDS set (``'odds:lympho'``).

    ``'<name>@<type>'`` (``'45_wine@local'``) is that set with its anomalies
    replaced by synthetic ones of one of ADBench's types (local, global,
    dependency, cluster; see :func:`make_synthetic_anomalies`), generated
    with ``random_state=0`` so the name always means the same rows.
    """
    key = str(name)
    if "@" in key:
        base, anomaly_type = key.rsplit("@", 1)
        if anomaly_type not in ANOMALY_TYPES:
            raise ValueError(f"unknown anomaly type {anomaly_type!r} in {name!r}; "
                             f"known: {', '.join(ANOMALY_TYPES)}")
        data = load_dataset(base, **kwargs)
        made = make_synthetic_anomalies(data.X, data.y, anomaly_type, random_state=0)
        return _bunch(made.X, made.y, f"{data.name}@{anomaly_type}",
                      f"{data.source}, {anomaly_type} anomalies (ADBench)")
    loaders = {"generate_data": generate_data, "make_classification": make_classification,
               "ecg5000": load_ecg5000, "mnist": load_mnist_one_class,
               "creditcard": load_creditcard}
    if key in loaders:
        return loaders[key](**kwargs)
    if key.lower().startswith("odds:"):
        return load_odds(key)
    return load_adbench(key)


def list_datasets():
    """Every known data set with where it comes from and whether it is here now.

    Returns a list of dicts with ``name``, ``kind`` and ``available``
    ('embedded', 'cached', 'generated' or 'download').
    """
    rows = [{"name": n, "kind": "synthetic", "available": "generated"} for n in SYNTHETIC]
    tutorial_files = {"ecg5000": ["ecg/ecg.csv"],
                      "mnist": ["mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"],
                      "creditcard": ["creditcard/creditcard.csv"]}
    for name, files in tutorial_files.items():
        cached = all(is_cached(f) for f in files)
        rows.append({"name": name, "kind": "tutorial", "available": "cached" if cached else "download"})
    for full in ADBENCH_NAMES:
        where = ("embedded" if full in EMBEDDED
                 else "cached" if is_cached(f"adbench/{full}.npz") else "download")
        rows.append({"name": full, "kind": "adbench", "available": where})
    for key in ODDS:
        where = "cached" if is_cached(f"odds/{key}.mat") else "download"
        rows.append({"name": f"odds:{key}", "kind": "odds", "available": where})
    return rows


