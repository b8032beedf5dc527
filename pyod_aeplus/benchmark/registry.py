"""Detectors by name, so one grid runs locally, with joblib or on a Dask cluster.

A factory takes ``(random_state, contamination)`` and returns an unfitted
detector with PyOD's API (``fit`` and ``decision_function``, plus
``predict`` for the F1 metric).

A registered name followed by parameters in parentheses,
``"AEPlus(trim_fraction=0, clip=None)"``, names that detector with those
parameters set (``set_params``): a variant runs in a grid, and from the
command line, without registering it.
"""

import ast
import functools
import re
import warnings

import pyod_aeplus

_REGISTRY = {}

#: Set by the grid for every run (``--seeds``, ``--contamination``), never by a name.
_GRID_PARAMETERS = ("random_state", "contamination")
_NAME_WITH_PARAMETERS = re.compile(r"(?P<base>[^()]+?)\s*\((?P<params>.*)\)", re.DOTALL)


def register_detector(name, factory, overwrite=False):
    """Make ``factory(random_state, contamination)`` available under ``name``."""
    if not callable(factory):
        raise TypeError(f"factory for {name!r} must be callable, got {factory!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"a detector named {name!r} is registered already; pass overwrite=True")
    _REGISTRY[name] = factory


def get_factory(name):
    """The factory registered under ``name``, or for ``"NAME(param=value, ...)"``
    the factory of ``NAME`` with those parameters set."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    base, params = parse_detector_name(name)
    if base not in _REGISTRY:
        raise ValueError(
            f"unknown detector {base!r}; registered: {', '.join(sorted(_REGISTRY))}")
    factory = _REGISTRY[base]
    if not params:
        return factory
    example = factory(0, 0.1)
    if not hasattr(example, "get_params"):
        raise ValueError(f"{base} takes no parameters (its detector has no get_params)")
    known = example.get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"{base} has no parameter {', '.join(map(repr, unknown))}; "
                         f"its parameters: {', '.join(sorted(known))}")
    return functools.partial(_with_params, factory, params)


def parse_detector_name(name):
    """Split ``"AEPlus(trim_fraction=0, clip=None)"`` into ``("AEPlus", {...})``.

    Values are Python literals (numbers, quoted strings, ``True``, ``False``,
    ``None``, tuples, lists, dicts); a plain name gives no parameters.
    ``random_state`` and ``contamination`` are the grid's to set.
    """
    if not isinstance(name, str):
        raise TypeError(f"a detector name must be a string, got {type(name).__name__}")
    match = _NAME_WITH_PARAMETERS.fullmatch(name.strip())
    if match is None:
        if "(" in name or ")" in name:
            raise ValueError(f"cannot read detector {name!r}: write NAME(param=value, ...)")
        return name.strip(), {}
    base, text = match["base"].strip(), match["params"]
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError as error:
        raise ValueError(f"cannot read the parameters of {name!r}: {error.msg}") from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise ValueError(f"the parameters of {name!r} must be param=value pairs")
    params = {}
    for keyword in call.keywords:
        if keyword.arg in _GRID_PARAMETERS:
            raise ValueError(f"{keyword.arg} is set by the grid (--seeds, --contamination), "
                             f"not in a detector's name ({name!r})")
        if keyword.arg in params:
            raise ValueError(f"{keyword.arg} is given twice in {name!r}")
        try:
            params[keyword.arg] = ast.literal_eval(keyword.value)
        except ValueError:
            raise ValueError(
                f"the value of {keyword.arg} in {name!r} must be a Python literal (a number, "
                f"a quoted string, True, False, None, a tuple, list or dict), not "
                f"{ast.unparse(keyword.value)}") from None
    return base, params


def _with_params(factory, params, random_state, contamination):
    return factory(random_state, contamination).set_params(**params)


def make_detector(name, random_state=0, contamination=0.1):
    """A new detector of the registered kind ``name`` (``"NAME(param=value, ...)"`` too)."""
    return get_factory(name)(random_state, contamination)


def available_detectors():
    """Names of every registered detector."""
    return sorted(_REGISTRY)


def _ours(class_name):
    def factory(random_state, contamination):
        return getattr(pyod_aeplus, class_name)(contamination=contamination,
                                                random_state=random_state)
    factory.__name__ = f"make_{class_name}"
    return factory


def _pyod(module, class_name, seeded=True, **fixed):
    def factory(random_state, contamination):
        import importlib

        cls = getattr(importlib.import_module(f"pyod.models.{module}"), class_name)
        kwargs = dict(fixed, contamination=contamination)
        if seeded:
            kwargs["random_state"] = random_state
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(**kwargs)
    factory.__name__ = f"make_pyod_{class_name}"
    return factory


#: This package's detectors.
OURS = [name for name in ("DenseAE", "DeepAE", "SparseAE", "DenoisingAE", "ConvAE", "VAE",
                          "AEPlus") if name in pyod_aeplus.__all__]
#: The classical detectors the quick benchmark compares with (``--detectors classical``).
CLASSICAL = ["IForest", "OCSVM", "LOF"]
#: The reference detectors of the full benchmark (``--detectors reference``).
REFERENCE = ["IForest", "ECOD", "OCSVM", "KNN", "LOF", "PyOD-AE", "PyOD-VAE"]

for _name in OURS:
    register_detector(_name, _ours(_name))
register_detector("IForest", _pyod("iforest", "IForest"))
register_detector("OCSVM", _pyod("ocsvm", "OCSVM", seeded=False))
register_detector("LOF", _pyod("lof", "LOF", seeded=False))
register_detector("KNN", _pyod("knn", "KNN", seeded=False))
register_detector("ECOD", _pyod("ecod", "ECOD", seeded=False))
register_detector("PyOD-AE", _pyod("auto_encoder", "AutoEncoder", verbose=0))
register_detector("PyOD-VAE", _pyod("vae", "VAE", verbose=0))
