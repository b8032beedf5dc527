"""DeepAE: a multi-layer autoencoder, decoder mirrored from the encoder."""

from .._validation import check_choice, check_float, check_sizes
from ..base import BaseAutoEncoder
from ..nn import ACTIVATIONS, MLPAutoEncoder


class DeepAE(BaseAutoEncoder):
    """Deep autoencoder scored by reconstruction error.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(64, 32, 8)
        Widths of the encoder's layers; the last is the code. The decoder
        mirrors them.
    activation : str, default='relu'
        Activation after every hidden layer.
    dropout : float in [0, 1), default=0.0
        Dropout after every hidden layer but the code.
    batch_norm : bool, default=False
        Batch normalisation in every hidden layer.

    Examples
    --------
    >>> import numpy as np
    >>> from pyod_aeplus import DeepAE
    >>> X = np.random.default_rng(0).normal(size=(200, 6))
    >>> clf = DeepAE(hidden_sizes=(16, 8, 2), epochs=2, random_state=0).fit(X)
    >>> clf.encode(X[:5]).shape  # the code: the last hidden size
    (5, 2)
    >>> clf.predict(X[:5]).shape
    (5,)
    """

    _size_parameters = "hidden_sizes"

    def __init__(self, hidden_sizes=(64, 32, 8), activation="relu", dropout=0.0,
                 batch_norm=False, contamination=0.1, preprocessing="standard", loss="mse",
                 epochs="auto", batch_size=256, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, early_stopping=True, patience=10,
                 gradient_clip=5.0, mixed_precision=False, compile=False,
                 device="auto", random_state=None, verbose=0):
        self._store_init_arguments(locals())

    def _check_params(self):
        check_sizes("hidden_sizes", self.hidden_sizes)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_float("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_choice("batch_norm", self.batch_norm, (True, False))

    def _build_module(self):
        return MLPAutoEncoder(self.n_features_in_, self.hidden_sizes, self.activation,
                              self.dropout, self.batch_norm)
