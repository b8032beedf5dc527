"""What AEPlus does beyond the other detectors: trimming, normalised errors, tail scores,
the marginal and principal-component terms, clipping, sizing."""

import numpy as np
import pytest
import torch

from pyod_aeplus import AEPlus
from pyod_aeplus.base import within_quantile
from pyod_aeplus.models.aeplus import _squared_norms


def _residuals(det, X):
    """What the ensemble leaves unexplained in each row (clipped row minus reconstruction)."""
    return det._map_rows(X, lambda module, x: det._row_terms(module, x)[1])


def _tail_values(det, X):
    """Each tail column's score (−log tail probability) of the rows of ``X``."""
    return det._map_rows(X, lambda module, x: det._tail_values(x, *det._row_terms(module, x)))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(500, 2))
    X = latent @ rng.normal(size=(2, 8)) + 0.1 * rng.normal(size=(500, 8))
    return X


def test_trimmed_loss_ignores_the_worst_rows():
    det = AEPlus(trim_fraction=0.25)
    losses = torch.tensor([[1.0, 2.0, 3.0, 100.0], [4.0, 0.0, 8.0, 2.0]])
    # Each member keeps its 3 best rows of 4.
    assert det._reduce_loss(losses).item() == pytest.approx((6.0 + 6.0) / 6)
    assert AEPlus(trim_fraction=0.0)._reduce_loss(losses).item() == pytest.approx(120.0 / 8)
    # 'auto' trims at the contamination rate.
    assert AEPlus(contamination=0.05)._trim() == 0.05


def test_normalised_errors_weigh_every_feature_alike(data):
    noisy = data.copy()
    noisy[:, 0] = np.random.default_rng(1).standard_t(1.5, size=len(data))  # heavy tails
    # (Without tail scores feature_scores are the normalised errors themselves;
    # with every training row in the normalisers, their mean is 1 on them.)
    det = AEPlus(tail_scores=False, marginal=False, typical_rows=False, random_state=0).fit(noisy)
    per_feature = det.feature_scores(noisy).mean(axis=0)
    # Normalised by each feature's mean training error: about 1 everywhere.
    np.testing.assert_allclose(per_feature, 1.0, rtol=1e-3)
    plain = AEPlus(normalize_errors=False, tail_scores=False, marginal=False,
                   typical_rows=False, random_state=0).fit(noisy)
    raw = plain.feature_scores(noisy).mean(axis=0)
    assert raw[0] > 3 * np.median(raw[1:])


@pytest.mark.parametrize("tail_scores", [True, False])
def test_extreme_values_still_score_as_extreme(data, tail_scores):
    det = AEPlus(clip=3.0, tail_scores=tail_scores, random_state=0).fit(data)
    rows = np.repeat(data[:1], 4, axis=0)
    rows[:, 2] = [1e2, 1e3, 1e6, 1e30]
    scores = det.decision_function(rows)
    # Past the training range scores keep growing (no saturation), and stay finite.
    assert np.all(np.diff(scores) > 0) and np.isfinite(scores).all()
    assert det.predict(rows).all()
    if not tail_scores:  # linear in the error: one extreme value dominates
        assert scores[0] > det.decision_scores_.max()
    else:  # logarithmic: one extreme value weighs like many moderate ones
        assert scores[-1] > det.decision_scores_.max()


