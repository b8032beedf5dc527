"""Detectors by name, so one grid runs locally, with joblib or on a Dask cluster.

A factory takes ``(random_state, contamination)`` and returns an unfitted
detector with PyOD's API (``fit`` and ``decision_function``, plus
``predict`` for the F1 metric).
"""

import warnings

import pyod_aeplus

_REGISTRY = {}


def register_detector(name, factory, overwrite=False):
    """Make ``factory(random_state, contamination)`` available under ``name``."""
    if not callable(factory):
        raise TypeError(f"factory for {name!r} must be callable, got {factory!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"a detector named {name!r} is registered already; pass overwrite=True")
    _REGISTRY[name] = factory


def get_factory(name):
    """The factory registered under ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown detector {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def make_detector(name, random_state=0, contamination=0.1):
    """A new detector of the registered kind ``name``."""
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
                          "AEPlus") if hasattr(pyod_aeplus, name)]
#: What the issues call the classical detectors.
CLASSICAL = ["IForest", "OCSVM", "LOF"]
#: Every reference detector of ../shared/benchmarks.
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
