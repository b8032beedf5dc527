"""ConvAE: convolutional autoencoder for sequences (1-D) and images (2-D)."""

import math

import numpy as np

from .._validation import check_choice, check_int, check_sizes
from ..base import BaseAutoEncoder
from ..nn import ACTIVATIONS, ConvAutoEncoder


class ConvAE(BaseAutoEncoder):
    """Convolutional autoencoder scored by reconstruction error.

    Rows may come flat, ``(n_samples, prod(input_shape))``, or shaped,
    ``(n_samples, *input_shape)``; they are scaled and reshaped for the
    network.

    Parameters
    ----------
    input_shape : tuple of int or None, default=None
        Shape of one row: ``(length,)`` or ``(1, length)`` for a sequence,
        ``(height, width)`` or ``(channels, height, width)`` for an image
        (see Notes). None treats each flat row as one sequence of
        ``n_features`` values.
    channels : tuple of int, default=(16, 32)
        Output channels of each strided convolution (each halves the size).
    code_size : int, default=32
        Width of the dense code.
    kernel_size : int, default=5
        Odd kernel size.
    activation : str, default='relu'
        Activation name.

    preprocessing : {'global', 'standard', 'minmax', 'robust', None}, default='global'
        'global': one mean and standard deviation per channel, over every
        position of every training row, so an image or a sequence keeps its
        shape (dark and bright pixels, quiet and busy stretches). Per-pixel
        scaling ('standard') instead blows the noise of near-constant pixels
        up to the size of the signal. Test ROC-AUC, 'standard' against
        'global': MNIST one-class (digit 1 normal, 3 anomalous) 0.980 against
        0.996, ECG5000 beats as sequences 0.960 against 0.993. Rows of
        unrelated features on different scales want 'standard'.

    Notes
    -----
    A 2-tuple ``(1, L)`` is a one-channel sequence; any other 2-tuple
    ``(H, W)`` is a one-channel image. 3-tuples are ``(C, H, W)`` images.

    Examples
    --------
    >>> import numpy as np
    >>> from pyod_aeplus import ConvAE
    >>> images = np.random.default_rng(0).random(size=(64, 8, 8))
    >>> clf = ConvAE(input_shape=(8, 8), channels=(4, 8), code_size=4, epochs=2,
    ...              random_state=0).fit(images)
    >>> clf.n_features_in_  # each image is one row of 8 x 8 values
    64
    >>> clf.decision_function(images[:3]).shape
    (3,)
    >>> clf.decision_function(images[:3].reshape(3, 64)).shape  # flat rows too
    (3,)
    """

    _size_parameters = "channels and code_size"

    def __init__(self, input_shape=None, channels=(16, 32), code_size=32, kernel_size=5,
                 activation="relu", contamination=0.1, preprocessing="global", loss="mse",
                 epochs="auto", batch_size=256, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, early_stopping=True, patience=10,
                 gradient_clip=5.0, mixed_precision=False, compile=False,
                 device="auto", random_state=None, verbose=0):
        self._store_init_arguments(locals())

    def _check_params(self):
        if self.input_shape is not None:
            shape = check_sizes("input_shape", self.input_shape)
            if len(shape) > 3:
                raise ValueError(
                    f"input_shape must have 1 to 3 entries, got {self.input_shape!r}")
        check_sizes("channels", self.channels)
        check_int("code_size", self.code_size, 1)
        check_int("kernel_size", self.kernel_size, 1)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size!r}")
        check_choice("activation", self.activation, tuple(ACTIVATIONS))

    def _network_shape(self, n_features):
        """``(channels, *spatial)`` for the network, checked against ``n_features``."""
        if self.input_shape is None:
            return (1, n_features)
        shape = tuple(int(s) for s in self.input_shape)
        if math.prod(shape) != n_features:
            raise ValueError(
                f"input_shape {self.input_shape!r} holds {math.prod(shape)} values, "
                f"but X has {n_features} features"
            )
        if len(shape) == 1:
            return (1, shape[0])
        if len(shape) == 2:
            return shape if shape[0] == 1 else (1, *shape)
        return shape

    def _as_rows(self, X):
        ndim = getattr(X, "ndim", None)
        if ndim is None or ndim <= 2:
            return X
        X = np.asarray(X)
        if self.input_shape is None or tuple(X.shape[1:]) != tuple(self.input_shape):
            raise ValueError(
                f"ConvAE got X of shape {X.shape}; a {ndim}-D X must be "
                f"(n_samples, *input_shape) with input_shape={self.input_shape!r}"
            )
        return X.reshape(X.shape[0], -1)

    def _scoring_row_bytes(self, n_features):
        # The first convolution's output (channels[0] values per input value,
        # before striding) dominates the activations.
        return 4 * (8 + 4 * max(self.channels)) * n_features

    def _fit_scaling(self, X):
        # 'global' is taken per channel: each colour of an image keeps its own
        # scale, and within a channel every position shares it (a flat row is
        # the channels one after the other).
        if self.preprocessing != "global":
            return super()._fit_scaling(X)
        n_channels = self._network_shape(X.shape[1])[0]
        fitted = [super(ConvAE, self)._fit_scaling(block)
                  for block in np.split(X, n_channels, axis=1)]
        return (np.concatenate([center for center, _ in fitted]),
                np.concatenate([scale for _, scale in fitted]))

    def _build_module(self):
        return ConvAutoEncoder(self._network_shape(self.n_features_in_), self.channels,
                               self.code_size, self.kernel_size, self.activation)
