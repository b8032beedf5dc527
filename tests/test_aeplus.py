"""What AEPlus does beyond the other detectors: trimming, normalised errors, clipping, sizing."""

import numpy as np
import pytest
import torch

from pyod_aeplus import AEPlus


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
    det = AEPlus(random_state=0).fit(noisy)
    per_feature = det.feature_scores(noisy).mean(axis=0)
    # Normalised by each feature's mean training error: about 1 everywhere.
    np.testing.assert_allclose(per_feature, 1.0, rtol=1e-3)
    plain = AEPlus(normalize_errors=False, random_state=0).fit(noisy)
    raw = plain.feature_scores(noisy).mean(axis=0)
    assert raw[0] > 3 * np.median(raw[1:])


def test_extreme_values_still_score_as_extreme(data):
    det = AEPlus(clip=3.0, random_state=0).fit(data)
    row = data[:1].copy()
    row[0, 2] = 1e6
    scores = det.decision_function(np.vstack([data, row]))
    assert scores[-1] == scores.max() and scores[-1] > 100 * np.median(np.abs(scores))


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
    assert det._training_sizes(100_000) == (8, 256)  # about 3000 steps
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
    det = AEPlus(random_state=0).fit(np.array([[0.0], [1.0]]))
    assert np.isfinite(det.decision_function(np.array([[0.5], [7.0]]))).all()


@pytest.mark.parametrize("params,message", [
    ({"n_estimators": 0}, "n_estimators must be >= 1"),
    ({"feature_fraction": 0.0}, "feature_fraction must be"),
    ({"trim_fraction": 0.5}, "trim_fraction must be"),
    ({"clip": 0.0}, "clip must be"),
    ({"code_size": 0}, "code_size must be >= 1"),
    ({"epochs": "many"}, "epochs must be an integer"),
])
def test_aeplus_parameters_are_checked(data, params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        AEPlus(**params).fit(data)
