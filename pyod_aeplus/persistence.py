"""Save and load fitted detectors without pickle.

The file is one ``torch.save`` archive of plain containers: the parameters
and scalar fitted state as JSON strings, arrays and network weights as
tensors. It is read back with ``torch.load(weights_only=True)``, which
refuses anything but tensors and plain containers, so loading a file never
executes code from it.
"""

import json

import numpy as np
import torch

FORMAT = "pyod_aeplus"
FORMAT_VERSION = 1


def _json(name, value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} cannot be stored as JSON ({value!r}); save this detector with pickle instead"
        ) from None


def save_detector(detector, path):
    """Write ``detector`` (fitted) to ``path``."""
    from . import __version__

    params = detector.get_params(deep=False)
    arrays, meta = {}, {}
    for key, value in detector.__dict__.items():
        if key in params or key == "module_":
            continue
        if key == "feature_names_in_":
            meta[key] = [str(v) for v in value]
        elif key == "device_":
            meta[key] = str(value)
        elif isinstance(value, np.ndarray):
            arrays[key] = torch.from_numpy(np.ascontiguousarray(value))
        elif isinstance(value, np.generic):
            meta[key] = value.item()
        else:
            meta[key] = value
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "class": type(detector).__name__,
        "params": _json("a parameter", params),
        "meta": _json("a fitted attribute", meta),
        "arrays": arrays,
        "module_state": {k: v.detach().cpu() for k, v in detector.module_.state_dict().items()},
    }
    torch.save(payload, path)


def load_detector(path, device=None):
    """Read a detector written by :func:`save_detector`.

    Parameters
    ----------
    path : str or path-like
        The file.
    device : str, optional
        Where to put the network; default: where it was fitted, or the CPU
        when that device does not exist here.
    """
    from .base import registered_detectors

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # truncated, tampered, or not a torch archive at all
        raise ValueError(f"{path} is not a readable pyod_aeplus model file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a pyod_aeplus model file")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} was saved in format version {payload.get('format_version')!r}; "
            f"this pyod_aeplus reads version {FORMAT_VERSION}"
        )
    classes = registered_detectors()
    name = payload.get("class")
    if name not in classes:
        raise ValueError(f"{path} holds an unknown detector class {name!r}")
    try:
        params = json.loads(payload["params"])
        meta = json.loads(payload["meta"])
        detector = classes[name](**params)
        for key, value in meta.items():
            if key == "feature_names_in_":
                value = np.asarray(value, dtype=object)
            setattr(detector, key, value)
        for key, tensor in payload["arrays"].items():
            setattr(detector, key, tensor.numpy())
        detector._restore_module(payload["module_state"], device or meta["device_"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{path} is a damaged pyod_aeplus model file: {exc}") from exc
    return detector
