"""Save and load fitted detectors without pickle.

File format (version 2)
-----------------------
A model file is one ``torch.save`` archive holding a dict of plain values:

``format``
    ``"pyod_aeplus"``.
``format_version``
    ``2``. Version-1 files (no checksum) are refused with a message; refit
    the detector, or load the file with the release that wrote it.
``library_version``
    The pyod_aeplus version that wrote the file.
``class``
    The detector's module-qualified class name, such as
    ``"pyod_aeplus.models.dense.DenseAE"``. Loading looks it up among the
    detector classes defined in the running program
    (:func:`~pyod_aeplus.base.registered_detectors`); it never imports a
    module named by a file.
``params``
    The parameters (``get_params``) as a JSON string. Tuples, non-finite
    floats and thresholders are written as one-key objects (``{"$tuple":
    [...]}``, ``{"$float": "inf"}``, ``{"$thresholder": {"class": ...,
    "params": {...}}}``). A thresholder is stored as its class path and its
    parameters, never pickled; only classes from ``pythresh.thresholds.*``
    and ``pyod_aeplus.thresholds`` are accepted, and loading fits the
    thresholder again on the saved training scores (it must give the saved
    threshold and labels, which ``save`` checks first).
``meta``
    Scalar fitted state (``n_features_in_``, ``threshold_``, ``history_``,
    ...) as a JSON string in the same encoding.
``arrays``
    Fitted arrays (``decision_scores_``, ``center_``, ...) as tensors.
``module_state``
    The network's ``state_dict``, as CPU tensors.
``checksum``
    ``"sha256:<hex>"``: SHA-256 of a canonical serialisation of every field
    above (each field's name and value; each tensor's name, dtype, shape and
    raw bytes, in sorted order). ``load`` verifies it before reading
    anything else, so a flipped byte is refused, not scored.

The file is read back with ``torch.load(weights_only=True)``, which refuses
anything but tensors and plain containers, so loading a file never executes
code from it. ``load`` then checks, before building the network: the
checksum; every parameter name and value (the detector's own checks); the
fitted state's names, types and shapes; that every tensor is finite, of a
plain numeric dtype and stored densely; that no integer parameter other than
a training setting (``epochs``, ``batch_size``, ...) exceeds the number of
values the file stores (or 2**24), as no width or count can; and that the
network the parameters describe has exactly the stored tensors' names and
shapes. That network is built with every allocation checked before it
happens, against twice the size of the stored network: a tampered size is
refused, not allocated. A loaded detector finally scores one row (the
training centre) to check that it gives a finite score.

Writing is atomic: ``save`` writes to a temporary file in the destination's
folder (``.<name>.<random>.tmp``), flushes and fsyncs it, then renames it
over the destination with ``os.replace``. A save that fails or is
interrupted (``KeyboardInterrupt`` included) removes the temporary file and
leaves an existing file at the destination as it was; a process killed
during the write leaves the destination as it was and may leave the
temporary file behind. Two processes saving to one path leave one of the two
complete models, never a mixture.
"""

import contextlib
import errno
import hashlib
import importlib
import inspect
import io
import json
import keyword
import math
import numbers
import os
import re
import reprlib
import secrets
import stat

import numpy as np
import torch

from ._memory import AllocationGuard, TooManyValues
from .base import qualified_name, registered_detectors

FORMAT = "pyod_aeplus"
FORMAT_VERSION = 2
PAYLOAD_KEYS = ("format", "format_version", "library_version", "class", "params", "meta",
                "arrays", "module_state", "checksum")

#: Engine parameters that only steer training: they size no network or array.
TRAINING_ONLY = frozenset({"epochs", "batch_size", "patience", "verbose", "random_state"})
#: Any other integer parameter (a width, a count) must be at most this or the
#: number of values the file stores: no network a file describes can have a
#: dimension larger than the file, and this bounds loops over such counts.
SMALL_INT_LIMIT = 2 ** 24
MAX_ARRAY_DIMS = 4
ARRAY_DTYPES = (torch.float16, torch.float32, torch.float64, torch.int8, torch.int16,
                torch.int32, torch.int64, torch.uint8, torch.bool)
MODULE_DTYPES = ARRAY_DTYPES + (torch.bfloat16,)
THRESHOLDER_MODULES = "pythresh.thresholds.* and pyod_aeplus.thresholds"
# pyod's private fitted state: the number of classes, and the mean and
# standard deviation of the training scores (predict_proba(method='unify')).
PRIVATE_META = ("_classes", "_mu", "_sigma")

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


