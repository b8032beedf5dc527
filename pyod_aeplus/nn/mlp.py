"""Fully connected autoencoders: the dense, deep and sparse detectors' network."""

from torch import nn

from .layers import make_activation


def mlp_stack(sizes, activation="relu", dropout=0.0, batch_norm=False):
    """Linear layers through ``sizes``, each followed by [batch norm], activation, [dropout].

    ``sizes[0]`` is the input width; one block is made per later entry.
    """
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers.append(nn.Linear(n_in, n_out))
        if batch_norm:
            layers.append(nn.BatchNorm1d(n_out))
        layers.append(make_activation(activation))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class MLPAutoEncoder(nn.Module):
    """Encoder through ``encoder_sizes`` (the last is the code), decoder mirrored.

    The output layer is linear: inputs are standardised, so they are not bounded.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    encoder_sizes : sequence of int
        Widths of the encoder's layers; the last one is the code.
    activation : str
        Name of the activation after every hidden layer and the code.
    dropout : float
        Dropout rate after every hidden layer (not after the code).
    batch_norm : bool
        Batch normalisation before every hidden activation.
    """

    def __init__(self, n_features, encoder_sizes, activation="relu", dropout=0.0,
                 batch_norm=False):
        super().__init__()
        sizes = [int(n_features), *map(int, encoder_sizes)]
        # The code layer gets no dropout: dropping code units would make the
        # reconstruction (and so the score) noisy for no benefit.
        self.encoder = nn.Sequential(
            mlp_stack(sizes[:-1], activation, dropout, batch_norm),
            mlp_stack(sizes[-2:], activation, 0.0, batch_norm),
        )
        mirrored = sizes[::-1]
        self.decoder = nn.Sequential(
            mlp_stack(mirrored[:-1], activation, dropout, batch_norm),
            nn.Linear(mirrored[-2], mirrored[-1]),
        )

    def forward(self, x):
        """Return ``(reconstruction, code)``."""
        code = self.encoder(x)
        return self.decoder(code), code