@pytest.mark.parametrize("marginal,pca_weight", [(True, 0.5), (False, 0.5), (True, 0.0)])
def test_tail_scores_are_the_mean_rarity_of_each_feature(data, marginal, pca_weight):
    det = AEPlus(marginal=marginal, pca_weight=pca_weight, random_state=0).fit(data)
    d = data.shape[1]
    columns = (2 * d if marginal else d) + (det.pca_whitening_.shape[1] if pca_weight else 0)
    assert det.tail_knots_.shape == (columns, 256) and det.tail_scale_.shape == (columns,)
    assert np.all(np.diff(det.tail_knots_, axis=1) >= 0)
    scores = det.decision_function(data)
    np.testing.assert_allclose(det.feature_scores(data).mean(axis=1), scores,
                               rtol=1e-5, atol=1e-6)
    # On the typical training rows (those the tails are fitted on) each column
    # is above its tail threshold (score -log 0.1) for about 10 % of the
    # rows; on all training rows for more; never negative.
    per_column = _tail_values(det, data)
    assert per_column.min() >= 0
    size = (_residuals(det, data) ** 2).sum(axis=1)
    typical = data[size <= np.quantile(size, 0.9)]
    on_typical = _tail_values(det, typical)
    assert len(typical) == pytest.approx(0.9 * len(data), abs=2)
    assert 0.08 <= (on_typical > -np.log(0.1) + 1e-6).mean() <= 0.12
    assert (per_column > -np.log(0.1) + 1e-6).mean() > (on_typical > -np.log(0.1) + 1e-6).mean()
    np.testing.assert_array_equal(det.decision_scores_, det.decision_function(data))


def test_marginal_and_pca_terms_without_tail_scores_are_more_members(data):
    det = AEPlus(tail_scores=False, random_state=0).fit(data)
    assert det.member_center_.shape == (det.n_estimators + 2,)
    assert np.isfinite(det.decision_function(data)).all()
    assert AEPlus(tail_scores=False, pca_weight=0.0).fit(data).member_center_.shape == (9,)


def test_normalisers_are_fitted_on_the_typical_rows(data):
    X = data.copy()
    X[:25] += 40.0  # 5 % far outliers in the training rows
    fitted = {flag: AEPlus(contamination=0.05, typical_rows=flag, random_state=0).fit(X)
              for flag in (True, False)}
    size = (_residuals(fitted[True], X) ** 2).sum(axis=1)
    assert size[:25].min() > np.quantile(size, 0.95)  # the outliers are the atypical rows
    # Their errors and values no longer set the normalisers: the tails of every
    # feature's error (columns 0..d) and of the marginal term (d..2d) shrink.
    d = X.shape[1]
    assert np.all(fitted[True].tail_scale_[:d] < fitted[False].tail_scale_[:d])
    assert np.all(fitted[True].tail_scale_[d:2 * d] < 0.5 * fitted[False].tail_scale_[d:2 * d])
    # With nothing to trim, every row is typical.
    sizes = torch.as_tensor(size)
    assert within_quantile(sizes, 1.0).all()
    assert int(within_quantile(sizes, 0.95).sum()) == int(np.ceil(0.95 * len(size)))


def _typical_residuals(det, X, share):
    """The residuals the principal axes are fitted on: those within the ``share``
    quantile of residual size (twice with ``typical_rows``: the typical rows
    first, then the axes' own trim among them)."""
    residuals = _residuals(det, X)
    for _ in range(2 if det.typical_rows else 1):
        size = (residuals ** 2).sum(axis=1)
        residuals = residuals[size <= np.quantile(size, share)]
    return residuals


@pytest.mark.parametrize("n_rows", [40, 400])  # fewer rows than features: the SVD path
def test_pca_term_whitens_wide_and_long_data(n_rows):
    X = np.random.default_rng(3).normal(size=(n_rows, 60)) @ np.random.default_rng(4).normal(
        size=(60, 60))
    det = AEPlus(n_estimators=1, epochs=1, pca_weight=0.5, contamination=0.05,
                 random_state=0).fit(X)
    typical = _typical_residuals(det, X, 0.95)
    z = (typical - det.pca_center_) @ det.pca_whitening_
    axes = det.pca_whitening_.shape[1]
    # Centred rows span at most rows - 1 directions; axes without variance are dropped.
    assert 0 < axes <= min(len(typical) - 1, 60)
    np.testing.assert_allclose(np.cov(z.T, bias=True), np.eye(axes), atol=1e-3)
    assert np.isfinite(det.decision_function(X)).all()


