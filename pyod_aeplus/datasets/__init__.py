"""Real data sets with one convention: ``X`` float64, ``y`` with 1 = anomaly, 0 = normal.

Every loader returns a :class:`sklearn.utils.Bunch` with ``X``, ``y``,
``name`` (the set's full name) and ``source`` (where the data come from);
``load_dataset(name, return_X_y=True)`` returns ``(X, y)`` instead.

Files are read from the cache folder (``$PYOD_AEPLUS_DATA``, else
``~/.cache/pyod_aeplus``) after a sha256 check, downloaded from their public
source when missing, and a few small ADBench sets ship inside the package so
that the quick benchmark and the tests run with no download at all.
"""

import functools
import gzip
import inspect
import io
import zipfile
import zlib
from importlib import resources

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._fetch import DatasetUnavailableError, damaged_file_error, data_home, fetch_file, is_cached
from ._registry import ADBENCH_NAMES, EMBEDDED, EMBEDDING_NAMES, NOT_DOWNLOADABLE, ODDS
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
    y = np.asarray(y).ravel()
    if X.ndim != 2:
        raise ValueError(f"{name}: X must be a 2-D table, got shape {X.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: {X.shape[0]} rows but {y.shape[0]} labels")
    try:
        binary = np.isin(y, (0, 1))
    except TypeError:  # labels that are not numbers at all
        binary = np.zeros(y.shape, dtype=bool)
    if not binary.all():
        found = ", ".join(map(repr, np.unique(y[~binary].astype(object))[:5].tolist()))
        raise ValueError(f"{name}: labels must be 0 (normal) or 1 (anomaly); found {found}")
    return Bunch(X=X, y=y.astype(np.int64), name=name, source=source)


def _read_npz(relpath):
    """``X`` and ``y`` of the cached ADBench-style ``.npz`` file ``relpath``; a file
    that cannot be read is a clear error naming it."""
    path = fetch_file(relpath)
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in ("X", "y") if key not in data.files]
            if missing:
                raise KeyError(f"no array {' or '.join(missing)} in it")
            return data["X"], data["y"]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        # A zero-byte or truncated file, an HTML page, an .npz of other arrays.
        problem = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise damaged_file_error(relpath, f"{type(exc).__name__}: {problem}") from exc


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
    """Resolve ``'cardio'``, ``'6_cardio'``, ``6`` or ``'Cardio'`` to ``'6_cardio'``, and
    ``'resnet18_mvtec-ad_bottle'`` to ``'ResNet18_MVTec-AD_bottle'`` (any case)."""
    key = str(name).strip().lower()
    for full in ADBENCH_NAMES:
        number, short = full.split("_", 1)
        if key in (full.lower(), short.lower(), number):
            return full
    for full in EMBEDDING_NAMES:
        if key == full.lower():
            return full
    raise ValueError(f"unknown ADBench data set {name!r}; known: the Classical sets "
                     f"{', '.join(ADBENCH_NAMES)} and the embedding sets "
                     f"{', '.join(EMBEDDING_NAMES)}")


def _embedded_path(full):
    return resources.files(__name__).joinpath("_data", f"{full}.csv.gz")


def load_adbench(name):
    """One ADBench set by name: a "Classical" set by name or number (``'cardio'``,
    ``'6_cardio'``, ``6``), or a deep-feature set, ``'ResNet18_<set>'`` (images
    embedded by a pretrained ResNet-18: ``'ResNet18_MVTec-AD_bottle'``,
    ``'ResNet18_CIFAR10_0'``, ...) or ``'BERT_<set>'`` (texts embedded by BERT:
    ``'BERT_20news_3'``, ``'BERT_imdb'``, ...). Names are case-insensitive.

    Embedded sets are read from the package; the others from the cache
    (``embeddings/<name>.npz`` for the deep-feature sets) or their public URL.

    Returns
    -------
    Bunch
        ``X`` (float64), ``y`` (1 = anomaly, 0 = normal), ``name`` (the full
        name, ``'6_cardio'``) and ``source``.
    """
    full = _adbench_name(name)
    if full in EMBEDDED:
        table = np.loadtxt(io.BytesIO(gzip.decompress(_embedded_path(full).read_bytes())),
                           delimiter=",", ndmin=2)
        return _bunch(table[:, :-1], table[:, -1], full, "embedded (ADBench)")
    if full in EMBEDDING_NAMES:
        encoder = full.split("_", 1)[0]
        X, y = _read_npz(f"embeddings/{full}.npz")
        return _bunch(X, y, full, f"ADBench, {encoder} embeddings")
    X, y = _read_npz(f"adbench/{full}.npz")
    return _bunch(X, y, full, "ADBench")


