"""DenoisingAE: corrupt the input during training only; score the clean input."""

import torch

from .._validation import check_choice, check_float
from .deep import DeepAE


class DenoisingAE(DeepAE):
    """Denoising autoencoder: learns to rebuild clean rows from corrupted ones.

    Corruption happens in training only; ``decision_function`` and
    ``reconstruct`` always see the clean input.

    Parameters
    ----------
    noise : {'gaussian', 'mask'}, default='gaussian'
        'gaussian' adds N(0, noise_level²) in scaled units; 'mask' sets each
        value to 0 (the scaled mean) with probability ``noise_level``.
    noise_level : float >= 0, default=0.2
        Standard deviation ('gaussian') or masking probability ('mask', < 1).

    Examples
    --------
    >>> import numpy as np
    >>> from pyod_aeplus import DenoisingAE
    >>> X = np.random.default_rng(0).normal(size=(200, 6))
    >>> clf = DenoisingAE(noise="mask", noise_level=0.3, epochs=2, random_state=0).fit(X)
    >>> clf.reconstruct(X[:3]).shape  # in the units of X
    (3, 6)
    """

    def __init__(self, noise="gaussian", noise_level=0.2, hidden_sizes=(64, 32),
                 activation="relu", dropout=0.0, batch_norm=False, normalize_errors=True,
                 contamination=0.1, preprocessing="standard", loss="mse", epochs="auto",
                 batch_size=256, lr=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, early_stopping=True, patience=10,
                 gradient_clip=5.0, mixed_precision=False, compile=False,
                 device="auto", random_state=None, verbose=0):
        self._store_init_arguments(locals())

    def _check_params(self):
        super()._check_params()
        check_choice("noise", self.noise, ("gaussian", "mask"))
        high = 1.0 if self.noise == "mask" else None
        check_float("noise_level", self.noise_level, 0.0, high, high_open=high is not None)

    def corrupt(self, x, generator):
        """Corrupted copy of the scaled batch ``x`` (used in training only)."""
        if self.noise == "gaussian":
            return x + self.noise_level * torch.randn(
                x.shape, generator=generator, device=x.device, dtype=x.dtype)
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= self.noise_level
        return x * keep

    def _training_loss(self, module, x, generator):
        # Only the training loss sees corruption; validation and scoring
        # go through _feature_errors, which uses the clean rows.
        if not module.training:
            return super()._training_loss(module, x, generator)
        reconstruction = module(self.corrupt(x, generator))[0]
        return self._element_errors(x, reconstruction).mean(dim=1)
