"""pyod_aeplus: PyTorch autoencoder detectors for PyOD."""

__version__ = "0.2.0"

__all__ = [
    "AEPlus",
    "BaseAutoEncoder",
    "ConvAE",
    "DeepAE",
    "DenoisingAE",
    "DenseAE",
    "SparseAE",
    "TrainingDivergedError",
    "VAE",
    "load",
    "__version__",
]

# The detectors import torch, PyOD and scikit-learn (seconds). They are
# imported on first use, so that ``import pyod_aeplus`` and the command lines'
# ``--help`` stay fast; after that first use the package is as it always was.
_EAGER_SUBMODULES = ("base", "models", "nn", "persistence", "training")


def _import_api():
    from .base import BaseAutoEncoder
    from .models import VAE, AEPlus, ConvAE, DeepAE, DenoisingAE, DenseAE, SparseAE
    from .persistence import load_detector as load
    from .training import TrainingDivergedError

    globals().update(
        AEPlus=AEPlus, BaseAutoEncoder=BaseAutoEncoder, ConvAE=ConvAE, DeepAE=DeepAE,
        DenoisingAE=DenoisingAE, DenseAE=DenseAE, SparseAE=SparseAE,
        TrainingDivergedError=TrainingDivergedError, VAE=VAE, load=load,
    )


def __getattr__(name):
    if name in __all__ or name in _EAGER_SUBMODULES:
        _import_api()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
