"""Small building blocks: activations by name, dropout."""

import torch
from torch import nn

#: Activation names accepted by every detector's ``activation`` parameter.
ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def make_activation(name):
    """Return a new activation module for ``name`` (a key of ``ACTIVATIONS``)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}"
        ) from None


class Dropout(nn.Dropout):
    """Inverted dropout whose mask is one uniform draw compared with ``p``.

    The same distribution as :class:`torch.nn.Dropout`, but ``bernoulli_`` is
    the slow way to draw it on a CPU: for a 32 × 64 batch it took 19 µs
    against 8 µs for ``rand``, and dropout is drawn twice per step in the
    64-32 network. The mask is drawn in float32 whatever the input's dtype,
    so ``p`` is not rounded under bf16 autocast. Uses the global generator,
    which the engine seeds from ``random_state`` while it trains.
    """

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * dropout_mask(x, self.p)


def dropout_mask(x, p):
    """An inverted-dropout mask like ``x``: 0 with probability ``p``, else ``1 / (1 - p)``."""
    keep = torch.rand_like(x, dtype=torch.float32).ge_(p).mul_(1.0 / (1.0 - p))
    return keep.to(x.dtype)