class _Refused(ValueError):
    """A value that cannot be stored (saving) or a field that is damaged (loading)."""


# ------------------------------------------------------------------ values
def _thresholder_module_allowed(module):
    return module == "pyod_aeplus.thresholds" or bool(
        re.fullmatch(r"pythresh\.thresholds\.[a-z_][a-z0-9_]*", module))


def _thresholder_params(value):
    """The constructor arguments of a thresholder: ``get_params`` (pythresh), else its signature."""
    if hasattr(value, "get_params"):
        return value.get_params(deep=False)
    params = {}
    signature = inspect.signature(type(value).__init__)
    for parameter in list(signature.parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise _Refused(f"{type(value).__name__}.__init__ takes *args or **kwargs")
        if not hasattr(value, parameter.name):
            raise _Refused(f"{type(value).__name__} does not keep its argument "
                           f"{parameter.name!r} as an attribute")
        params[parameter.name] = getattr(value, parameter.name)
    return params


def _encode(value):
    """``value`` as JSON-ready data; raises :class:`_Refused` saying why it cannot be."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _Refused("a dict with keys other than strings")
        return {"$dict": {k: _encode(v) for k, v in value.items()}}
    if isinstance(value, torch.device):
        return {"$device": str(value)}
    cls = type(value)
    if hasattr(value, "fit") and hasattr(value, "predict"):
        if not _thresholder_module_allowed(cls.__module__) or "." in cls.__qualname__:
            raise _Refused(
                f"its class {qualified_name(cls)} is not a thresholder from {THRESHOLDER_MODULES}, "
                "the only ones stored without pickle")
        try:
            params = _thresholder_params(value)
        except _Refused:
            raise
        except Exception as exc:  # a thresholder whose get_params fails
            raise _Refused(f"the parameters of {cls.__name__} cannot be read: {exc}") from exc
        encoded = {}
        for name, param in params.items():
            try:
                encoded[name] = _encode(param)
            except _Refused as exc:
                raise _Refused(f"{cls.__name__} parameter {name!r}: {exc}") from None
        return {"$thresholder": {"class": qualified_name(cls), "params": encoded}}
    raise _Refused(
        f"{qualified_name(cls)} values are not supported (a file holds None, bool, int, float, "
        f"str, tuples, lists and dicts of these, and thresholders from {THRESHOLDER_MODULES})")


def _to_json(data):
    return json.dumps(data, allow_nan=False, separators=(",", ":"))


def _thresholder_class(path):
    """The thresholder class at ``path``, imported only from the known thresholder modules."""
    if not isinstance(path, str):
        raise _Refused(f"thresholder class {path!r} is not a string")
    module_name, _, name = path.rpartition(".")
    if not _thresholder_module_allowed(module_name) or not name.isidentifier():
        raise _Refused(f"thresholder class {path!r} is not from {THRESHOLDER_MODULES}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _Refused(f"thresholder class {path!r} needs {module_name}, "
                       f"which cannot be imported: {exc}") from exc
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and cls.__module__ == module_name
            and hasattr(cls, "fit") and hasattr(cls, "predict")):
        raise _Refused(f"{path!r} is not a thresholder class")
    return cls


def _decode(data):
    """Inverse of :func:`_encode`; raises :class:`_Refused` for anything it would not write."""
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, float):
        if not math.isfinite(data):
            raise _Refused("a non-finite float outside a '$float' tag")
        return data
    if isinstance(data, list):
        return [_decode(v) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise _Refused(f"an unknown value {_short.repr(data)}")
    (tag, content), = data.items()
    if tag == "$tuple" and isinstance(content, list):
        return tuple(_decode(v) for v in content)
    if tag == "$dict" and isinstance(content, dict):
        return {k: _decode(v) for k, v in content.items()}
    if tag == "$float" and content in ("inf", "-inf", "nan"):
        return float(content)
    if tag == "$device" and isinstance(content, str):
        try:
            return torch.device(content)
        except (RuntimeError, ValueError) as exc:
            raise _Refused(f"an invalid device {content!r}") from exc
    if tag == "$thresholder" and isinstance(content, dict) and set(content) == {"class", "params"} \
            and isinstance(content["params"], dict):
        cls = _thresholder_class(content["class"])
        params = {k: _decode(v) for k, v in content["params"].items()}
        try:
            signature = inspect.signature(cls).bind(**params)
        except TypeError as exc:
            raise _Refused(f"{cls.__name__} does not take these parameters: {exc}") from exc
        return _ThresholderSpec(cls, signature.arguments)
    raise _Refused(f"an unknown value {_short.repr(data)}")


class _ThresholderSpec:
    """A decoded thresholder, built only when needed (its constructor may seed NumPy)."""

    def __init__(self, cls, params):
        self.cls, self.params = cls, params

    def build(self):
        return self.cls(**{k: _built(v) for k, v in self.params.items()})


def _built(value):
    """``value`` with every thresholder in it built (as in COMB's list of thresholders)."""
    if isinstance(value, _ThresholderSpec):
        return value.build()
    if isinstance(value, (list, tuple)):
        return type(value)(_built(v) for v in value)
    if isinstance(value, dict):
        return {k: _built(v) for k, v in value.items()}
    return value


def _fitted_thresholder(spec, scores):
    """The thresholder ``spec`` describes, fitted on ``scores``, with pyod's threshold.

    The global NumPy random state is left as it was: pythresh's constructors
    seed it.
    """
    state = np.random.get_state()
    try:
        thresholder = spec.build()
        thresholder.fit(scores)
    finally:
        np.random.set_state(state)
    labels = np.asarray(thresholder.labels_)
    threshold = thresholder.thresh_
    if not threshold:  # as pyod's _process_decision_scores does
        threshold = np.sum(labels) / len(labels)
    return thresholder, threshold, labels


def _check_thresholder(spec, scores, threshold, labels):
    """Refit ``spec`` on the training scores; it must give the saved threshold and labels."""
    try:
        thresholder, refit_threshold, refit_labels = _fitted_thresholder(spec, scores)
    except Exception as exc:
        raise _Refused(f"{spec.cls.__name__} cannot be built and fitted again from its "
                       f"parameters: {exc}") from exc
    if refit_threshold != threshold or not np.array_equal(refit_labels, labels):
        raise _Refused(
            f"{spec.cls.__name__} fitted again on the training scores gives threshold "
            f"{refit_threshold!r} instead of {threshold!r} (or other labels), so a loaded copy "
            "would label new rows differently")
    return thresholder


# --------------------------------------------------------------- checksum
def _checksum(payload):
    """``"sha256:<hex>"`` of a canonical serialisation of every field but the checksum."""
    digest = hashlib.sha256()

    def add(data):
        data = memoryview(data).cast("B")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    for key in PAYLOAD_KEYS[:6]:
        add(key.encode())
        add(json.dumps(payload[key]).encode())
    for group in ("arrays", "module_state"):
        tensors = payload[group]
        add(group.encode())
        add(str(len(tensors)).encode())
        for name in sorted(tensors):
            tensor = tensors[name].detach().cpu().contiguous().reshape(-1)
            add(name.encode())
            add(f"{tensor.dtype}{tuple(tensors[name].shape)}".encode())
            add(tensor.view(torch.uint8).numpy())
    return "sha256:" + digest.hexdigest()


# ------------------------------------------------------------- validation
def _check_tensor(name, tensor, dtypes):
    """A dense tensor of a plain dtype (needed before it is hashed)."""
    if not isinstance(tensor, torch.Tensor) or tensor.layout != torch.strided:
        raise _Refused(f"{name} is not a dense tensor")
    if tensor.dtype not in dtypes:
        raise _Refused(f"{name} has dtype {tensor.dtype}, not a plain numeric one")
    if tensor.ndim > MAX_ARRAY_DIMS:
        raise _Refused(f"{name} has {tensor.ndim} dimensions (at most {MAX_ARRAY_DIMS})")
    # A tensor must occupy its storage: a zero-stride view of one stored value
    # could claim billions of values and be expanded by the first copy.
    if not tensor.is_contiguous() or \
            tensor.untyped_storage().nbytes() < tensor.numel() * tensor.element_size():
        raise _Refused(f"{name} is not stored densely")


def _check_finite(payload):
    for group in ("arrays", "module_state"):
        for name, tensor in payload[group].items():
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                raise _Refused(f"{group} entry {name!r} holds NaN or infinite values")


def _check_structure(payload):
    """Types of the payload's fields (the checksum needs them to be well formed)."""
    missing = [key for key in PAYLOAD_KEYS if key not in payload]
    if missing:
        raise _Refused(f"field {missing[0]!r} is missing")
    unknown = [key for key in payload if key not in PAYLOAD_KEYS]
    if unknown:
        raise _Refused(f"field {unknown[0]!r} is unknown")
    for key in ("library_version", "class", "params", "meta", "checksum"):
        if not isinstance(payload[key], str):
            raise _Refused(f"field {key!r} is not a string")
    for group, dtypes in (("arrays", ARRAY_DTYPES), ("module_state", MODULE_DTYPES)):
        tensors = payload[group]
        if not isinstance(tensors, dict) or not all(isinstance(k, str) for k in tensors):
            raise _Refused(f"field {group!r} is not a dict of named tensors")
        for name, tensor in tensors.items():
            _check_tensor(f"{group} entry {name!r}", tensor, dtypes)


def _check_attribute_name(cls, name, params):
    """A fitted attribute: ``name_``, public, not a parameter, not a method or class attribute."""
    if not (isinstance(name, str) and name.isidentifier() and name.endswith("_")
            and not name.startswith("_") and not keyword.iskeyword(name)
            and name not in params and not hasattr(cls, name)):
        raise _Refused(f"{name!r} is not a fitted attribute {cls.__name__} can have")


def _is_real(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_plain_scalar(value):
    return value is None or isinstance(value, (bool, str)) or (
        _is_real(value) and math.isfinite(value))


def _check_meta(cls, meta, params):
    """Names and types of the scalar fitted state."""
    if not isinstance(meta, dict):
        raise _Refused("field 'meta' is not a JSON object")
    for key in ("n_features_in_", "device_", "threshold_"):
        if key not in meta:
            raise _Refused(f"fitted attribute {key!r} is missing")
    n_features = meta["n_features_in_"]
    if not (isinstance(n_features, int) and not isinstance(n_features, bool) and n_features >= 1):
        raise _Refused(f"fitted attribute 'n_features_in_' has an invalid value "
                       f"{_short.repr(n_features)}")
    for key, value in meta.items():
        if key == "n_features_in_":
            continue
        elif key == "feature_names_in_":
            ok = (isinstance(value, list) and all(isinstance(v, str) for v in value)
                  and len(value) == meta["n_features_in_"])
        elif key == "device_":
            ok = isinstance(value, str) and _parse_device(value) is not None
        elif key in ("threshold_", "_mu", "_sigma"):
            ok = _is_real(value) and math.isfinite(value)
        elif key == "_classes":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        elif key == "history_":
            ok = isinstance(value, dict) and all(
                isinstance(v, (bool, int, float, type(None)))
                or (isinstance(v, list) and all(_is_real(e) or e is None for e in v))
                for v in value.values())
        else:
            _check_attribute_name(cls, key, params)
            ok = _is_plain_scalar(value) or (
                isinstance(value, (list, tuple)) and all(_is_plain_scalar(v) for v in value))
        if not ok:
            raise _Refused(f"fitted attribute {key!r} has an invalid value {_short.repr(value)}")


def _parse_device(name):
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        return None
    return device if device.type in ("cpu", "cuda", "mps") else None


def _check_arrays(cls, arrays, meta, params):
    """Names, dtypes and shapes of the fitted arrays (finiteness is checked with the structure)."""
    for key in ("decision_scores_", "labels_", "center_", "scale_"):
        if key not in arrays:
            raise _Refused(f"fitted array {key!r} is missing")
    for key in arrays:
        if key not in ("decision_scores_", "labels_", "center_", "scale_"):
            _check_attribute_name(cls, key, params)
        if key in meta:
            raise _Refused(f"fitted attribute {key!r} is stored twice")
    scores, labels = arrays["decision_scores_"], arrays["labels_"]
    if scores.ndim != 1 or not scores.is_floating_point() or scores.numel() == 0:
        raise _Refused("decision_scores_ is not a non-empty 1-D float array")
    if labels.shape != scores.shape or labels.is_floating_point() or \
            not bool(((labels == 0) | (labels == 1)).all()):
        raise _Refused("labels_ is not an array of 0 and 1, one per training score")
    d = meta["n_features_in_"]
    for key in ("center_", "scale_"):
        if tuple(arrays[key].shape) != (d,) or not arrays[key].is_floating_point():
            raise _Refused(f"{key} does not have shape ({d},) for n_features_in_={d}")
    if not bool((arrays["scale_"] > 0).all()):
        raise _Refused("scale_ holds values <= 0")


def _check_int_sizes(params, limit):
    """Integer parameters (but training-only ones) at most ``limit``: see SMALL_INT_LIMIT."""

    def walk(name, value):
        if isinstance(value, bool) or name == "random_state":
            return
        if isinstance(value, numbers.Integral) and value > limit:
            raise _Refused(f"parameter {name!r} = {value} is larger than any size this file "
                           f"can describe ({limit})")
        if isinstance(value, (list, tuple)):
            for v in value:
                walk(name, v)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k, v)
        elif isinstance(value, _ThresholderSpec):
            for k, v in value.params.items():
                walk(k, v)

    for name, value in params.items():
        if name not in TRAINING_ONLY:
            walk(name, value)


def _check_params(detector):
    """The detector's own checks of its parameters, but for the device (it may not exist here)."""
    device = detector.device
    if not (isinstance(device, torch.device) or device == "auto" or
            (isinstance(device, str) and _parse_device(device) is not None)):
        raise _Refused(f"parameter 'device' has an invalid value {device!r}")
    detector.device = "cpu"
    try:
        detector._check_common_params()
        detector._check_params()
    except (TypeError, ValueError) as exc:
        raise _Refused(f"invalid parameters: {exc}") from exc
    finally:
        detector.device = device


def _build_network(detector, module_state):
    """The network the parameters describe, built under a budget; its tensors must match."""
    stored = sum(t.numel() for t in module_state.values())
    # Room for the stored tensors twice over, and for small temporaries.
    try:
        with torch.random.fork_rng(devices=[]), AllocationGuard(2 * stored + 2 ** 20):
            module = detector._build_module()
    except TooManyValues as exc:
        raise _Refused(f"the parameters describe a network of more than {exc.values:,} values; "
                       f"the file holds {stored:,}") from None
    except Exception as exc:
        raise _Refused(f"the parameters describe no network: {exc}") from exc
    expected = module.state_dict()
    for name in expected:
        if name not in module_state:
            raise _Refused(f"network tensor {name!r} is missing")
    for name, tensor in module_state.items():
        if name not in expected:
            raise _Refused(f"network tensor {name!r} is not part of this network")
        if tensor.shape != expected[name].shape or tensor.dtype != expected[name].dtype:
            raise _Refused(
                f"network tensor {name!r} is {tensor.dtype}{tuple(tensor.shape)}; the parameters "
                f"imply {expected[name].dtype}{tuple(expected[name].shape)}")
    return module


# ------------------------------------------------------------------ save
def _saved_class_name(detector):
    name = qualified_name(type(detector))
    if registered_detectors().get(name) is not type(detector):
        raise ValueError(
            f"a {name} cannot be saved: load() would not find its class (classes whose names "
            "start with '_' are not registered, and a later class of the same module and name "
            "replaces an earlier one)")
    return name


def _payload(detector):
    """The file's contents; every refusal names the one parameter or attribute."""
    from . import __version__

    params = detector.get_params(deep=False)
    encoded_params = {}
    for name, value in params.items():
        try:
            encoded_params[name] = _encode(value)
        except _Refused as exc:
            raise ValueError(f"parameter {name!r} = {_short.repr(value)} cannot be saved: "
                             f"{exc}") from None
    arrays, meta = {}, {}
    for key, value in detector.__dict__.items():
        if key in params or key == "module_":
            continue
        if key.startswith("_") and key not in PRIVATE_META:
            continue  # private caches, not fitted state
        if key == "feature_names_in_":
            meta[key] = [str(v) for v in value]
        elif key == "device_":
            meta[key] = str(value)
        elif isinstance(value, np.ndarray):
            try:
                tensor = torch.from_numpy(np.ascontiguousarray(value))
            except TypeError:
                tensor = None
            if tensor is None or tensor.dtype not in ARRAY_DTYPES:
                raise ValueError(f"fitted attribute {key!r} cannot be saved: "
                                 f"dtype {value.dtype} is not a plain numeric one")
            arrays[key] = tensor
        else:
            try:
                meta[key] = _encode(value.item() if isinstance(value, np.generic) else value)
            except _Refused as exc:
                raise ValueError(f"fitted attribute {key!r} cannot be saved: {exc}") from None
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "class": _saved_class_name(detector),
        "params": _to_json(encoded_params),
        "meta": _to_json(meta),
        "arrays": arrays,
        "module_state": {k: v.detach().cpu().contiguous()
                         for k, v in detector.module_.state_dict().items()},
    }
    payload["checksum"] = _checksum(payload)
    return payload


def _save_error(exc, path):
    # OSError(errno, ...) makes the matching subclass (PermissionError, ...).
    return OSError(exc.errno, f"cannot save the model ({exc.strerror or exc})", os.fspath(path))


def _write_atomically(path, data):
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    target = os.fspath(path)
    if os.path.islink(target):  # replace the file the link points to, keep the link
        target = os.path.realpath(target)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "cannot save the model: the path is a folder",
                                os.fspath(path))
    folder, name = os.path.split(target)
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.tmp")
    try:
        # Mode 0o666 lets the umask decide, as for any new file.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise _save_error(exc, path) from exc
    try:
        try:
            with contextlib.suppress(OSError, AttributeError):
                os.fchmod(fd, stat.S_IMODE(os.stat(target).st_mode))  # keep the old file's mode
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _save_error(exc, path) from exc
        raise
    # The rename itself is durable once the folder is synced (POSIX only).
    with contextlib.suppress(OSError, AttributeError):
        folder_fd = os.open(folder or ".", os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)


