"""The cache: find a file, verify its sha256, download it when missing."""

import hashlib
import os
import warnings
from pathlib import Path

from ._registry import FILES


class DatasetUnavailableError(OSError):
    """A data file is neither cached nor downloadable (offline, say)."""


def data_home():
    """The cache folder: ``$PYOD_AEPLUS_DATA``, else ``~/.cache/pyod_aeplus``."""
    return Path(os.environ.get("PYOD_AEPLUS_DATA") or Path.home() / ".cache" / "pyod_aeplus")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_cached(relpath):
    return (data_home() / relpath).is_file()


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
    path = data_home() / relpath
    if path.is_file():
        if sha256 is not None and sha256_of(path) != sha256:
            raise ValueError(
                f"checksum mismatch for {path}: expected sha256 {sha256}, got "
                f"{sha256_of(path)}; the file is damaged or not the published one. Delete it "
                f"to download it again from {url}"
            )
        return path
    return _download(url, sha256, path)


def _download(url, sha256, path):
    import pooch

    if sha256 is None:
        warnings.warn(f"{path.name}: no checksum is pinned for {url}; downloading unverified",
                      stacklevel=3)
    try:
        fetched = pooch.retrieve(url, known_hash=None if sha256 is None else f"sha256:{sha256}",
                                 fname=path.name, path=path.parent, progressbar=False)
    except ValueError as exc:  # pooch's hash mismatch: the download is discarded
        raise ValueError(f"downloaded {url} does not match its pinned sha256: {exc}") from exc
    except Exception as exc:  # no network, HTTP error, DNS failure, ...
        raise DatasetUnavailableError(
            f"cannot get {path.name}: it is not in the cache and downloading {url} failed "
            f"({type(exc).__name__}: {exc}). Download it by hand and put it at {path} "
            f"(the cache folder is set by PYOD_AEPLUS_DATA)"
        ) from exc
    return Path(fetched)
