"""The grid runner: detectors × data sets × seeds, one CSV row per run.

Runs sequentially, in parallel through joblib, or on a Dask distributed
cluster. Every finished run is appended to the CSV at once, so an
interrupted grid resumes where it stopped; a run that fails becomes a row
with its error instead of stopping the grid. A row cut short by a kill or a
full disk is dropped (with a warning) when the grid resumes, and its run
runs again.
"""

import csv
import functools
import hashlib
import io
import json
import math
import os
import re
import signal
import threading
import time
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .registry import get_factory

#: The split protocols: ``unsupervised`` trains on rows that keep their anomalies,
#: ``novelty`` on the normal training rows only (see :func:`split`).
PROTOCOLS = ("unsupervised", "novelty")
KEY = ("detector", "dataset", "seed", "protocol")
COLUMNS = [*KEY, "n_train", "n_test", "n_features", "train_contamination", "roc_auc",
           "average_precision", "precision_at_n", "f1", "fit_seconds", "score_seconds",
           "peak_memory_mb", "error", "settings"]
NUMERIC = ("n_train", "n_test", "n_features", "train_contamination", "roc_auc",
           "average_precision", "precision_at_n", "f1", "fit_seconds", "score_seconds",
           "peak_memory_mb")
#: The CSV's line ending (the csv module's own); a row is whole once it is written.
LINE_END = "\r\n"
_SETTINGS = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class Task:
    """One run: a detector (name and factory) on one data set, seed and protocol.

    ``seed`` seeds both the data split and the detector, unless ``split_seed``
    holds the split fixed: the seeds then vary the detector alone, and the
    spread of its scores over seeds is its own, without the split's.
    """

    detector: str
    factory: object
    dataset: str
    seed: int
    protocol: str
    contamination: float = 0.1
    max_train: int = 5000
    max_test: int = 5000
    time_limit: float = None
    threads: int = None
    split_seed: int = None

    @property
    def key(self):
        return (self.detector, self.dataset, str(self.seed), self.protocol)

    @property
    def data_seed(self):
        """The seed of the data split: ``split_seed`` when it is set, else ``seed``."""
        return self.seed if self.split_seed is None else self.split_seed

    @functools.cached_property
    def settings(self):
        """Fingerprint of what else decides the result: the package version, the
        contamination, the split sizes and seed, and the detector's parameters.

        A row of an existing CSV is reused only when its fingerprint matches, so
        a grid re-run with another ``--contamination`` or a changed default runs
        again instead of reporting the old numbers.
        """
        from .. import __version__

        try:
            detector = self.factory(self.seed, self.contamination)
        except Exception:  # the run itself will fail and record why
            detector = None
        params = detector.get_params(deep=False) if hasattr(detector, "get_params") else {}
        described = {
            "version": __version__, "contamination": self.contamination,
            "max_train": self.max_train, "max_test": self.max_test,
            "detector": type(detector).__qualname__,
            "params": {name: _stable_repr(value) for name, value in params.items()},
        }
        if self.split_seed is not None:
            # Only when set, so rows recorded before this option stay reusable.
            described["split_seed"] = self.split_seed
        text = json.dumps(described, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


def _stable_repr(value):
    """``repr`` without memory addresses (``<KARCH object at 0x...>`` differs every run)."""
    text = repr(value)
    return type(value).__qualname__ if " at 0x" in text else text


# --------------------------------------------------------------------- data
@functools.lru_cache(maxsize=8)
def _load(name):
    from ..datasets import load_dataset

    data = load_dataset(name)
    return data.X, data.y


def _cap(X, y, limit, seed):
    """A stratified subsample of at most ``limit`` rows."""
    if len(y) <= limit:
        return X, y
    from sklearn.model_selection import train_test_split

    stratify = y if np.bincount(y).min() >= 2 else None
    X, _, y, _ = train_test_split(X, y, train_size=limit, stratify=stratify, random_state=seed)
    return X, y


def split(X, y, protocol, seed, max_train=5000, max_test=5000, test_size=0.3):
    """The reference protocol's split: ``(X_train, X_test, y_train, y_test)``.

    Stratified 70/30 split, each part capped by a stratified subsample,
    features standardised with the training part's statistics (NaN → 0).
    ``unsupervised`` keeps the training anomalies (labels unused);
    ``novelty`` trains on the training part's normal rows only.
    """
    from sklearn.model_selection import train_test_split

    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed)
    X_train, y_train = _cap(X_train, y_train, max_train, seed)
    X_test, y_test = _cap(X_test, y_test, max_test, seed)
    if protocol == "novelty":
        X_train, y_train = X_train[y_train == 0], y_train[y_train == 0]
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    X_train = np.nan_to_num((X_train - mean) / std)
    X_test = np.nan_to_num((X_test - mean) / std)
    return X_train, X_test, y_train, y_test


