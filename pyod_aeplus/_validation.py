"""Checks of parameters and devices, each naming the parameter it refuses."""

import numbers

import numpy as np
import torch


def check_int(name, value, min_value=1):
    """Refuse anything but an integer ``>= min_value`` (bools are refused too)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {value!r}")
    return int(value)


def check_float(name, value, low=None, high=None, low_open=False, high_open=False):
    """Refuse anything but a finite real number inside the given interval."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        opening = "(" if low_open or low is None else "["
        closing = ")" if high_open or high is None else "]"
        interval = f"{opening}{lo}, {hi}{closing}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return value


def check_choice(name, value, choices):
    """Refuse a value that is not one of ``choices``."""
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")
    return value


def check_sizes(name, value, allow_empty=False):
    """A tuple/list of positive layer widths."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a sequence of positive integers, got {value!r}")
    sizes = tuple(value)
    if not sizes and not allow_empty:
        raise ValueError(f"{name} must hold at least one layer width, got {value!r}")
    for size in sizes:
        check_int(f"every entry of {name}", size, 1)
    return tuple(int(s) for s in sizes)


def check_contamination(value):
    """A float in (0, 0.5], or a thresholder object with ``fit``/``predict`` (pythresh)."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return check_float("contamination", value, 0.0, 0.5, low_open=True)
    if hasattr(value, "fit") and hasattr(value, "predict"):
        return value
    raise TypeError(
        "contamination must be a float in (0, 0.5] or a thresholder object with "
        f"fit() and predict() (such as a pythresh thresholder), got {value!r}"
    )


def check_numeric_columns(X):
    """Refuse a DataFrame whose columns are not all numbers (strings, categories, dates), by name.

    Left to NumPy's conversion, such columns fail later with messages that
    name neither the column nor the problem.
    """
    dtypes = getattr(X, "dtypes", None)
    if not hasattr(X, "columns") or not hasattr(dtypes, "items"):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    bad = [(name, dtype) for name, dtype in dtypes.items()
           if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype))]
    if not bad:
        return
    shown = bad[:10]
    names = ", ".join(repr(name) for name, _ in shown) + (", ..." if len(bad) > 10 else "")
    kinds = ", ".join(sorted({str(dtype) for _, dtype in shown}))
    raise ValueError(
        f"column(s) {names} are not numeric (dtype {kinds}); encode them as numbers first "
        "(for example one-hot) or drop them"
    )


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device` that exists here.

    ``'auto'`` picks CUDA, then Apple's MPS, then the CPU.
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {device!r}")
    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}"
        ) from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but no CUDA GPU is available")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) exist"
            )
    elif resolved.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device={device!r} was requested but MPS is not available")
    elif resolved.type != "cpu":
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'mps', got {device!r}")
    return resolved