def test_pca_term_keeps_the_axes_of_least_variance_on_wide_data():
    from pyod_aeplus.models.aeplus import PCA_AXES

    d = PCA_AXES + 44
    X = np.random.default_rng(5).normal(size=(800, d)) * np.linspace(0.5, 2.0, d)
    det = AEPlus(n_estimators=1, epochs=1, contamination=0.05, random_state=0).fit(X)
    assert det.pca_whitening_.shape == (d, PCA_AXES)
    assert det.pca_loadings_.shape == (PCA_AXES, d)
    typical = _typical_residuals(det, X, 0.95)
    variances = np.linalg.eigvalsh(np.cov(typical.T, bias=True))  # ascending
    # Each kept axis's variance is 1 / its whitening column's squared norm:
    # the PCA_AXES smallest of the typical residuals' covariance.
    kept = np.sort(1.0 / (det.pca_whitening_.astype(np.float64) ** 2).sum(axis=0))
    np.testing.assert_allclose(kept, variances[:PCA_AXES], rtol=1e-3)
    assert kept.max() < variances[PCA_AXES]
    # The features' mean score is still the row score.
    np.testing.assert_allclose(det.feature_scores(X[:20]).mean(axis=1),
                               det.decision_function(X[:20]), rtol=1e-5)


def test_residuals_are_the_clipped_rows_minus_the_reconstruction(data):
    det = AEPlus(n_estimators=3, epochs=2, clip=2.0, random_state=0).fit(data)
    rows = data[:5].copy()
    rows[0, 0] = 1e3  # clipped before the residual is taken
    clipped = np.clip((rows - det.center_) / det.scale_, -2.0, 2.0)
    reconstruction = (det.reconstruct(rows) - det.center_) / det.scale_
    np.testing.assert_allclose(_residuals(det, rows), clipped - reconstruction,
                               rtol=1e-4, atol=1e-5)


def test_identical_rows_score_alike_with_the_defaults():
    # float32 products differ by an ulp from row to row; neither the rank
    # transform nor the whitening may turn that into different scores.
    det = AEPlus(random_state=0).fit(np.ones((30, 3)))
    assert det.pca_whitening_.shape == (3, 0)  # residuals without spread: no axes
    assert np.ptp(det.decision_scores_) == 0.0
    assert np.ptp(det.decision_function(np.ones((5, 3)))) == 0.0
    assert np.isfinite(AEPlus(tail_scores=False, random_state=0).fit(np.ones((30, 3)))
                       .decision_scores_).all()


def test_pca_term_whitens_the_typical_residuals_and_finds_broken_correlations():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 1))
    X = np.hstack([x, x + 0.05 * rng.normal(size=(1000, 1)), rng.normal(size=(1000, 1))])
    det = AEPlus(n_estimators=2, pca_weight=0.5, contamination=0.05, random_state=0).fit(X)
    # The fitted axes: unit variance and uncorrelated on the typical residuals.
    z = (_typical_residuals(det, X, 0.95) - det.pca_center_) @ det.pca_whitening_
    np.testing.assert_allclose(np.cov(z.T, bias=True), np.eye(z.shape[1]), atol=1e-3)
    np.testing.assert_allclose(det.pca_loadings_.sum(axis=0), 1.0, rtol=1e-5)
    # Both rows are ordinary feature by feature; the second breaks x1 ≈ x0.
    rows = np.array([[1.0, 1.0, 0.0], [1.0, -1.0, 0.0]])
    with_pca = det.decision_function(rows)
    # (above 97 % of the training rows' scores, for every seed 0-7 tried)
    assert with_pca[1] > np.quantile(det.decision_scores_, 0.97) > with_pca[0]
    # The networks train the same without the term, so the term's own part
    # is what is left: the broken correlation is rare along the minor axis.
    without = AEPlus(n_estimators=2, pca_weight=0.0, contamination=0.05, random_state=0).fit(X)
    pca_part = (det.feature_scores(rows) - 0.5 * without.feature_scores(rows)) / 0.5
    assert pca_part[1].mean() > 5 * pca_part[0].mean()


