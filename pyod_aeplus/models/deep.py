"""DeepAE: a multi-layer autoencoder, decoder mirrored from the encoder."""

import numpy as np
import torch

from .._validation import check_choice, check_float, check_sizes
from ..base import BaseAutoEncoder, chunkwise
from ..nn import ACTIVATIONS, MLPAutoEncoder


# Smallest error scale, as a share of the mean over features.
ERROR_FLOOR = 0.1


class DeepAE(BaseAutoEncoder):
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
        Divide each feature's error by its mean error on the training rows
        (at least a tenth of the mean over all features) before averaging.
        A feature that the network reconstructs closely then counts as much
        as one it reconstructs loosely: a large error where errors are
        usually small is the rarer event. Without it, the score is the plain
        mean error and the loosely reconstructed features dominate it.

    Attributes
    ----------
    error_scale_ : ndarray of shape (n_features,)
        Each feature's error scale (its mean error on the training rows,
        floored), which its errors are divided by; ones without
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
        check_choice("normalize_errors", self.normalize_errors, (True, False))

    def _build_module(self):
        return MLPAutoEncoder(self.n_features_in_, self.hidden_sizes, self.activation,
                              self.dropout, self.batch_norm)

    def _after_training(self, module, X, progress):
        # One pass over the training rows for each feature's mean error; the
        # engine then scores the rows (a second pass) with the scales in place.
        n_rows, n_features = X.shape
        self.error_scale_ = np.ones(n_features, dtype=np.float32)
        if self.normalize_errors:
            device = next(module.parameters()).device
            step = self._chunk_rows(n_features)

            def chunk_errors(lo):
                x = X[lo:lo + step].to(device, non_blocking=True)
                return self._element_errors(x, self._reconstruct(module, x)).sum(dim=0)

            # Summed in chunk order, whatever the threads: the same scales.
            total = torch.zeros(n_features, dtype=torch.float64, device=device)
            for errors in chunkwise(chunk_errors, range(0, n_rows, step), device, progress):
                total += errors
            mean = total / n_rows
            floor = ERROR_FLOOR * mean.mean() + 1e-12  # a perfectly rebuilt feature: no 1/0
            self.error_scale_ = torch.maximum(mean, floor).float().cpu().numpy()
        return None

    def _post_training_chunks(self, n_rows, n_features):
        passes = 2 if self.normalize_errors else 1
        return passes * super()._post_training_chunks(n_rows, n_features)

    def _feature_errors(self, module, x):
        errors = super()._feature_errors(module, x)
        if self.normalize_errors:
            errors = errors / torch.as_tensor(self.error_scale_, device=x.device, dtype=x.dtype)
        return errors
