"""Networks shared by the detectors.

Each network is a plain :class:`torch.nn.Module`; detectors build them in
``_build_module`` and the engine trains them. Nothing here knows about
scaling, thresholds or training.
"""

from .conv import ConvAutoEncoder
from .ensemble import BatchedLinear, EnsembleAutoEncoder, ensemble_relu_layers, ensemble_step
from .layers import ACTIVATIONS, Dropout, drawing_from, dropout_generator, make_activation
from .mlp import MLPAutoEncoder, mlp_stack, reconstruction_step, relu_blocks
from .vae import GaussianVAE

__all__ = [
    "ACTIVATIONS",
    "BatchedLinear",
    "EnsembleAutoEncoder",
    "ConvAutoEncoder",
    "ensemble_relu_layers",
    "ensemble_step",
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
