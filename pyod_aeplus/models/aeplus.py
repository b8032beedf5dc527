"""AEPlus: a robust autoencoder ensemble meant as a drop-in default detector."""

import math

import numpy as np
import torch

from .._compiled import compiled_kernel
from .._tails import (TAIL_KNOTS, column_medians, fit_tails, tail_values,
                      weighted_tail_values)
from .._validation import check_choice, check_float, check_int
from ..base import (ROW_BLOCK, BaseAutoEncoder, TrimmedLoss, _row_padded, aligned_rows,
                    chunkwise, evenly_spaced_index, statistics_sample_size, within_quantile)
from ..nn import ACTIVATIONS, EnsembleAutoEncoder, ensemble_relu_layers, ensemble_step

# Each column's tails are fitted on at most TAIL_VALUES values in all.
TAIL_VALUES = 2 ** 24
# The principal-component term is fitted on at most this many rows, and
# keeps at most PCA_AXES axes: those of least variance.
PCA_ROWS, PCA_AXES = 20_000, 256


def _evenly_spaced(X, limit):
    """At most ``limit`` rows of ``X``, evenly spaced (deterministic, no generator)."""
    if X.shape[0] <= limit:
        return X
    return X[evenly_spaced_index(X.shape[0], limit, X.device)]


def _squared_norms(rows, block_values=2 ** 18):
    """Each row's sum of squares: ``(rows,)``, block by block of rows.

    The same values as ``rows.square().sum(dim=1)`` (each row is summed
    alone), without a temporary the size of ``rows``: a fresh allocation of
    tens of megabytes costs more in page faults than the arithmetic.
    """
    step = max(1, block_values // max(1, rows.shape[1]))
    return torch.cat([block.square().sum(dim=1) for block in rows.split(step)])


def _middle(ordered, count):
    """The median of ``ordered`` ``(members, rows, features)`` (sorted along the members) over
    its first ``count`` members: the mean of the two middle values for an even count.

    ``count`` is an int or a ``(1, features)`` tensor of counts per feature.
    """
    if isinstance(count, int):
        lower, upper = ordered[(count - 1) // 2], ordered[count // 2]
    else:
        count = count.long().expand(ordered.shape[1:]).unsqueeze(0)
        lower = ordered.gather(0, ((count - 1) // 2).clamp(min=0)).squeeze(0)
        upper = ordered.gather(0, count // 2).squeeze(0)
    return 0.5 * (lower + upper)


def _padded_row_array(x):
    """A C-contiguous array of ``x``'s rows with the padding they are laid out with.

    ``(rows, row stride)``, sharing ``x``'s memory: compiled loops over a
    contiguous array are vectorised, over a strided one they are not.
    """
    rows, width = x.shape
    if x.stride(1) != 1 or x.stride(0) < width or rows == 0 or (
            x.storage_offset() + rows * x.stride(0)
            > x.untyped_storage().nbytes() // x.element_size()):
        return np.ascontiguousarray(x.numpy())
    return torch.as_strided(x, (rows, x.stride(0)), (x.stride(0), 1)).numpy()


def _auto_or_int(name, value):
    if value != "auto":
        check_int(name, value, 1)


class AEPlus(TrimmedLoss, BaseAutoEncoder):
    """Robust autoencoder ensemble: a tuning-free default detector.

    Components, each a parameter so it can be switched off:

    - **Ensemble** (``n_estimators``): small autoencoders trained side by side
      in one batched network, each from its own initialisation, each seeing
      its own random subset of features (``feature_fraction``); each
      feature's error is the median of the members' errors on it
      (``member_error``), which lowers the variance from seed to seed and
      is not carried by one member that reconstructs a value badly.
    - **Trimmed loss** (``trim_fraction``): in every batch each member ignores
      the rows it reconstructs worst, so anomalies in the training data are
      not learned as normal (as in robust collaborative autoencoders).
    - **Tail scores** (``tail_scores``): each feature's error (over the
      members) is scored by how rare it is among the training rows'
      errors of that feature, −log of its tail probability: its rank among
      quantile knots below the 90th percentile (interpolated between the
      knots, so the score is continuous), a heavy (log-growing) tail above
      it; the row's score is the mean over features. Ranking each feature
      against its own training errors is what keeps one noisy or
      heavy-tailed column from dominating. A value far outside the training
      range still raises the score without bound, but logarithmically, so a
      row unusual in many features can outrank one extreme in a single
      feature (as with ECOD).
    - **Normalised errors** (``normalize_errors``), without tail scores:
      each member's error on each feature is divided by its mean on the
      training rows, and the members' mean normalised errors are
      standardised by their median and IQR and averaged. (With tail scores
      a division by a constant would change no rank, so there is none.)
    - **Marginal term** (``marginal``): each value's squared distance from
      the feature's training median, scored the same way and weighing as
      one more member (a member with an empty code): it finds rows that are
      extreme along directions the networks reconstruct well.
    - **Principal-component term on the residuals** (``pca_weight``): what
      the ensemble leaves unexplained in each row (the clipped row minus the
      members' averaged reconstruction) is projected on the principal axes
      of the typical training rows' residuals (those within the ``1 - trim``
      quantile of residual size; at most 256 axes, those of least variance,
      where the typical residuals are tightest), each coordinate divided by
      its axis's spread (a Mahalanobis distance of the error vector, axis by
      axis, as in EncDec-AD, Malhotra et al. 2016), scored by rarity the
      same way and shared out to the features by the squared loadings. The
      per-feature scores treat errors one feature at a time; this term finds
      rows whose errors break the correlations that normal rows' errors
      have, which matters most on data with many independent directions
      that the narrow codes cannot model.
    - **Normalisers fitted on the typical rows** (``typical_rows``): the
      marginal term's centre, the principal axes and the tails (and without
      tail scores each feature's mean error) are fitted on the training rows
      whose residual is within the ``1 - trim`` quantile (the rows the
      trimmed loss treats as normal); the principal axes keep their own trim
      within those. Fitted on all
      rows, the anomalies among them stretch each normaliser towards
      themselves and look less rare; this matters most on small
      contaminated sets.
    - **Clipped input** (``clip``): the network sees scaled values clipped to
      [-``clip``, ``clip``], so extreme values do not distort training; the error is taken
      against the unclipped value, so they still score as extreme.
    - **Sizing from the data** (``hidden_size``, ``code_size``, ``epochs``,
      ``batch_size`` = 'auto'): narrow codes, the members' widths spread over
      1 … d^¼ (a tight bottleneck is what keeps anomalies from being
      reconstructed; a spread of widths hedges against any one being wrong
      for the data), at most 30 epochs so small sets are not memorised, and at
      most about 600 optimiser steps (what 30 epochs of 5,000 rows take): on
      large sets longer training costs time and memorises more of a
      contaminated set's anomalies.

    Parameters
    ----------
    n_estimators : int, default=8
        Members of the ensemble.
    feature_fraction : float in (0, 1], default=1.0
        Fraction of the features each member sees.
    member_error : {'median', 'mean'}, default='median'
        With tail scores: each feature's error is the median of the errors
        of the members that see it (the mean of the two middle ones for an
        even count), or their mean.
    trim_fraction : float in [0, 0.5) or 'auto', default='auto'
        Fraction of each batch's worst-reconstructed rows left out of each
        member's loss, rounded down to whole rows (a batch of fewer than
        1 / trim_fraction rows keeps them all); 'auto' uses ``contamination``
        (0.1 with a thresholder).
    normalize_errors : bool, default=True
        With ``tail_scores=False``: divide each member's error on each feature
        by its mean on the training rows. (No effect with tail scores.)
    tail_scores : bool, default=True
        Score each feature's error by its rarity on the training rows.
    marginal : bool, default=True
        Add the marginal term (distance from the training median).
    pca_weight : float in [0, 1), default=0.6
        Share of each feature's score that comes from the principal-component
        term (0: off); the rest is the ensemble's (networks and marginal term).
        Fitting it costs O(n·d·min(n, d) + min(n, d)³) for n ≤ 20,000 rows
        and d features (set 0 for data both long and very wide); scoring a
        row costs O(d · min(d, 256)).
    typical_rows : bool, default=True
        Fit the score's normalisers on the typical training rows only.
    clip : float or None, default=5.0
        Clip the network's scaled input to ±clip.
    hidden_size, code_size : int or 'auto', default='auto'
        'auto': member ``i`` gets a code of width ``1 + i mod c`` with
        c = max(2, round(d ** 0.25)); hidden = clip(4·c, 16, 128). An int gives
        every member that width.
    activation : str, default='relu'
        Activation of the members' hidden layers.
    preprocessing : {'standard', 'minmax', 'robust', None}, default='robust'
        Per-feature scaling fitted on the training rows. AEPlus's default is
        median / inter-quartile range scaling (the engine's is 'standard').
    epochs : int or 'auto', default='auto'
        Most passes over the training rows. 'auto': 30, fewer when that would
        take more than about 600 optimiser steps (the engine's budget is
        about 3000).
    batch_size : int or 'auto', default='auto'
        Rows per step. 'auto': clip(n / 16, 16, 256) for n training rows, so
        small sets still get about 16 steps per epoch (the engine's default
        is 256).
    validation_fraction : float in [0, 1), default=0.0
        Rows held out to monitor the loss. AEPlus's default, 0, stops on a
        plateau of its (trimmed) training loss (the engine's is 0.1).

    Attributes
    ----------
    feature_masks_ : ndarray of shape (n_estimators, n_features)
        1 where a member sees a feature (``feature_fraction``), else 0.

    Notes
    -----
    After training, one chunked pass over the training rows computes each
    row's terms (errors and residuals), and every statistic of the score is
    fitted from them; on long sets the pass covers an evenly spaced sample
    of at most max(2048, 2**22 / n_features) rows, and the other rows are
    scored after it. The training rows' scores (``decision_scores_``) come
    from the same function as ``decision_function``'s, so they are equal.

    The score's other fitted normalisers (the marginal term's centre, the
    principal axes, the tails' knots) are attributes ending in ``_`` too;
    they are internal and may change between versions.

    Examples
    --------
    >>> import numpy as np
    >>> from pyod_aeplus import AEPlus
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 5))
    >>> X[:10] += 6  # ten contaminating rows in the training data
    >>> clf = AEPlus(contamination=0.05, epochs=2, random_state=0).fit(X)
    >>> bool(clf.decision_scores_[:10].min() > np.median(clf.decision_scores_))
    True
    >>> clf.feature_scores(X[:2]).shape  # each feature's rarity: what made a row abnormal
    (2, 5)
    """

    _auto_batch_size = True
    # At most about 600 optimiser steps: what 30 epochs of a 5,000-row set
    # take. Longer training memorises more of a contaminated set's anomalies
    # and costs time on large sets without gaining accuracy (measured on the
    # large development sets, trained uncapped: research notes).
    _max_steps = 600
    # A chunk's tail scores read every tail column's table (2 KB a column, 4.6
    # MB at 1,000 features) from memory again, the network's pass having
    # pushed it out of the caches: with 170-row chunks (16 MB at 1,000
    # features) that reload took half the tail kernel's time. Where threads
    # are few, chunks grow to 512 rows, the kernel's tile (research notes).
    _min_chunk_rows = 512

    _size_parameters = "hidden_size and code_size (as ints), or n_estimators"

    def __init__(self, n_estimators=8, feature_fraction=1.0, member_error="median",
                 trim_fraction="auto",
                 normalize_errors=True, tail_scores=True, marginal=True, pca_weight=0.6,
                 typical_rows=True, clip=5.0, hidden_size="auto", code_size="auto",
                 activation="relu", contamination=0.1, preprocessing="robust", loss="mse",
                 epochs="auto", batch_size="auto", lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.0, early_stopping=True, patience=10,
                 gradient_clip=5.0, mixed_precision=False, compile=False,
                 device="auto", random_state=None, verbose=0):
        self._store_init_arguments(locals())

    # -- parameters and sizes ---------------------------------------------------
    def _check_params(self):
        check_int("n_estimators", self.n_estimators, 1)
        check_float("feature_fraction", self.feature_fraction, 0.0, 1.0, low_open=True)
        check_choice("member_error", self.member_error, ("median", "mean"))
        self._check_trim_fraction()
        check_choice("normalize_errors", self.normalize_errors, (True, False))
        check_choice("tail_scores", self.tail_scores, (True, False))
        check_choice("marginal", self.marginal, (True, False))
        check_float("pca_weight", self.pca_weight, 0.0, 1.0, high_open=True)
        check_choice("typical_rows", self.typical_rows, (True, False))
        if self.clip is not None:
            check_float("clip", self.clip, 0.0, low_open=True)
        _auto_or_int("hidden_size", self.hidden_size)
        _auto_or_int("code_size", self.code_size)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))

    def _sizes(self):
        d = self.n_features_in_
        code = max(2, round(d ** 0.25)) if self.code_size == "auto" else self.code_size
        hidden = min(128, max(16, 4 * code)) if self.hidden_size == "auto" else self.hidden_size
        return hidden, code

    def _scoring_row_bytes(self, n_features):
        # Each member's reconstruction (its errors are taken in place) and
        # activations, the tail columns (at most 3 per feature) with their
        # scores and copies, the terms.
        hidden, _ = self._sizes()
        return 4 * (self.n_estimators * (n_features + 3 * hidden) + 16 * n_features)

    def _auto_batch(self, n_rows):
        # Small sets still get about 16 steps per epoch.
        return int(min(256, max(16, n_rows // 16)))

    # -- network and training -----------------------------------------------------
    def _prepare_fit(self, X, generator):
        d = X.shape[1]
        n_seen = max(1, math.ceil(self.feature_fraction * d))
        masks = torch.zeros(self.n_estimators, d)
        for member in range(self.n_estimators):
            order = torch.randperm(d, generator=generator, device=generator.device).cpu()
            masks[member, order[:n_seen]] = 1.0
        self.feature_masks_ = masks.numpy()

    def _code_widths(self):
        """Code width of each member: 'auto' spreads them over 1 … d^¼."""
        _, code = self._sizes()
        if self.code_size != "auto":
            return [code] * self.n_estimators
        return [1 + member % code for member in range(self.n_estimators)]

    def _build_module(self):
        hidden, code = self._sizes()
        return EnsembleAutoEncoder(self.n_features_in_, self.n_estimators, hidden, code,
                                   self.activation, code_widths=self._code_widths(),
                                   input_masks=self.feature_masks_)

    def _clipped(self, x):
        return x if self.clip is None else x.clamp(-self.clip, self.clip)

    def _training_loss(self, module, x, generator):
        # Training targets are clipped too: the network learns the clipped
        # data, and only scoring compares against the raw values.
        errors = self._member_errors(module, self._clipped(x))
        return errors.sum(dim=2) / module.input_mask.sum(dim=2)  # (members, rows)

    def _fused_step(self, module, device):
        # On a CPU the ReLU ensemble trains with a hand-written backward pass
        # (ensemble_step): the same loss and gradients as _training_loss and
        # _reduce_loss through autograd, without autograd's per-node work.
        if (self.compile or self.mixed_precision or device.type != "cpu"
                or ensemble_relu_layers(module) is None):
            return None
        trim = self._trim()
        return lambda x: ensemble_step(module, self._clipped(x), trim=trim, loss=self.loss)

    # -- the per-row terms every statistic and score is made of ---------------------------
    def _row_terms(self, module, x):
        """``(errors, residuals)`` of the scaled rows ``x``, from one forward pass.

        ``errors`` ``(rows, features)``: each feature's error averaged over the
        members that see it, taken against ``x`` itself (the network sees the
        clipped rows, so a value far outside the clip still scores as
        extreme). ``residuals``: what the ensemble leaves unexplained, the
        clipped rows minus the members' averaged reconstruction.
        """
        # Each row 64-byte aligned, as the engine lays out the rows it scores:
        # a row's products then do not depend on the other rows (see padded_rows).
        clipped = aligned_rows(self._clipped(x))
        kernel = None
        if x.device.type == "cpu" and module.shared_input and not torch.is_grad_enabled():
            kernel = compiled_kernel("models._aeplus_kernel", "member_means")
        if kernel is not None:
            # The same values as below, in one pass over the reconstructions.
            hidden, _ = module.last_hidden(clipped)
            last = module.decoder[2]
            products = np.ascontiguousarray(last.product(hidden).numpy())
            errors = x.new_empty(x.shape)
            residuals = x.new_empty(x.shape)
            kernel(products, last.bias.detach().squeeze(1).numpy(), _padded_row_array(x),
                   _padded_row_array(clipped), self.loss == "mse", self.member_error == "median",
                   errors.numpy(), residuals.numpy())
            return errors, residuals
        reconstructions = module(clipped)[0]  # (members, rows, features)
        if module.shared_input:
            averaged = reconstructions.mean(dim=0)
            # In place: the members' reconstructions are the largest tensor here.
            differences = reconstructions.sub_(x)
            errors = (differences.square_() if self.loss == "mse" else differences.abs_())
            if self.member_error == "median":
                return _middle(errors.sort(dim=0).values, errors.shape[0]), clipped - averaged
            return errors.mean(dim=0), clipped - averaged
        mask = module.input_mask
        seen = mask.sum(dim=0)  # (1, features)
        averaged = (reconstructions * mask).sum(dim=0) / seen.clamp(min=1.0)
        errors = self._element_errors(x, reconstructions)
        if self.member_error == "median":
            # The members that do not see a feature sort last, and the middle
            # is that of the members that do; a feature no member sees has 0.
            ordered = errors.masked_fill_(mask == 0, torch.inf).sort(dim=0).values
            return _middle(ordered, seen).nan_to_num_(posinf=0.0), clipped - averaged
        return (errors * mask).sum(dim=0) / seen.clamp(min=1.0), clipped - averaged

    def _marginal_errors(self, x):
        """Error of "reconstructing" every row by the training median: ``(rows, features)``."""
        center = torch.as_tensor(self.marginal_center_, device=x.device, dtype=x.dtype)
        return self._element_errors(x, center)

    def _pca_values(self, residuals):
        """Squared whitened coordinates of the rows' residuals: ``(rows, axes)``.

        Taken on the clipped rows, as the axes were fitted: a value far out in
        one feature already scores through the errors and the marginal term.
        """
        center = torch.as_tensor(self.pca_center_, device=residuals.device, dtype=residuals.dtype)
        whitening = torch.as_tensor(self.pca_whitening_, device=residuals.device,
                                    dtype=residuals.dtype)
        return (aligned_rows(residuals - center) @ whitening).square_()

    def _tail_columns(self, x, errors, residuals):
        """The values scored by their rarity: ``(rows, features [× 2] [+ axes])``."""
        columns = [errors]
        if self.marginal:
            columns.append(self._marginal_errors(x))
        if self.pca_weight > 0:
            columns.append(self._pca_values(residuals))
        return torch.cat(columns, dim=1)

    def _tail_values(self, x, errors, residuals):
        """−log of each column's tail probability on the training rows: ``(rows, columns)``."""
        return tail_values(self._tail_columns(x, errors, residuals), self.tail_knots_,
                           self.tail_threshold_, self.tail_scale_)

    def _column_weights(self, n_features):
        """Each tail column's weight in the row score: ``(columns,)``.

        The row score is the features' mean score (see ``_scores_from_terms``):
        an error column weighs 1 - 1/(members + 1) of its feature's ensemble
        share, a marginal column 1/(members + 1), and an axis its total
        squared loading over the number of axes, times ``pca_weight``.
        """
        member = 1.0 / (self.n_estimators + 1) if self.marginal else 0.0
        ensemble = 1.0 - (self.pca_weight if self.pca_weight > 0 else 0.0)
        weights = [np.full(n_features, ensemble * (1 - member) / n_features)]
        if self.marginal:
            weights.append(np.full(n_features, ensemble * member / n_features))
        if self.pca_weight > 0:
            loadings = self.pca_loadings_.astype(np.float64)
            weights.append(self.pca_weight * loadings.sum(axis=1) / max(1, loadings.shape[0]))
        return np.concatenate(weights)

    def _scores_from_terms(self, x, errors, residuals, per_feature):
        """Feature scores ``(rows, features)`` or row scores ``(rows,)`` from the row terms."""
        if not per_feature:
            # The features' mean, as one weighted sum over the tail columns,
            # without per-feature scores.
            return weighted_tail_values(self._tail_columns(x, errors, residuals),
                                        self.tail_knots_, self.tail_threshold_, self.tail_scale_,
                                        self._column_weights(x.shape[1]))
        values = self._tail_values(x, errors, residuals)
        d = x.shape[1]
        scores = values[:, :d]
        if self.marginal:
            # A feature's score: its error's rarity, and its value's weighing
            # as one more member of the ensemble (a member with an empty code).
            weight = 1.0 / (self.n_estimators + 1)
            scores = (1 - weight) * scores + weight * values[:, d:2 * d]
        if self.pca_weight == 0:
            return scores
        # Each axis's rarity is shared out to the features by its squared
        # loadings, scaled so the features' mean is the axes' mean.
        loadings = torch.as_tensor(self.pca_loadings_, device=x.device, dtype=values.dtype)
        axes = values[:, values.shape[1] - loadings.shape[0]:]
        share = d / max(1, loadings.shape[0])
        return (1 - self.pca_weight) * scores + self.pca_weight * share * (axes @ loadings)

    def _row_scores(self, module, x):
        if not self.tail_scores:
            return self._member_score_mix(self._member_scores(module, x))
        return self._scores_from_terms(x, *self._row_terms(module, x), per_feature=False)

    def _feature_errors(self, module, x):
        if not self.tail_scores:
            return self._averaged_errors(module, x)
        return self._scores_from_terms(x, *self._row_terms(module, x), per_feature=True)

    # -- statistics of the training rows, from one pass -----------------------------------
    def _sample_size(self, n_rows, n_features):
        """Training rows the statistics are fitted on (evenly spaced): all, up to a memory bound."""
        return statistics_sample_size(n_rows, n_features)

    def _post_training_chunks(self, n_rows, n_features):
        step = self._chunk_rows(n_features)
        sample = self._sample_size(n_rows, n_features)
        return math.ceil(sample / step) + math.ceil(n_rows / step)

    def _after_training(self, module, X, progress):
        """Fit every statistic of the score on the training rows; return their scores.

        One chunked pass computes the row terms (errors, residuals) of the
        training rows, or of an evenly spaced sample of them when there are
        many; every statistic is then fitted from those terms: the typical
        rows, the marginal term's centre, the principal axes and the tails.
        The training rows are then scored from their terms (those of the
        sample kept, the others computed) by the same function, chunk for
        chunk and laid out as ``decision_function`` scores them, so their
        scores equal its scores.
        """
        n_rows, d = X.shape
        device = next(module.parameters()).device
        step = self._chunk_rows(d)
        sample = self._sample_size(n_rows, d)
        index = None if sample == n_rows else evenly_spaced_index(n_rows, sample, X.device)

        def sampled_terms(lo):
            rows = X[lo:lo + step] if index is None else X[index[lo:lo + step]]
            x = rows.to(device, non_blocking=True)
            return (x, *_row_padded(self._row_terms, module, x))

        parts = chunkwise(sampled_terms, range(0, sample, step), device, progress)
        x, errors, residuals = (torch.cat(terms) for terms in zip(*parts))
        del parts
        typical = slice(None)
        if self.typical_rows:
            # Anomalies in the training rows would stretch every normaliser
            # towards themselves (a feature's error tail, the marginal tails,
            # the axes) and so make themselves look less rare: fit on the rows
            # the trimmed loss treats as normal, those whose residual is within
            # the 1 - trim quantile of residual size.
            typical = within_quantile(_squared_norms(residuals), 1 - self._trim())
        x_typical, errors_typical = x[typical], errors[typical]
        residuals_typical = residuals[typical]
        # The median of each scaled feature: the "reconstruction" of the
        # marginal term (0 under robust scaling).
        self.marginal_center_ = np.zeros(d, dtype=np.float32)
        if self.marginal:
            self.marginal_center_ = column_medians(
                _evenly_spaced(x_typical, TAIL_VALUES // d)).cpu().numpy()
        if self.pca_weight > 0:
            self._fit_pca(residuals_typical)
        if not self.tail_scores:
            self._fit_member_scores(module, x_typical)
            return None
        n_columns = d * (2 if self.marginal else 1)
        if self.pca_weight > 0:
            n_columns += self.pca_whitening_.shape[1]
        tail_rows = max(TAIL_KNOTS, TAIL_VALUES // n_columns)
        knots, threshold, scale = fit_tails(self._tail_columns(
            *(_evenly_spaced(t, tail_rows) for t in (x_typical, errors_typical,
                                                     residuals_typical))))
        self.tail_knots_ = knots.cpu().numpy()  # (columns, knots)
        self.tail_threshold_ = threshold.cpu().numpy()
        self.tail_scale_ = scale.cpu().numpy()
        del x_typical, errors_typical, residuals_typical

        def chunk_scores(lo):
            hi = min(lo + step, n_rows)
            terms = (x[lo:hi], errors[lo:hi], residuals[lo:hi]) if index is None else \
                self._chunk_terms(module, X, lo, hi, index, (x, errors, residuals), device)
            # Laid out as decision_function's chunk: rows padded to a block.
            short = -len(terms[0]) % ROW_BLOCK
            padded = [torch.cat([t, t[-1:].expand(short, -1)]) if short else t for t in terms]
            return self._scores_from_terms(*padded, per_feature=False)[:hi - lo].float().cpu()

        scores = chunkwise(chunk_scores, range(0, n_rows, step), device, progress)
        return torch.cat(scores).numpy().astype(np.float64)

    def _chunk_terms(self, module, X, lo, hi, index, sampled, device):
        """``(x, errors, residuals)`` of training rows ``lo:hi``: the sample's kept, others new."""
        first, last = (int(i) for i in torch.searchsorted(
            index, torch.tensor([lo, hi], device=index.device)))
        kept = torch.zeros(hi - lo, dtype=torch.bool, device=index.device)
        kept[index[first:last] - lo] = True
        x = X[lo:hi].to(device, non_blocking=True)
        terms = [x, torch.empty_like(x), torch.empty_like(x)]
        kept_here = kept.to(device)
        for term, stored in zip(terms[1:], sampled[1:]):
            term[kept_here] = stored[first:last]
        if not bool(kept.all()):
            new = ~kept_here
            errors, residuals = _row_padded(self._row_terms, module, x[new])
            terms[1][new], terms[2][new] = errors, residuals
        return terms

    def _fit_pca(self, residuals):
        """Principal axes of the typical training rows' residuals, scaled to unit variance.

        The rows within the ``1 - trim`` quantile of residual size among
        ``residuals`` (with ``typical_rows`` those are the typical rows
        already: the axes, which outliers tilt most, are then fitted on the
        typical rows of those).
        """
        x = _evenly_spaced(residuals, PCA_ROWS).double()
        # float32 residuals of equal rows still differ by a few ulps; a spread
        # below 1e-4 of their largest magnitude is rounding, not structure.
        lowest, highest = torch.aminmax(x)  # the largest magnitude, without an abs() copy
        rounding = (1e-4 * max(-float(lowest), float(highest))) ** 2
        # Rows with large residuals (anomalies in the training data, at the
        # expected contamination) would tilt the axes towards themselves.
        x = x[within_quantile(_squared_norms(x), 1 - self._trim())]
        center = x.mean(dim=0)
        centered = x.sub_(center)  # x is a copy (the rows kept) and not used again
        if centered.shape[0] < centered.shape[1]:
            # Fewer rows than features (the covariance has rank < rows): the
            # rows' SVD takes O(rows²·d) time and rows·d memory, where the
            # d × d covariance would take O(d³) and d² (3.2 GB at d = 20,000).
            _, singular, row_axes = torch.linalg.svd(centered, full_matrices=False)
            variances = singular.flip(0).square() / centered.shape[0]  # ascending, as eigh's
            axes = row_axes.flip(0).T
        else:
            variances, axes = torch.linalg.eigh(centered.T @ centered / centered.shape[0])
        # Axes without variance (constant or collinear features, rounding)
        # are dropped: whitening them would blow noise up into scores. With
        # none left (all residuals alike, as for identical rows) the term
        # scores every row alike.
        keep = variances > max(1e-6 * float(variances.max()), rounding)
        # At most PCA_AXES axes, those of least variance (eigh's order is
        # ascending): where the typical residuals are tightest, a row that
        # breaks their correlations stands out most. The bound keeps the
        # term's cost per row at O(d · PCA_AXES): with every axis of 1,000
        # features it cost as much as the ensemble and the tails together.
        variances, axes = variances[keep][:PCA_AXES], axes[:, keep][:, :PCA_AXES]
        self.pca_center_ = center.float().cpu().numpy()
        # Contiguous, so a saved and loaded detector multiplies in the same
        # order (eigh's axes come column-major) and scores bit for bit alike.
        self.pca_whitening_ = (axes / variances.sqrt()).float().contiguous().cpu().numpy()
        self.pca_loadings_ = axes.T.square().float().contiguous().cpu().numpy()  # (axes, features)

    # -- without tail scores: members' scores standardised and averaged -----------------
    def _member_errors(self, module, x):
        """Each member's errors on the features it sees: ``(members, rows, features)``."""
        reconstructions = module(self._clipped(x))[0]
        return self._element_errors(x.unsqueeze(0), reconstructions) * module.input_mask

    def _normalised_errors(self, module, x):
        scale = torch.as_tensor(self.error_scale_, device=x.device, dtype=x.dtype).unsqueeze(1)
        return self._member_errors(module, x) / scale

    def _averaged_errors(self, module, x):
        """Normalised errors averaged over the members that see each feature."""
        seen = module.input_mask.sum(dim=0).clamp(min=1.0)  # (1, features)
        return self._normalised_errors(module, x).sum(dim=0) / seen

    def _raw_member_scores(self, module, x):
        """Mean normalised error of each member over its features: ``(members [+ 2], rows)``.

        With ``marginal`` a row follows for the marginal term's mean error, and
        with ``pca_weight`` a last one for the principal-component term's.
        """
        errors = self._normalised_errors(module, x)
        scores = [errors.sum(dim=2) / module.input_mask.sum(dim=2)]
        if self.marginal:
            scores.append(self._marginal_errors(x).mean(dim=1, keepdim=True).T)
        if self.pca_weight > 0:
            values = self._pca_values(self._row_terms(module, x)[1])  # no axes: 0, not NaN
            scores.append(values.sum(dim=1, keepdim=True).T / max(1, values.shape[1]))
        return torch.cat(scores)

    def _fit_member_scores(self, module, X):
        """Error scales and the members' score centres and spreads on the (typical) rows ``X``.

        A second pass over the rows: each member's errors are divided by its
        own mean error per feature, which the first pass could not know.
        """
        n_members, d = self.feature_masks_.shape
        device = X.device
        step = self._chunk_rows(d)
        self.error_scale_ = np.ones((n_members, d), dtype=np.float32)
        if self.normalize_errors:
            total = sum(self._member_errors(module, X[lo:lo + step]).sum(dim=1)
                        for lo in range(0, X.shape[0], step))
            mean = total / X.shape[0]  # (members, features)
            # A perfectly reconstructed (constant) feature must not divide by 0.
            floor = 1e-3 * mean.mean(dim=1, keepdim=True) + 1e-8
            self.error_scale_ = torch.maximum(mean, floor).cpu().numpy()
        # Each member's scores (and the marginal term's) are standardised by
        # their median and IQR on the training rows, so each weighs the same.
        raw = torch.cat([self._raw_member_scores(module, X[lo:lo + step])
                         for lo in range(0, X.shape[0], step)], dim=1)  # (members [+ 2], rows)
        q25, q50, q75 = torch.quantile(
            raw, torch.tensor([0.25, 0.5, 0.75], device=device, dtype=raw.dtype), dim=1)
        self.member_center_ = q50.cpu().numpy()
        self.member_scale_ = torch.clamp(q75 - q25, min=1e-12).cpu().numpy()

    def _member_scores(self, module, x):
        center = torch.as_tensor(self.member_center_, device=x.device, dtype=x.dtype)
        scale = torch.as_tensor(self.member_scale_, device=x.device, dtype=x.dtype)
        return (self._raw_member_scores(module, x) - center.unsqueeze(1)) / scale.unsqueeze(1)

    def _member_score_mix(self, scores):
        if self.pca_weight == 0:
            return scores.mean(dim=0)
        return (1 - self.pca_weight) * scores[:-1].mean(dim=0) + self.pca_weight * scores[-1]

    def _reconstruct(self, module, x):
        """The members' reconstructions averaged over those that see each feature."""
        return self._clipped(x) - self._row_terms(module, x)[1]

    def _encode(self, module, x):
        code = module(self._clipped(x))[1]  # (members, rows, code)
        return code.permute(1, 0, 2).reshape(x.shape[0], -1)