# ------------------------------------------------------------------ metrics
class PeakMemory:
    """Peak resident memory above the start, sampled by a thread (and CUDA's peak)."""

    def __init__(self, interval=0.01):
        self.interval = interval
        self.peak_mb = float("nan")

    def __enter__(self):
        try:
            import psutil
        except ImportError:
            self._process = None
            return self
        self._process = psutil.Process()
        self._start = self._peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        return self

    def _sample(self):
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __exit__(self, *exc):
        if self._process is None:
            return False
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.peak_mb = (self._peak - self._start) / 2 ** 20
        import torch

        if torch.cuda.is_available():
            self.peak_mb += torch.cuda.max_memory_allocated() / 2 ** 20
        return False


class RunTimeout(Exception):
    """A run passed its time limit."""


@contextmanager
def time_limit(seconds):
    """Raise :class:`RunTimeout` after ``seconds`` (SIGALRM; main thread on Unix only).

    Where no alarm can be set (a Dask worker thread, Windows) the limit is
    not enforced: the run goes on to its end.

    The caller's own SIGALRM handler and pending timer (``signal.alarm`` or
    ``setitimer(ITIMER_REAL)``) are put back afterwards, the timer with the
    time it had left; one that fell due during the run goes off as soon as
    the run ends.
    """
    usable = (seconds is not None and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise RunTimeout(f"run passed its time limit of {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    # setitimer returns the timer it replaces: (seconds left, interval).
    pending, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        # None: a handler set outside Python, which cannot be put back.
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        if pending > 0:
            left = pending - (time.monotonic() - start)
            # A timer of 0 would cancel it: one already due goes off at once instead.
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), interval)


def run_task(task):
    """Run one task and return its CSV row (a dict); errors become the row's ``error``."""
    if task.threads:
        import torch

        # The caller's setting is put back: a run must not change its process.
        threads_before = torch.get_num_threads()
        torch.set_num_threads(task.threads)
        try:
            return _run_task(task)
        finally:
            torch.set_num_threads(threads_before)
    return _run_task(task)