def test_contaminated_training_rows_are_found(data):
    X = data.copy()
    rng = np.random.default_rng(2)
    X[:25] = rng.uniform(-4, 4, size=(25, 8)) * X.std(axis=0)
    det = AEPlus(contamination=0.05, random_state=0).fit(X)
    assert det.labels_[:25].mean() > 0.8
    assert det.labels_[25:].mean() < 0.02


def test_sizes_follow_the_data():
    det = AEPlus()
    det.n_features_in_ = 6
    assert det._sizes() == (16, 2)
    assert det._code_widths() == [1, 2, 1, 2, 1, 2, 1, 2]
    det.n_features_in_ = 1555
    assert det._sizes() == (24, 6)
    assert det._training_sizes(80) == (30, 16)
    assert det._training_sizes(5000) == (30, 256)
    assert det._training_sizes(5000) == (30, 256)  # 600 steps
    assert det._training_sizes(100_000) == (2, 256)  # about 600 steps: 782
    assert det._training_sizes(2) == (30, 2)
    fixed = AEPlus(epochs=7, batch_size=64, code_size=5, hidden_size=9)
    fixed.n_features_in_ = 10
    assert fixed._sizes() == (9, 5) and fixed._training_sizes(1000) == (7, 64)
    assert fixed._code_widths() == [5] * 8


def test_feature_subsets(data):
    det = AEPlus(n_estimators=5, feature_fraction=0.5, epochs=2, random_state=0).fit(data)
    assert det.feature_masks_.shape == (5, 8)
    np.testing.assert_array_equal(det.feature_masks_.sum(axis=1), 4)
    assert len({tuple(m) for m in det.feature_masks_}) > 1
    codes = det.encode(data).reshape(500, 5, -1)
    assert codes.shape[2] == det._sizes()[1]
    # Member i uses only its first 1 + i mod c code units.
    for member, width in enumerate(det._code_widths()):
        assert not codes[:, member, width:].any()


def test_smallest_inputs():
    det = AEPlus(random_state=0).fit(np.linspace(0.0, 1.0, 10)[:, None])  # fit takes 10 rows
    assert np.isfinite(det.decision_function(np.array([[0.5], [7.0]]))).all()