def save_detector(detector, path):
    """Write the fitted ``detector`` to ``path`` (see the module docstring for the format).

    The write is atomic: a temporary file in the same folder, fsynced, then
    renamed over ``path``; an existing file survives a failed or interrupted
    save. ``path`` may also be a writable binary file object (written in
    place, without the atomic rename).

    Raises
    ------
    ValueError
        When a parameter or fitted attribute cannot be stored (the message
        names it), or a thresholder used as ``contamination`` would not
        give the same threshold once loaded.
    OSError
        When the file cannot be written (the message names the path).
    """
    payload = _payload(detector)
    _check_loadable(detector, payload)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    if hasattr(path, "write"):
        path.write(buffer.getbuffer())
        return
    try:
        os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str, a path-like object or a writable binary file, "
                        f"got {type(path).__name__}") from None
    _write_atomically(path, buffer.getbuffer())


def _check_loadable(detector, payload):
    """Refuse to write what :func:`load_detector` would refuse (save runs load's checks)."""
    try:
        _check_structure(payload)
        _check_finite(payload)
        params = {k: _decode(v) for k, v in json.loads(payload["params"]).items()}
        meta = _decode_meta(payload["meta"])
        cls = type(detector)
        _check_meta(cls, meta, params)
        _check_arrays(cls, payload["arrays"], meta, params)
        _check_int_sizes(params, _size_limit(payload))
    except _Refused as exc:
        raise ValueError(f"this {type(detector).__name__} cannot be saved: {exc}") from None
    spec = params.get("contamination")
    if isinstance(spec, _ThresholderSpec):
        try:
            _check_thresholder(spec, detector.decision_scores_, detector.threshold_,
                               detector.labels_)
        except _Refused as exc:
            raise ValueError(f"parameter 'contamination' cannot be saved: {exc}") from None


