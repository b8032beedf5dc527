"""One small module per detector; each adds its network, loss and score only."""

from .aeplus import AEPlus
from .conv import ConvAE
from .deep import DeepAE
from .dense import DenseAE
from .denoising import DenoisingAE
from .sparse import SparseAE
from .vae import VAE

__all__ = ["AEPlus", "ConvAE", "DeepAE", "DenseAE", "DenoisingAE", "SparseAE", "VAE"]