@pytest.mark.parametrize("params,message", [
    ({"n_estimators": 0}, "n_estimators must be >= 1"),
    ({"member_error": "max"}, "member_error must be one of"),
    ({"feature_fraction": 0.0}, "feature_fraction must be"),
    ({"trim_fraction": 0.5}, "trim_fraction must be"),
    ({"clip": 0.0}, "clip must be"),
    ({"tail_scores": "yes"}, "tail_scores must be one of"),
    ({"marginal": None}, "marginal must be one of"),
    ({"pca_weight": 1.0}, "pca_weight must be"),
    ({"pca_weight": -0.1}, "pca_weight must be"),
    ({"typical_rows": "yes"}, "typical_rows must be one of"),
    ({"code_size": 0}, "code_size must be >= 1"),
    ({"epochs": "many"}, "epochs must be an integer"),
])
def test_aeplus_parameters_are_checked(data, params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        AEPlus(**params).fit(data)


def test_statistics_from_one_pass_equal_their_definitions(data):
    """Each statistic, computed here the plain way from all training rows at once."""
    X = data.copy()
    X[:20] += 6.0  # atypical rows the statistics must leave out
    det = AEPlus(contamination=0.1, random_state=0).fit(X)
    x = torch.as_tensor((X - det.center_) / det.scale_, dtype=torch.float32)
    with torch.no_grad():
        clipped = x.clamp(-det.clip, det.clip)
        members = det.module_(clipped)[0]  # (members, rows, features)
    # The members' median error: the mean of the 4th and 5th of eight.
    ordered_errors = (members - x).square().sort(dim=0).values
    errors = (ordered_errors[3] + ordered_errors[4]) / 2
    residuals = clipped - members.mean(dim=0)
    size = residuals.square().sum(dim=1)
    typical = size <= torch.quantile(size, 0.9)
    assert not typical[:20].any()
    center = x[typical].median(dim=0).values
    np.testing.assert_allclose(det.marginal_center_, center, rtol=1e-6)
    # Principal axes: of the typical residuals, trimmed once more by their own size.
    r = residuals[typical].double()
    r = r[r.square().sum(dim=1) <= torch.quantile(r.square().sum(dim=1), 0.9)]
    covariance = torch.cov(r.T, correction=0)
    np.testing.assert_allclose(det.pca_center_, r.mean(dim=0), rtol=1e-4, atol=1e-6)
    # Whitening W: W Wᵀ is the inverse covariance (on the axes kept), whatever their signs.
    whitening = torch.as_tensor(det.pca_whitening_, dtype=torch.float64)
    np.testing.assert_allclose(whitening.T @ covariance @ whitening,
                               np.eye(whitening.shape[1]), atol=1e-4)
    # Tails: the columns (errors, marginal errors, whitened residuals) of the typical rows.
    columns = torch.cat([errors, (x - center).square(),
                         ((residuals - torch.as_tensor(det.pca_center_))
                          @ torch.as_tensor(det.pca_whitening_)).square()], dim=1)[typical]
    ordered = columns.sort(dim=0).values
    at = (0.9 * (torch.arange(256) + 0.5) / 256 * (len(ordered) - 1)).round().long()
    np.testing.assert_allclose(det.tail_knots_, ordered[at].T, rtol=1e-4, atol=1e-6)
    threshold = ordered[round(0.9 * (len(ordered) - 1))]
    np.testing.assert_allclose(det.tail_threshold_, threshold, rtol=1e-4, atol=1e-6)
    excess = (ordered - threshold).clamp(min=0)
    np.testing.assert_allclose(det.tail_scale_,
                               excess.sum(dim=0) / (ordered > threshold).sum(dim=0), rtol=1e-4)


def test_statistics_of_a_long_set_come_from_an_evenly_spaced_sample(monkeypatch):
    import pyod_aeplus.base

    X = np.random.default_rng(0).normal(size=(3000, 4))
    monkeypatch.setattr(pyod_aeplus.base, "SAMPLE_VALUES", 4 * 500)
    monkeypatch.setattr(pyod_aeplus.base, "MIN_SAMPLE_ROWS", 10)
    det = AEPlus(epochs=2, random_state=0).fit(X)
    assert det._sample_size(3000, 4) == 500
    # Every training row is still scored, by the same function as new rows.
    np.testing.assert_array_equal(det.decision_scores_, det.decision_function(X))
    sample = X[np.linspace(0, 2999, 500).astype(int)]
    x = torch.as_tensor((sample - det.center_) / det.scale_, dtype=torch.float32)
    residuals = _residuals(det, sample)
    size = (residuals ** 2).sum(axis=1)
    center = x[torch.as_tensor(size <= np.quantile(size, 0.9))].median(dim=0).values
    np.testing.assert_allclose(det.marginal_center_, center, rtol=1e-6)


def test_progress_bars_cover_training_and_everything_after(monkeypatch):
    import pyod_aeplus.base
    import pyod_aeplus.training

    events, disabled = [], []

    class Bar:
        def __init__(self, iterable=None, total=None, desc="", disable=False, leave=True):
            self.iterable, self.desc, self.disable = iterable, desc, disable
            self.total = len(iterable) if iterable is not None else total
            self.n = 0
            events.append(("open", desc))
            disabled.append(disable)

        def __iter__(self):
            for item in self.iterable:
                yield item
                self.update()

        def update(self, n=1):
            self.n += n
            events.append(("update", self.desc))

        def set_postfix(self, **kwargs):
            pass

        def close(self):
            events.append(("close", self.desc, self.n, self.total))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

    monkeypatch.setattr(pyod_aeplus.training, "tqdm", Bar)
    monkeypatch.setattr(pyod_aeplus.base, "tqdm", Bar)
    original = AEPlus._after_training

    def after_training(self, module, X, progress):
        events.append(("statistics",))
        return original(self, module, X, progress)

    monkeypatch.setattr(AEPlus, "_after_training", after_training)
    X = np.random.default_rng(0).normal(size=(400, 5))
    AEPlus(epochs=3, verbose=1, random_state=0).fit(X)
    closes = [event for event in events if event[0] == "close"]
    assert [event[1] for event in closes] == ["AEPlus", "AEPlus: scoring the training rows"]
    # Each bar runs to its end; the second opens when the first closes, and
    # the fit ends when the second does.
    assert all(n == total and n > 0 for _, _, n, total in closes)
    assert events.index(closes[0]) + 1 == events.index(("open", closes[1][1]))
    assert events.index(("statistics",)) > events.index(closes[0])
    assert events[-1] == closes[1]
    assert not any(disabled)
    # Quiet by default: the same bars, all disabled.
    disabled.clear()
    AEPlus(epochs=1, random_state=0).fit(X)
    assert disabled == [True, True]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_squared_norms_block_by_block_equal_the_whole_tensors(dtype):
    # The typical rows and the principal axes' trim are chosen by these sums:
    # computed in blocks of rows, they must be the very same values.
    rows = torch.from_numpy(np.random.default_rng(0).lognormal(size=(1001, 37))).to(dtype)
    expected = rows.square().sum(dim=1)
    for block_values in (1, 37 * 10, 2 ** 18):
        assert torch.equal(_squared_norms(rows, block_values), expected)


@pytest.mark.parametrize("loss", ["mse", "mae"])
@pytest.mark.parametrize("member_error,n_estimators", [
    ("median", 8),  # the default: the kernel's sorting network of eight
    ("median", 4), ("median", 3), ("mean", 8), ("mean", 3)])
def test_compiled_row_terms_equal_the_torch_operations(data, loss, member_error, n_estimators,
                                                       monkeypatch):
    from pyod_aeplus.models import aeplus

    # numba is a dependency
    assert aeplus.compiled_kernel("models._aeplus_kernel", "member_means") is not None
    det = AEPlus(n_estimators=n_estimators, member_error=member_error, epochs=2, loss=loss,
                 random_state=0).fit(data)
    rows = data[:37].copy()
    rows[0, 0] = 1e3  # beyond the clip: the error is taken against the raw value

    def terms():
        return [det._map_rows(rows, lambda module, x: det._row_terms(module, x)[i])
                for i in (0, 1)]

    compiled = terms()
    monkeypatch.setattr(aeplus, "compiled_kernel", lambda module, name: None)
    for got, expected in zip(compiled, terms()):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("feature_fraction", [1.0, 0.5])
def test_each_features_error_is_the_median_or_mean_of_the_members_that_see_it(
        data, feature_fraction):
    rows = data[:25]
    for member_error in ("median", "mean"):
        det = AEPlus(n_estimators=5, feature_fraction=feature_fraction, member_error=member_error,
                     epochs=2, random_state=0).fit(data)
        x = torch.as_tensor((rows - det.center_) / det.scale_, dtype=torch.float32)
        with torch.no_grad():
            members = det.module_(x.clamp(-det.clip, det.clip))[0]
        member_errors = (members - x).square().numpy()  # (members, rows, features)
        expected = np.zeros(rows.shape)
        for feature in range(rows.shape[1]):
            seen = det.feature_masks_[:, feature] == 1
            if seen.any():
                reduce = np.median if member_error == "median" else np.mean
                expected[:, feature] = reduce(member_errors[seen, :, feature], axis=0)
        got = det._map_rows(rows, lambda module, x: det._row_terms(module, x)[0])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    if feature_fraction < 1:  # a feature seen by an even number of members: two middle ones
        assert (det.feature_masks_.sum(axis=0) % 2 == 0).any()