def _size_limit(payload):
    stored = sum(t.numel() for group in ("arrays", "module_state")
                 for t in payload[group].values())
    return max(SMALL_INT_LIMIT, stored)


def _decode_meta(text):
    meta = json.loads(text)
    if not isinstance(meta, dict):
        raise _Refused("field 'meta' is not a JSON object")
    decoded = {}
    for key, value in meta.items():
        try:
            decoded[key] = _decode(value)
        except _Refused as exc:
            raise _Refused(f"fitted attribute {key!r} holds {exc}") from None
    return decoded


# ------------------------------------------------------------------ load
def _read(path):
    if hasattr(path, "read"):
        source = contextlib.nullcontext(path)
    else:
        source = open(path, "rb")  # OSError (missing file, folder, permissions) as is
    with source as file:
        try:
            return torch.load(file, map_location="cpu", weights_only=True)
        except Exception as exc:  # truncated, or not a torch archive at all
            raise ValueError(f"{path} is not a readable pyod_aeplus model file: {exc}") from exc


def load_detector(path, device=None):
    """Read a detector written by :func:`save_detector`.

    The file is checked before anything is built (see the module
    docstring): its checksum, parameters, fitted state and the shapes of the
    network's tensors; it never executes code from the file.

    Parameters
    ----------
    path : str, path-like or binary file object
        The file.
    device : str, optional
        Where to put the network; default: where it was fitted, or the CPU
        when that device does not exist here.

    Returns
    -------
    detector : BaseAutoEncoder
        The fitted detector, of the class that was saved.

    Raises
    ------
    ValueError
        When the file is not a model file, was written in another format
        version, is damaged (the message names the field), or holds a
        detector class not defined in this program.
    OSError
        When the file cannot be read.
    """
    return _load(path, device)


