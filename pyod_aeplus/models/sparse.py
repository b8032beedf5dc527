"""SparseAE: an L1 activity penalty on the code, which may be wider than the input."""

from .._validation import check_float
from .dense import DenseAE


class SparseAE(DenseAE):
    """Sparse autoencoder: reconstruction error + ``sparsity_weight`` × the L1 norm of the code.

    The penalty is Keras's L1 ``activity_regularizer``: the sum of the code's
    absolute activations per row, averaged over the batch.

    The penalty lets the code be wider than the input without the network
    learning the identity: only a few code units may be active per row.

    Parameters
    ----------
    code_size : int, default=32
        Width of the code layer.
    sparsity_weight : float >= 0, default=1e-3
        Weight of the L1 penalty on the code's activations.

    Examples
    --------
    >>> import numpy as np
    >>> from pyod_aeplus import SparseAE
    >>> X = np.random.default_rng(0).normal(size=(200, 6))
    >>> clf = SparseAE(code_size=16, epochs=2, random_state=0).fit(X)
    >>> clf.encode(X[:5]).shape  # a code wider than the input
    (5, 16)
    >>> clf.feature_scores(X[:5]).shape  # each value's reconstruction error
    (5, 6)
    """

    def __init__(self, code_size=32, sparsity_weight=1e-3, activation="relu",
                 normalize_errors=False, contamination=0.1, preprocessing="standard",
                 loss="mse", epochs="auto", batch_size=256, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, early_stopping=True, patience=10, gradient_clip=5.0,
                 mixed_precision=False, compile=False, device="auto", random_state=None,
                 verbose=0):
        self._store_init_arguments(locals())

    def _check_params(self):
        super()._check_params()
        check_float("sparsity_weight", self.sparsity_weight, 0.0)

    def _training_loss(self, module, x, generator):
        reconstruction, code = module(x)
        error = self._element_errors(x, reconstruction).mean(dim=1)
        return error + self.sparsity_weight * code.abs().sum(dim=1)
