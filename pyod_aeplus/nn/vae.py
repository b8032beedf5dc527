"""Variational autoencoder with a Gaussian encoder and a Gaussian decoder."""

import torch
from torch import nn

from .mlp import mlp_stack

# Bounds on the decoder's log-variance: without them one feature that the
# network reconstructs perfectly drives its variance to zero and the
# likelihood (and so the loss) to infinity.
LOGVAR_MIN, LOGVAR_MAX = -8.0, 8.0


DECODER_VARIANCES = ("bounded", "feature", "row")
# How far ('bounded') the decoder may move a feature's log-variance for one row:
# a factor of e either way around the feature's own learned variance.
VARIANCE_REACH = 1.0


class FeatureLogVariance(nn.Module):
    """One learned log-variance per feature, the same for every row."""

    def __init__(self, n_features):
        super().__init__()
        self.logvar = nn.Parameter(torch.zeros(n_features))

    def forward(self, h):
        return self.logvar.expand(h.shape[0], -1)


class BoundedLogVariance(FeatureLogVariance):
    """Each feature's learned log-variance, moved for each row by at most ``VARIANCE_REACH``."""

    def __init__(self, n_in, n_features):
        super().__init__(n_features)
        self.row = nn.Linear(n_in, n_features)

    def forward(self, h):
        return super().forward(h) + VARIANCE_REACH * torch.tanh(self.row(h))


class GaussianVAE(nn.Module):
    """``q(z|x) = N(mu_z, diag sigma_z^2)`` and ``p(x|z) = N(mu_x, diag sigma_x^2)``.

    The decoder's variance is what lets the score be a reconstruction
    *probability* (An & Cho, 2015) rather than a plain error.
    ``decoder_variance``: 'row', the decoder predicts it for every row (which
    lets the network give a row it reconstructs badly a wide variance, and so
    a likelihood that hides the error); 'feature', one learned variance per
    feature; 'bounded', each feature's learned variance, which the decoder
    may move for a row by a factor of at most e either way.
    """

    def __init__(self, n_features, hidden_sizes, latent_size, activation="relu",
                 dropout=0.0, batch_norm=False, decoder_variance="bounded"):
        super().__init__()
        enc_sizes = [int(n_features), *map(int, hidden_sizes)]
        self.encoder = mlp_stack(enc_sizes, activation, dropout, batch_norm)
        self.z_mean = nn.Linear(enc_sizes[-1], latent_size)
        self.z_logvar = nn.Linear(enc_sizes[-1], latent_size)
        dec_sizes = [int(latent_size), *map(int, reversed(hidden_sizes))]
        self.decoder = mlp_stack(dec_sizes, activation, dropout, batch_norm)
        self.x_mean = nn.Linear(dec_sizes[-1], n_features)
        if decoder_variance == "row":
            self.x_logvar = nn.Linear(dec_sizes[-1], n_features)
        elif decoder_variance == "bounded":
            self.x_logvar = BoundedLogVariance(dec_sizes[-1], n_features)
        else:
            self.x_logvar = FeatureLogVariance(n_features)

    def encode(self, x):
        """Return the posterior's mean and log-variance."""
        h = self.encoder(x)
        return self.z_mean(h), self.z_logvar(h).clamp(LOGVAR_MIN, LOGVAR_MAX)

    def decode(self, z):
        """Return the likelihood's mean and log-variance."""
        h = self.decoder(z)
        return self.x_mean(h), self.x_logvar(h).clamp(LOGVAR_MIN, LOGVAR_MAX)

    def forward(self, x, eps=None):
        """Decode ``mu_z + sigma_z * eps`` (``eps=None``: the posterior mean).

        Returns ``(x_mean, x_logvar, z_mean, z_logvar)``.
        """
        z_mean, z_logvar = self.encode(x)
        z = z_mean if eps is None else z_mean + torch.exp(0.5 * z_logvar) * eps
        x_mean, x_logvar = self.decode(z)
        return x_mean, x_logvar, z_mean, z_logvar