def _load(path, device=None, expected=None):
    payload = _read(path)
    if not (isinstance(payload, dict) and isinstance(payload.get("format"), str)
            and payload["format"] == FORMAT):
        raise ValueError(f"{path} is not a pyod_aeplus model file")
    version = payload.get("format_version")
    if type(version) is not int:
        raise ValueError(f"{path} is a damaged pyod_aeplus model file: its format version "
                         f"{_short.repr(version)} is not an integer")
    if version == 1:
        raise ValueError(
            f"{path} was saved in format version 1 by an earlier pyod_aeplus; this pyod_aeplus "
            f"reads version {FORMAT_VERSION} only (it adds a checksum): fit the detector again, "
            "or load the file with the release that saved it")
    if version != FORMAT_VERSION:
        raise ValueError(f"{path} was saved in format version {version!r}; "
                         f"this pyod_aeplus reads version {FORMAT_VERSION}")
    try:
        _check_structure(payload)
        if payload["checksum"] != _checksum(payload):
            raise _Refused("its checksum does not match its contents")
        _check_finite(payload)
    except _Refused as exc:
        raise ValueError(f"{path} is a damaged pyod_aeplus model file: {exc}") from None
    cls = _resolve_class(path, payload["class"], expected)
    try:
        return _build(cls, payload, device)
    except _Refused as exc:
        raise ValueError(f"{path} is a damaged pyod_aeplus model file: {exc}") from None