def _odds_key(name):
    key = str(name).strip().lower().removeprefix("odds:")
    if key not in ODDS:
        raise ValueError(f"unknown ODDS data set {name!r}; known: {', '.join(ODDS)}")
    return key


def load_odds(name):
    """An ODDS ``.mat`` set (``'lympho'``, ``'musk'``, ...). MATLAB v7.3 files need h5py.

    Returns a Bunch with ``X``, ``y``, ``name`` (``'odds:lympho'``) and ``source``.
    """
    key = _odds_key(name)
    relpath = f"odds/{key}.mat"
    path = fetch_file(relpath)
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
    except (ValueError, KeyError, TypeError) as exc:
        raise damaged_file_error(relpath, f"{type(exc).__name__}: {exc}") from exc
    return _bunch(X, y, f"odds:{key}", "ODDS")


# ----------------------------------------------------------------- tutorials
def load_ecg5000():
    """The TensorFlow tutorial's ECG5000 copy: 4,998 beats × 140 values.

    The file labels normal beats 1; here ``y == 1`` marks the 2,079 abnormal ones.
    Returns a Bunch with ``X``, ``y``, ``name`` and ``source``.
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
    Returns a Bunch with ``X``, ``y``, ``name`` and ``source``.
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
    Returns a Bunch with ``X``, ``y``, ``name`` and ``source``.
    """
    relpath = "creditcard/creditcard.csv"
    path = fetch_file(relpath)
    try:
        with open(path, encoding="utf-8") as handle:
            header = [c.strip().strip('"') for c in handle.readline().split(",")]
        if header != CREDITCARD_COLUMNS:
            raise ValueError(f"it does not have the credit-card columns {CREDITCARD_COLUMNS}")
        table = np.loadtxt(path, delimiter=",", skiprows=1,
                           converters={30: lambda s: float(s.strip().strip('"'))}, ndmin=2)
    except (ValueError, UnicodeDecodeError) as exc:  # an HTML page, a truncated last row, ...
        raise damaged_file_error(relpath, str(exc)) from exc
    X = table[:, 1:30] if drop_time else table[:, :30]
    return _bunch(X, table[:, 30], "creditcard", "ULB credit-card fraud")


# --------------------------------------------------------------------- index
_LOADERS = {"generate_data": generate_data, "make_classification": make_classification,
            "ecg5000": load_ecg5000, "mnist": load_mnist_one_class,
            "creditcard": load_creditcard}
_TUTORIAL_FILES = {
    "ecg5000": ["ecg/ecg.csv"],
    "mnist": ["mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"],
    "creditcard": ["creditcard/creditcard.csv"],
}


def _resolve(name):
    """``(kind, full name)`` of a data set name, whatever its case.

    One name, one set: ``'mnist'`` (any case) is the MNIST tutorial set, so
    ADBench's ``24_mnist`` goes by its full name or number here.
    """
    if not isinstance(name, (str, int)) or isinstance(name, bool):
        raise TypeError(f"a data set name must be a string (or an ADBench number), got "
                        f"{type(name).__name__}")
    key = str(name).strip().lower()
    if key in SYNTHETIC:
        return "synthetic", key
    if key in TUTORIAL:
        return "tutorial", key
    if key.startswith("odds:"):
        return "odds", f"odds:{_odds_key(key)}"
    try:
        full = _adbench_name(key)
    except ValueError:
        raise ValueError(
            f"unknown data set {name!r}; known: {', '.join(SYNTHETIC + TUTORIAL)}, an ADBench "
            f"set ('cardio', '6_cardio', 'ResNet18_MVTec-AD_bottle', 'BERT_20news_3'), an ODDS "
            f"set ('odds:lympho'), any of them as 'NAME@KIND' with synthetic anomalies; "
            f"list_datasets() lists them all") from None
    return ("embedding" if full in EMBEDDING_NAMES else "adbench"), full


def _loader(kind, full):
    """The function that loads the set ``full`` and the keyword arguments it takes
    (None: any, passed on to a function that checks them)."""
    if kind in ("synthetic", "tutorial"):
        loader = _LOADERS[full]
        parameters = inspect.signature(loader).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            return loader, None
        return loader, [p.name for p in parameters]
    # The ADBench and ODDS loaders take the set's name only.
    return functools.partial(load_odds if kind == "odds" else load_adbench, full), []


