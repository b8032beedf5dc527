"""Per-feature error scales: the reconstruction-error detectors' ``normalize_errors``."""

import numpy as np
import torch

from .._validation import check_choice
from ..base import chunkwise

# Smallest error scale, as a share of the mean over features.
ERROR_FLOOR = 0.1


class ErrorScales:
    """Mixin: divide each feature's error by its mean error on the training rows.

    For a detector scored by the mean of its per-feature errors
    (``_feature_errors``), with a ``normalize_errors`` parameter. Sets
    ``error_scale_`` (ones without ``normalize_errors``).
    """

    def _check_normalize_errors(self):
        check_choice("normalize_errors", self.normalize_errors, (True, False))

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