def _run_task(task):
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
    from pyod.utils.utility import precision_n_scores

    row = dict(zip(KEY, task.key))
    row.update({c: "" for c in COLUMNS if c not in row})
    row["settings"] = task.settings
    try:
        X, y = _load(task.dataset)
        X_train, X_test, y_train, y_test = split(X, y, task.protocol, task.data_seed,
                                                 task.max_train, task.max_test)
        row.update(n_train=len(X_train), n_test=len(X_test), n_features=X.shape[1],
                   train_contamination=round(float(y_train.mean()), 6))
        detector = task.factory(task.seed, task.contamination)
        with time_limit(task.time_limit), PeakMemory() as memory:
            start = time.perf_counter()
            detector.fit(X_train)
            row["fit_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            scores = np.asarray(detector.decision_function(X_test), dtype=np.float64)
            row["score_seconds"] = time.perf_counter() - start
            labels = detector.predict(X_test)
        if not np.isfinite(scores).all():
            raise FloatingPointError("the detector returned non-finite scores")
        row.update(
            roc_auc=roc_auc_score(y_test, scores),
            average_precision=average_precision_score(y_test, scores),
            precision_at_n=precision_n_scores(y_test, scores),
            f1=f1_score(y_test, labels, zero_division=0),
            peak_memory_mb=memory.peak_mb,
        )
    except Exception as exc:  # one failed run is a row, never a crash of the grid
        last = traceback.extract_tb(exc.__traceback__)[-1]
        row["error"] = f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
    return row


# -------------------------------------------------------------------- grid
def _row_problem(fields):
    """Why ``fields`` (one CSV record) is not a whole row of ``COLUMNS``; None when it is."""
    if len(fields) != len(COLUMNS):
        return f"{len(fields)} fields instead of {len(COLUMNS)}"
    row = dict(zip(COLUMNS, fields))
    try:
        int(row["seed"])
        for column in NUMERIC:
            if row[column] != "":
                float(row[column])
    except ValueError as error:
        return str(error)
    if not _SETTINGS.fullmatch(row["settings"]):
        return f"settings {row['settings']!r} is not a 12-digit fingerprint"
    return None


def _records(text):
    """``(start, end, fields)`` of every CSV record of ``text``, offsets in characters;
    ``fields`` is None for a last record cut inside a quoted field."""
    lines = io.StringIO(text, newline="")  # lines split as the csv module's files are
    offset = 0

    def feed():
        nonlocal offset
        for line in lines:
            offset += len(line)
            yield line

    reader = csv.reader(feed())
    records = []
    while True:
        start = offset
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a quote left open at the end
            records.append((start, len(text), None))
            break
        records.append((start, offset, fields))
    return records


def _repair(path):
    """Make ``path`` a CSV of whole rows: drop rows cut short (a kill, a full disk), each
    with a warning; end it with a line ending. Never merges or drops a whole row."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb") as handle:
        raw = handle.read()
    # surrogateescape: bytes that are not UTF-8 (a character cut in two) survive unchanged.
    text = raw.decode("utf-8", errors="surrogateescape")
    header = ",".join(COLUMNS)
    if "\n" not in text and header.startswith(text.rstrip("\r")):
        # Killed while writing the header: the file has no row yet.
        warnings.warn(f"{path}: its header was cut short; starting it again", stacklevel=3)
        path.write_bytes(b"")
        return
    records = _records(text)
    if not records or records[0][2] != COLUMNS:
        # Appending rows of other columns would corrupt the file.
        found = records[0][2] if records else None
        raise ValueError(
            f"{path} has other columns than this version writes ({found} against {COLUMNS}); "
            f"write to a new file (--output) or delete it")
    kept, dropped = [text[:records[0][1]]], []
    for number, (start, end, fields) in enumerate(records[1:], start=2):
        whole = text[start:end]
        problem = "cut short" if fields is None else _row_problem(fields)
        if problem is None:
            if not whole.endswith(("\n", "\r")):  # whole but for its line ending
                whole += LINE_END
            kept.append(whole)
        elif fields == []:  # a blank line
            continue
        else:
            dropped.append(f"record {number} ({problem}): {whole.strip()[:200]!r}")
    repaired = "".join(kept)
    if not repaired.endswith("\n"):
        repaired += LINE_END[-1] if repaired.endswith("\r") else LINE_END
    repaired = repaired.encode("utf-8", errors="surrogateescape")
    if repaired == raw:
        return
    for line in dropped:
        warnings.warn(f"{path}: dropping a row that is not whole, {line}; its run runs again",
                      stacklevel=3)
    # A new file moved into place: a kill now leaves the old file or the new one.
    partial = path.with_name(path.name + ".repair")
    partial.write_bytes(repaired)
    os.replace(partial, path)


def _read_done(path):
    """Keys and settings of the runs already in ``path``, once it holds whole rows only."""
    _repair(path)
    if not path.is_file() or path.stat().st_size == 0:
        return set()
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
        return {(*(r[k] for k in KEY), r["settings"]) for r in csv.DictReader(handle)}


def _append(path, row):
    """Append ``row`` (and the header to a new file) in one write, then sync.

    A write that fails (a full disk) is taken back, so the next row never
    lands on a half-written one.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator=LINE_END)
    with open(path, "ab") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            writer.writeheader()
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
        try:
            handle.write(buffer.getvalue().encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            handle.truncate(size)
            raise


def make_tasks(detectors, datasets, seeds, protocol="unsupervised", **options):
    """Tasks for every detector × data set × seed (detectors by registered name).

    ``options`` are the other fields of :class:`Task` (``contamination``,
    ``max_train``, ``max_test``, ``time_limit``, ``threads``, ``split_seed``).
    """
    # Once per name: a name with parameters is parsed and checked when resolved.
    factories = {name: get_factory(name) for name in detectors}
    return [Task(name, factories[name], dataset, int(seed), protocol, **options)
            for dataset in datasets for seed in seeds for name in detectors]


def run_grid(tasks, csv_path, n_jobs=1, scheduler=None, progress=True):
    """Run ``tasks``, skipping those already in ``csv_path``; return every row of the CSV.

    Parameters
    ----------
    tasks : list of Task
    csv_path : path
        Rows are appended as runs finish; a run whose row is already there
        with the same settings (see ``Task.settings``) is skipped.
    n_jobs : int
        Parallel runs through joblib (1: in this process).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``'tcp://host:8786'``) or a client: the
        grid runs on that cluster instead of joblib.
    """
    from tqdm.auto import tqdm

    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    done = _read_done(csv_path)
    todo = [t for t in tasks if (*t.key, t.settings) not in done]
    bar = tqdm(total=len(todo), desc="benchmark", disable=not progress or not todo)
    for row in _execute(todo, n_jobs, scheduler):
        _append(csv_path, row)
        bar.update()
        bar.set_postfix_str(f"{row['detector']} on {row['dataset']}")
    bar.close()
    return read_rows(csv_path)


def _execute(tasks, n_jobs, scheduler):
    if not tasks:
        return
    if scheduler is not None:
        yield from _execute_dask(tasks, scheduler)
    elif n_jobs == 1:
        for task in tasks:
            yield run_task(task)
    else:
        from joblib import Parallel, delayed

        workers = n_jobs if n_jobs > 0 else os.cpu_count()
        threads = max(1, (os.cpu_count() or 1) // workers)
        tasks = [t if t.threads else _with_threads(t, threads) for t in tasks]
        yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(run_task)(t) for t in tasks)


def _with_threads(task, threads):
    from dataclasses import replace

    copy = replace(task, threads=threads)
    # The copy keeps the fingerprint computed here (threads are not part of it):
    # a worker computing its own, from code changed on disk since the grid
    # started, would write a row this grid does not recognise as the task's.
    copy.__dict__["settings"] = task.settings
    return copy


def _execute_dask(tasks, scheduler):
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        # pure=False: identical-looking tasks must all run, not be deduplicated.
        futures = client.map(run_task, tasks, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        if own:
            client.close()


def read_rows(csv_path):
    """The rows of a benchmark CSV as dicts with numbers parsed.

    A row that is not whole (a run killed while writing it) is left out
    with a warning; :func:`run_grid` drops it from the file and runs it again.
    """
    rows = []
    with open(csv_path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        for fields in reader:
            problem = _row_problem(fields) if header == COLUMNS else None
            if problem is not None:
                if fields:
                    warnings.warn(f"{csv_path}: leaving out a row that is not whole "
                                  f"({problem}): {','.join(fields)[:200]!r}", stacklevel=2)
                continue
            row = dict(zip(header, fields))
            for key in set(NUMERIC) & row.keys():
                row[key] = float(row[key]) if row[key] not in ("", None) else math.nan
            row["seed"] = int(row["seed"])
            rows.append(row)
    return rows
