"""Networks shared by the detectors.

Each network is a plain :class:`torch.nn.Module`; detectors build them in
``_build_module`` and the engine trains them. Nothing here knows about
scaling, thresholds or training.
"""

from .conv import ConvAutoEncoder
from .ensemble import BatchedLinear, EnsembleAutoEncoder
from .layers import ACTIVATIONS, Dropout, drawing_from, dropout_generator, make_activation
from .mlp import MLPAutoEncoder, mlp_stack, reconstruction_step, relu_blocks
from .vae import GaussianVAE

__all__ = [
    "ACTIVATIONS",
    "BatchedLinear",
    "EnsembleAutoEncoder",
    "ConvAutoEncoder",
    "Dropout",
    "drawing_from",
    "dropout_generator",
    "GaussianVAE",
    "MLPAutoEncoder",
    "make_activation",
    "mlp_stack",
    "reconstruction_step",
    "relu_blocks",
]
