"""The cache: find a file, verify its sha256, download it when missing."""

import glob
import hashlib
import os
import tempfile
import time
import warnings
from pathlib import Path

from ._registry import FILES, NOT_DOWNLOADABLE

#: A partial download not written to for this long belongs to a process that
#: was killed (a live one writes at least every read timeout) and is removed.
STALE_PARTIAL_SECONDS = 300


class DatasetUnavailableError(OSError):
    """A data file is neither cached nor downloadable (offline, say)."""


def data_home():
    """The cache folder: ``$PYOD_AEPLUS_DATA`` (``~`` expanded), else ``~/.cache/pyod_aeplus``."""
    configured = os.environ.get("PYOD_AEPLUS_DATA")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "pyod_aeplus"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_path(relpath):
    """Where the file ``relpath`` (a key of the registry) lives in the cache."""
    return data_home() / relpath


def is_cached(relpath):
    return cache_path(relpath).is_file()


def damaged_file_error(relpath, problem):
    """A ValueError saying that the cached ``relpath`` cannot be read, and how to get it again.

    ``problem`` says what is wrong (the reader's own error, say).
    """
    path = cache_path(relpath)
    url = FILES[relpath][0]
    if relpath in NOT_DOWNLOADABLE:
        again = f"replace it with the published file (it cannot be downloaded from {url})"
    else:
        again = f"delete it and load the set again to download it anew from {url}"
    return ValueError(
        f"{path} cannot be read ({problem}); the file is damaged or not the published one "
        f"(an interrupted download, or an error page saved in its place): {again}")


def fetch_file(relpath):
    """Path of the verified file ``relpath`` (a key of the registry) in the cache.

    A cached file is checked against its pinned sha256; a mismatch is an
    error and the file is not used. A missing file is downloaded; offline,
    the error names the file, its URL and the folder to put it in.
    """
    try:
        url, sha256 = FILES[relpath]
    except KeyError:
        raise ValueError(f"no data file {relpath!r} is known") from None
    path = cache_path(relpath)
    if path.is_file():
        if sha256 is not None:
            found = sha256_of(path)
            if found != sha256:
                raise ValueError(
                    f"checksum mismatch for {path}: expected sha256 {sha256}, got {found}; the "
                    f"file is damaged or not the published one. Delete it to download it again "
                    f"from {url}")
        return path
    if relpath in NOT_DOWNLOADABLE:
        raise DatasetUnavailableError(
            f"cannot get {path.name}: it is not in the cache and cannot be downloaded (at {url} "
            f"ADBench's repository holds a large-file pointer, not the data). Put the file at "
            f"{path} by hand (the cache folder is set by PYOD_AEPLUS_DATA)")
    return _download(url, sha256, path)


def _http_download(url, handle):
    """Write the bytes served at ``url`` into the open binary file ``handle``."""
    import pooch

    pooch.HTTPDownloader(progressbar=False)(url, handle, None)


def _remove_stale_partials(path):
    """Remove what downloads of ``path`` killed before they could clean up left behind."""
    pattern = glob.escape(str(path.parent / f".{path.name}.")) + "*.part"
    for partial in glob.glob(pattern):
        try:
            if time.time() - os.path.getmtime(partial) > STALE_PARTIAL_SECONDS:
                os.remove(partial)
        except OSError:  # removed meanwhile by another process
            pass


def _download(url, sha256, path):
    if sha256 is None:
        warnings.warn(f"{path.name}: no checksum is pinned for {url}; downloading unverified",
                      stacklevel=3)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(path)
    # In the cache folder, so that os.replace is a rename on one file system:
    # the file appears whole or not at all, and a failure leaves nothing.
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".part", delete=False)
    partial = Path(handle.name)
    try:
        with handle:
            try:
                _http_download(url, handle)
            except Exception as exc:  # no network, HTTP error, DNS failure, full disk, ...
                raise DatasetUnavailableError(
                    f"cannot get {path.name}: it is not in the cache and downloading {url} "
                    f"failed ({type(exc).__name__}: {exc}). Download it by hand and put it at "
                    f"{path} (the cache folder is set by PYOD_AEPLUS_DATA)") from exc
        if sha256 is not None:
            found = sha256_of(partial)
            if found != sha256:
                raise ValueError(f"downloaded {url} does not match its pinned sha256 (expected "
                                 f"{sha256}, got {found}); it was not kept")
        os.replace(partial, path)
    except BaseException:  # KeyboardInterrupt too: never leave a partial file behind
        partial.unlink(missing_ok=True)
        raise
    return path
