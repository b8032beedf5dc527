"""pyod_aeplus: PyTorch autoencoder detectors for PyOD."""

__version__ = "0.2.0"

from .base import BaseAutoEncoder
from .models import VAE, AEPlus, ConvAE, DeepAE, DenoisingAE, DenseAE, SparseAE
from .persistence import load_detector as load
from .training import TrainingDivergedError

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
