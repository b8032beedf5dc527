"""VAE: variational autoencoder scored by reconstruction probability (An & Cho, 2015)."""

import math

import torch

from .._validation import check_choice, check_float, check_int, check_sizes
from ..base import BaseAutoEncoder, TrimmedLoss
from ..nn import ACTIVATIONS, GaussianVAE
from ..nn.vae import DECODER_VARIANCES

SCORE_TYPES = ("reconstruction_probability", "elbo", "mse")


class VAE(TrimmedLoss, BaseAutoEncoder):
    """Variational autoencoder.

    Trained on the negative ELBO: the likelihood of the row under the
    decoder (Gaussian for ``loss='mse'``, Laplace for ``loss='mae'``, each
    with a learned per-feature scale) plus ``beta`` times the KL divergence
    of the posterior from N(0, I). The KL term is on by default. In every
    batch the rows with the largest loss (``trim_fraction``) are left out,
    so the anomalies among the training rows neither shape the decoder's
    means nor widen its variances, which would make them likely.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(64, 32)
        Encoder widths; the decoder mirrors them.
    latent_size : int, default=8
        Dimension of the latent space.
    beta : float >= 0, default=1.0
        Weight of the KL term.
    score_type : {'reconstruction_probability', 'elbo', 'mse'}
        Which outlier score ``decision_function`` gives.
        'reconstruction_probability' (default): minus the log of the mean
        likelihood over ``n_draws`` posterior draws, per feature (An & Cho,
        2015). 'elbo': the negative ELBO. 'mse': the error of the
        reconstruction at the posterior mean.
    n_draws : int, default=16
        Posterior draws per row for the sampled scores. The draws are fixed at
        ``fit`` (``score_noise_``, shared by all rows), so a fitted model
        gives identical scores on every call, in any chunking or thread.
    activation : str, default='relu'
    dropout : float in [0, 1), default=0.0
        Dropout after every hidden layer of the encoder and the decoder, in
        training only.
    decoder_variance : {'bounded', 'feature', 'row'}, default='bounded'
        The decoder's variance, which the likelihood (and so the score)
        divides each error by. 'feature': one learned variance per feature,
        shared by all rows. 'row': predicted by the decoder for each row; the
        network can then give a row it reconstructs badly (an anomaly) a wide
        variance and so a likelihood that hides its error. 'bounded': each
        feature's learned variance, which the decoder may move for a row by a
        factor of at most e either way: room for rows whose features vary
        more or less than most, none for hiding an error.
    trim_fraction : float in [0, 0.5) or 'auto', default='auto'
        Fraction of each batch's rows with the largest loss (negative ELBO)
        left out of the loss, rounded down to whole rows (a batch of fewer
        than 1 / trim_fraction rows keeps them all); 'auto' uses
        ``contamination`` (0.1 with a thresholder). 0 trains on every row:
        for clean training data.

    Attributes
    ----------
    score_noise_ : ndarray of shape (draws, latent_size)
        The standard normal posterior draws of the sampled scores, one row
        per draw, fixed at ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from pyod_aeplus import VAE
    >>> X = np.random.default_rng(0).normal(size=(200, 6))
    >>> clf = VAE(latent_size=2, epochs=2, random_state=0).fit(X)
    >>> scores = clf.decision_function(X[:4])
    >>> bool((scores == clf.decision_function(X[:4])).all())  # fixed draws: same scores
    True
    >>> clf.latent_kl(X[:4]).shape
    (4,)
    """

    _size_parameters = "hidden_sizes and latent_size"

    # validation_fraction=0.0: no rows held out, stopped on a plateau of the
    # (trimmed) training loss, which was ahead of a 10 % hold-out on the
    # Classical, embedding and synthetic-anomaly suites (research notes).
    def __init__(self, hidden_sizes=(64, 32), latent_size=8, beta=1.0,
                 score_type="reconstruction_probability", n_draws=16, activation="relu",
                 dropout=0.0, decoder_variance="bounded", trim_fraction="auto", contamination=0.1,
                 preprocessing="standard", loss="mse", epochs="auto", batch_size=256, lr=1e-3,
                 weight_decay=0.0, validation_fraction=0.0, early_stopping=True, patience=10,
                 gradient_clip=5.0, mixed_precision=False, compile=False,
                 device="auto", random_state=None, verbose=0):
        self._store_init_arguments(locals())

    def _check_params(self):
        check_sizes("hidden_sizes", self.hidden_sizes)
        check_int("latent_size", self.latent_size, 1)
        check_float("beta", self.beta, 0.0)
        check_choice("score_type", self.score_type, SCORE_TYPES)
        check_int("n_draws", self.n_draws, 1)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_float("dropout", self.dropout, 0.0, 1.0, high_open=True)
        self._check_trim_fraction()
        check_choice("decoder_variance", self.decoder_variance, DECODER_VARIANCES)

    def _scoring_row_bytes(self, n_features):
        # Every posterior draw decodes the row: means, log-variances and
        # likelihoods of each draw, and the widest layer's activations.
        widest = max([n_features, *self.hidden_sizes])
        return 4 * (self.n_draws * (4 * n_features + 2 * widest) + 8 * n_features)

    def _build_module(self):
        return GaussianVAE(self.n_features_in_, self.hidden_sizes, self.latent_size,
                           self.activation, self.dropout, decoder_variance=self.decoder_variance)

    def _prepare_fit(self, X, generator):
        noise = torch.randn((self.n_draws, self.latent_size), generator=generator,
                            device=generator.device)
        self.score_noise_ = noise.cpu().numpy()

    # -- likelihood and KL ------------------------------------------------
    def _element_nll(self, x, mean, logvar):
        """Negative log-likelihood of every value (Gaussian or Laplace)."""
        if self.loss == "mse":
            return 0.5 * (math.log(2 * math.pi) + logvar + (x - mean).square() * torch.exp(-logvar))
        log_b = 0.5 * logvar
        return math.log(2.0) + log_b + (x - mean).abs() * torch.exp(-log_b)

    @staticmethod
    def _kl(z_mean, z_logvar):
        """KL(q(z|x) || N(0, I)) of each row."""
        return 0.5 * (z_mean.square() + z_logvar.exp() - 1.0 - z_logvar).sum(dim=1)

    def _training_loss(self, module, x, generator):
        eps = torch.randn((x.shape[0], self.latent_size), generator=generator,
                          device=x.device, dtype=x.dtype)
        x_mean, x_logvar, z_mean, z_logvar = module(x, eps)
        nll = self._element_nll(x, x_mean, x_logvar).sum(dim=1)
        # Divided by the width so that lr means the same for any n_features.
        return (nll + self.beta * self._kl(z_mean, z_logvar)) / x.shape[1]

    def _sampled_nll(self, module, x):
        """Per-value NLL under each fixed posterior draw: ``(rows, n_draws, features)``.

        Rows come first, so every reduction over draws or features runs within
        a row's own values: reduced over a leading draws axis, a row's score
        depended on how many rows were scored with it (by 1-2 float32 ulps).
        """
        z_mean, z_logvar = module.encode(x)
        # A copy: score_noise_ may be a read-only memory map (joblib's mmap_mode).
        noise = torch.tensor(self.score_noise_, device=x.device, dtype=x.dtype)
        z = z_mean.unsqueeze(1) + torch.exp(0.5 * z_logvar).unsqueeze(1) * noise.unsqueeze(0)
        x_mean, x_logvar = module.decode(z.reshape(-1, self.latent_size))
        nll = self._element_nll(x.repeat_interleave(self.n_draws, dim=0), x_mean, x_logvar)
        return nll.reshape(x.shape[0], self.n_draws, x.shape[1]), z_mean, z_logvar

    # -- scores -------------------------------------------------------------
    def _reconstruct(self, module, x):
        return module(x)[0]

    def _encode(self, module, x):
        return module.encode(x)[0]

    def _feature_errors(self, module, x):
        if self.score_type == "mse":
            return super()._feature_errors(module, x)
        # Draws last and contiguous: the mean runs along each value's own draws.
        return self._sampled_nll(module, x)[0].transpose(1, 2).contiguous().mean(dim=2)

    def _row_scores(self, module, x):
        if self.score_type == "mse":
            return super()._row_scores(module, x)
        nll, z_mean, z_logvar = self._sampled_nll(module, x)
        row_nll = nll.sum(dim=2)  # (rows, n_draws)
        if self.score_type == "elbo":
            score = row_nll.mean(dim=1) + self.beta * self._kl(z_mean, z_logvar)
        else:
            # -log of the mean likelihood over the draws, computed stably.
            score = -(torch.logsumexp(-row_nll, dim=1) - math.log(self.n_draws))
        return score / x.shape[1]

    def latent_kl(self, X):
        """KL divergence of each row's posterior from the prior, shape (n_samples,)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "module_")
        X = self._validate(X, reset=False)
        return self._map_rows(X, lambda module, x: self._kl(*module.encode(x)))