def _resolve_class(path, name, expected):
    classes = registered_detectors()
    if name not in classes:
        raise ValueError(f"{path} holds an unknown detector class {name!r} (not defined in "
                         "this program; import the module that defines it first)")
    cls = classes[name]
    if expected is not None and not issubclass(cls, expected):
        raise ValueError(f"{path}: the saved detector is {cls.__name__}, not {expected.__name__}; "
                         f"load it with pyod_aeplus.load or {cls.__name__}.load")
    return cls


def _build(cls, payload, device):
    try:
        params = json.loads(payload["params"])
        meta = _decode_meta(payload["meta"])
    except json.JSONDecodeError as exc:
        raise _Refused(f"its JSON is invalid: {exc}") from exc
    if not isinstance(params, dict):
        raise _Refused("field 'params' is not a JSON object")
    known = inspect.signature(cls).parameters
    decoded = {}
    for name, value in params.items():
        if name not in known:
            raise _Refused(f"{cls.__name__} has no parameter {name!r}")
        try:
            decoded[name] = _decode(value)
        except _Refused as exc:
            raise _Refused(f"parameter {name!r} holds {exc}") from None
    arrays, module_state = payload["arrays"], payload["module_state"]
    _check_meta(cls, meta, decoded)
    _check_arrays(cls, arrays, meta, decoded)
    _check_int_sizes(decoded, _size_limit(payload))

    spec = decoded.get("contamination")
    if isinstance(spec, _ThresholderSpec):
        decoded["contamination"] = 0.1  # checked and fitted below, with the fitted state
    detector = cls(**decoded)
    _check_params(detector)
    for key, value in meta.items():
        if key == "feature_names_in_":
            value = np.asarray(value, dtype=object)
        setattr(detector, key, value)
    for key, tensor in arrays.items():
        setattr(detector, key, tensor.numpy())
    if isinstance(spec, _ThresholderSpec):
        detector.contamination = _check_thresholder(
            spec, detector.decision_scores_, detector.threshold_, detector.labels_)
    module = _build_network(detector, module_state)
    try:
        detector._restore_module(module_state, device or meta["device_"], module=module)
        scores = detector.decision_function(detector.center_[None, :])
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise _Refused(f"the restored detector cannot score: {exc}") from exc
    if not np.isfinite(scores).all():
        raise _Refused("the restored detector gives a non-finite score")
    return detector