def load_dataset(name, *, return_X_y=False, **kwargs):
    """Load any data set by name: ``generate_data``, ``make_classification``,
    ``ecg5000``, ``mnist``, ``creditcard``, an ADBench set (``'wine'``,
    ``'45_wine'``, ``'ResNet18_MVTec-AD_bottle'``, ``'BERT_20news_3'``) or an
    ODDS set (``'odds:lympho'``). Names are case-insensitive and each means
    one set: ``'mnist'`` is the MNIST tutorial set (ADBench's is ``'24_mnist'``).

    ``'<name>@<type>'`` (``'45_wine@local'``) is that set with its anomalies
    replaced by synthetic ones of one of ADBench's types (local, global,
    dependency, cluster; see :func:`make_synthetic_anomalies`), generated
    with ``random_state=0`` so the name always means the same rows.

    Parameters
    ----------
    name : str
        The data set.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch, as scikit-learn's loaders do.
    **kwargs
        Passed to the set's loader (``load_dataset("mnist", normal_digit=0)``);
        a keyword it does not take is a TypeError.

    Returns
    -------
    Bunch or tuple
        By default a :class:`sklearn.utils.Bunch` with ``X`` (float64, one row
        per sample), ``y`` (int64, 1 = anomaly, 0 = normal), ``name`` (the
        set's full name, ``'45_wine'``) and ``source`` (where the data come
        from); ``(X, y)`` with ``return_X_y=True``.
    """
    key = str(name)
    if "@" in key:
        base, anomaly_type = key.rsplit("@", 1)
        if anomaly_type not in ANOMALY_TYPES:
            raise ValueError(f"unknown anomaly type {anomaly_type!r} in {name!r}; "
                             f"known: {', '.join(ANOMALY_TYPES)}")
        data = load_dataset(base, **kwargs)
        made = make_synthetic_anomalies(data.X, data.y, anomaly_type, random_state=0)
        data = _bunch(made.X, made.y, f"{data.name}@{anomaly_type}",
                      f"{data.source}, {anomaly_type} anomalies (ADBench)")
    else:
        kind, full = _resolve(name)
        loader, accepted = _loader(kind, full)
        unknown = [] if accepted is None else [k for k in kwargs if k not in accepted]
        if unknown:  # refused: it would be ignored without a word
            takes = f"takes {', '.join(accepted)}" if accepted else "takes no keyword arguments"
            raise TypeError(f"load_dataset({name!r}) got an unexpected keyword argument "
                            f"{', '.join(map(repr, unknown))}: {full} {takes}")
        data = loader(**kwargs)
    return (data.X, data.y) if return_X_y else data


def _files_of(kind, full):
    """Cache paths the set ``full`` is read from (none for generated and embedded sets)."""
    if kind == "tutorial":
        return _TUTORIAL_FILES[full]
    if kind == "odds":
        return [f"odds/{full.removeprefix('odds:')}.mat"]
    if kind == "embedding":
        return [f"embeddings/{full}.npz"]
    if kind == "adbench" and full not in EMBEDDED:
        return [f"adbench/{full}.npz"]
    return []


def _availability(name):
    """Where the set ``name`` (``'NAME@KIND'`` too) would be read from now:
    'generated', 'embedded', 'cached', 'download' or 'manual' (neither cached
    nor downloadable: the file has to be put into the cache by hand)."""
    kind, full = _resolve(str(name).rsplit("@", 1)[0])
    if kind == "synthetic":
        return "generated"
    files = _files_of(kind, full)
    if not files:
        return "embedded"
    if all(is_cached(f) for f in files):
        return "cached"
    if any(f in NOT_DOWNLOADABLE and not is_cached(f) for f in files):
        return "manual"
    return "download"


def list_datasets():
    """Every known data set with where it comes from and whether it is here now.

    Returns a list of dicts with ``name``, ``kind`` ('synthetic', 'tutorial',
    'adbench', 'embedding' or 'odds') and ``available`` ('generated',
    'embedded', 'cached', 'download', or 'manual' for a file that cannot be
    downloaded and has to be put into the cache by hand).
    """
    names = [*SYNTHETIC, *TUTORIAL, *ADBENCH_NAMES, *EMBEDDING_NAMES,
             *(f"odds:{key}" for key in ODDS)]
    rows = []
    for name in names:
        kind, full = _resolve(name)
        rows.append({"name": full, "kind": kind, "available": _availability(full)})
    return rows
