"""DenseAE: the tutorials' "simple" autoencoder, one code layer."""

from .._validation import check_choice, check_int
from ..base import BaseAutoEncoder
from ..nn import ACTIVATIONS, MLPAutoEncoder
from ._scales import ErrorScales


class DenseAE(ErrorScales, BaseAutoEncoder):
    """Simple autoencoder: input → code (``code_size``) → input, scored by reconstruction error.

    Parameters
    ----------
    code_size : int, default=8
        Width of the single code layer.
    activation : str, default='relu'
        Activation of the code layer (see ``pyod_aeplus.nn.ACTIVATIONS``).
    normalize_errors : bool, default=False
        Divide each feature's error by its mean error on the typical
        training rows (floored at a tenth of the mean over features) before
        averaging, as
        :class:`DeepAE` does by default. Here off by default: the plain mean
        error, as in the tutorials.

    Attributes
    ----------
    error_scale_ : ndarray of shape (n_features,)
        Each feature's error scale, which its errors are divided by; ones
        without ``normalize_errors``.

    Examples
    --------
    >>> import numpy as np
    >>> from pyod_aeplus import DenseAE
    >>> X = np.random.default_rng(0).normal(size=(200, 6))
    >>> clf = DenseAE(code_size=3, epochs=2, random_state=0).fit(X)
    >>> clf.decision_scores_.shape
    (200,)
    >>> int(clf.labels_.sum())  # contamination=0.1 flags a tenth of the training rows
    20
    >>> clf.decision_function(X[:4]).shape
    (4,)
    """

    _size_parameters = "code_size"

    def __init__(self, code_size=8, activation="relu", normalize_errors=False, contamination=0.1,
                 preprocessing="standard", loss="mse", epochs="auto", batch_size=256, lr=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, early_stopping=True, patience=10,
                 gradient_clip=5.0, mixed_precision=False, compile=False,
                 device="auto", random_state=None, verbose=0):
        self._store_init_arguments(locals())

    def _check_params(self):
        check_int("code_size", self.code_size, 1)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        self._check_normalize_errors()

    def _build_module(self):
        return MLPAutoEncoder(self.n_features_in_, (self.code_size,), self.activation)
