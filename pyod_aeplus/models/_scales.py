"""Per-feature error scales: the reconstruction-error detectors' ``normalize_errors``."""

import math

import numpy as np
import torch

from .._validation import check_choice
from ..base import chunkwise, evenly_spaced_index, statistics_sample_size, within_quantile

# Smallest error scale, as a share of the mean over features.
ERROR_FLOOR = 0.1


def _floored_mean(column_sums, n_rows):
    """Each feature's mean from its per-chunk float64 sums, floored at ERROR_FLOOR of their mean."""
    # Summed in chunk order, whatever the threads: the same scales.
    mean = torch.stack(column_sums).sum(dim=0) / max(1, n_rows)
    floor = ERROR_FLOOR * mean.mean() + 1e-12  # a perfectly rebuilt feature: no 1/0
    return torch.maximum(mean, floor).float()


class ErrorScales:
    """Mixin: divide each feature's error by its mean error on the typical training rows.

    For a detector scored by the mean of its per-feature errors
    (``_feature_errors``), with a ``normalize_errors`` parameter. Sets
    ``error_scale_`` (ones without ``normalize_errors``).
    """

    def _check_normalize_errors(self):
        check_choice("normalize_errors", self.normalize_errors, (True, False))

    def _after_training(self, module, X, progress):
        # One pass over (an evenly spaced sample of) the training rows keeps
        # their errors; the engine then scores the rows with the scales in place.
        n_rows, n_features = X.shape
        self.error_scale_ = np.ones(n_features, dtype=np.float32)
        if not self.normalize_errors:
            return None
        device = next(module.parameters()).device
        step = self._chunk_rows(n_features)
        index = evenly_spaced_index(n_rows, statistics_sample_size(n_rows, n_features), X.device)

        def chunk_errors(lo):
            x = X[index[lo:lo + step]].to(device, non_blocking=True)
            errors = self._element_errors(x, self._reconstruct(module, x))
            return errors, errors.sum(dim=0, dtype=torch.float64)

        errors, sums = zip(*chunkwise(chunk_errors, range(0, len(index), step), device, progress))
        # Anomalies among the training rows would raise the scales of the
        # features they break, and so hide themselves: the scales are the
        # mean errors of the rows that the first scales (from every row) score
        # within the 1 - contamination quantile, as a threshold would.
        # Every reduction runs chunk by chunk, each chunk on one thread
        # (chunkwise), so the scales do not depend on the number of threads.
        first = _floored_mean(sums, len(index))
        sizes = torch.cat(chunkwise(lambda e: (e / first).mean(dim=1), errors, device))
        typical = within_quantile(sizes, 1 - self._expected_contamination())
        kept = typical.split([len(e) for e in errors])
        typical_sums = chunkwise(lambda pair: pair[0][pair[1]].sum(dim=0, dtype=torch.float64),
                                 list(zip(errors, kept)), device)
        self.error_scale_ = _floored_mean(typical_sums, int(typical.sum())).cpu().numpy()
        return None

    def _post_training_chunks(self, n_rows, n_features):
        scoring = super()._post_training_chunks(n_rows, n_features)
        if not self.normalize_errors:
            return scoring
        sample = statistics_sample_size(n_rows, n_features)
        return math.ceil(sample / self._chunk_rows(n_features)) + scoring

    def _feature_errors(self, module, x):
        errors = super()._feature_errors(module, x)
        if self.normalize_errors:
            errors = errors / torch.as_tensor(self.error_scale_, device=x.device, dtype=x.dtype)
        return errors
