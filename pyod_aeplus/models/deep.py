"""DeepAE: a multi-layer autoencoder, decoder mirrored from the encoder."""

from .._validation import check_choice, check_float, check_sizes
from ..base import BaseAutoEncoder
from ..nn import ACTIVATIONS, MLPAutoEncoder
from ._scales import ErrorScales


class DeepAE(ErrorScales, BaseAutoEncoder):
    """Deep autoencoder scored by reconstruction error.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(64, 32)
        Widths of the encoder's layers; the last is the code. The decoder
        mirrors them. The default is PyOD's AutoEncoder's network.
    activation : str, default='relu'
        Activation after every hidden layer.
    dropout : float in [0, 1), default=0.0
        Dropout after every hidden layer but the code.
    batch_norm : bool, default=False
        Batch normalisation in every hidden layer (as in PyOD's AutoEncoder).
    normalize_errors : bool, default=True
        Divide each feature's error by its mean error on the typical
        training rows (at least a tenth of the mean over all features)
        before averaging. A feature that the network reconstructs closely
        then counts as much as one it reconstructs loosely: a large error
        where errors are usually small is the rarer event. The typical rows
        are those whose score, with scales from every training row, is
        within the ``1 - contamination`` quantile (0.9 with a thresholder):
        anomalies in the training rows would otherwise raise the scales of
        the features they break, and so hide. Fitted on an evenly spaced
        sample of the training rows when there are many. Without it, the
        score is the plain mean error and the loosely reconstructed
        features dominate it.

    Attributes
    ----------
    error_scale_ : ndarray of shape (n_features,)
        Each feature's error scale (its mean error on the typical training
        rows, floored), which its errors are divided by; ones without
        ``normalize_errors``.

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

    def __init__(self, hidden_sizes=(64, 32), activation="relu", dropout=0.0,
                 batch_norm=False, normalize_errors=True, contamination=0.1,
                 preprocessing="standard", loss="mse", epochs="auto", batch_size=256, lr=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, early_stopping=True, patience=10,
                 gradient_clip=5.0, mixed_precision=False, compile=False,
                 device="auto", random_state=None, verbose=0):
        self._store_init_arguments(locals())

    def _check_params(self):
        check_sizes("hidden_sizes", self.hidden_sizes)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_float("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_choice("batch_norm", self.batch_norm, (True, False))
        self._check_normalize_errors()

    def _build_module(self):
        return MLPAutoEncoder(self.n_features_in_, self.hidden_sizes, self.activation,
                              self.dropout, self.batch_norm)
