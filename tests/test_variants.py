"""What each detector does differently from the others."""

import numpy as np
import pytest
import torch

import pyod_aeplus as pa
from pyod_aeplus.thresholds import MeanStdThreshold


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(600, 3))
    X = latent @ rng.normal(size=(3, 12)) + 0.1 * rng.normal(size=(600, 12))
    return X


def test_sparse_codes_are_sparser_than_dense(data):
    common = dict(code_size=32, epochs=200, batch_size=64, random_state=0)
    dense_codes = pa.DenseAE(**common).fit(data).encode(data)
    sparse_codes = pa.SparseAE(sparsity_weight=0.01, **common).fit(data).encode(data)
    assert sparse_codes.shape == dense_codes.shape == (600, 32)
    # Fraction of exactly inactive (ReLU zero) code units, and mean activity.
    assert (sparse_codes == 0).mean() > (dense_codes == 0).mean() + 0.2
    assert np.abs(sparse_codes).mean() < 0.5 * np.abs(dense_codes).mean()


def test_sparsity_weight_zero_is_a_plain_autoencoder(data):
    a = pa.SparseAE(sparsity_weight=0.0, code_size=8, epochs=5, random_state=0).fit(data)
    b = pa.DenseAE(code_size=8, epochs=5, random_state=0).fit(data)
    np.testing.assert_allclose(a.decision_scores_, b.decision_scores_, rtol=1e-6)


@pytest.mark.parametrize("noise", ["gaussian", "mask"])
def test_denoising_corrupts_in_training_only(data, noise, monkeypatch):
    det = pa.DenoisingAE(noise=noise, noise_level=0.3, epochs=3, random_state=0)
    calls = []
    original = pa.DenoisingAE.corrupt

    def counting(self, x, generator):
        calls.append(x.shape[0])
        return original(self, x, generator)

    monkeypatch.setattr(pa.DenoisingAE, "corrupt", counting)
    det.fit(data)
    assert sum(calls) > 0
    calls.clear()
    scores = det.decision_function(data)
    det.feature_scores(data)
    det.reconstruct(data)
    assert calls == []
    # Scoring is the error of the clean reconstruction, each feature on its own scale.
    recon = det.reconstruct(data)
    scaled = (data - det.center_) / det.scale_
    errors = ((recon - det.center_) / det.scale_ - scaled) ** 2
    expected = (errors / det.error_scale_).mean(axis=1)
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-6)


def test_denoising_corruption_changes_the_input():
    det = pa.DenoisingAE(noise="mask", noise_level=0.5)
    x = torch.ones(1000, 4)
    masked = det.corrupt(x, torch.Generator().manual_seed(0))
    assert 0.4 < (masked == 0).float().mean().item() < 0.6
    det = pa.DenoisingAE(noise="gaussian", noise_level=0.2)
    noisy = det.corrupt(x, torch.Generator().manual_seed(0))
    assert abs((noisy - x).std().item() - 0.2) < 0.02


def test_vae_kl_is_on_by_default_and_scores_repeat(data):
    det = pa.VAE(epochs=10, random_state=0).fit(data)
    kl = det.latent_kl(data)
    assert kl.shape == (600,)
    # The KL term holds the default's posteriors near the prior; without it they drift.
    without_kl = pa.VAE(beta=0.0, epochs=10, random_state=0).fit(data).latent_kl(data)
    assert kl.mean() < 0.2 * without_kl.mean()
    first = det.decision_function(data)
    np.testing.assert_array_equal(first, det.decision_function(data))
    # Chunking does not change a row's score: row 5 alone scores as in the batch.
    np.testing.assert_array_equal(det.decision_function(data[5:6]), first[5:6])
    assert det.score_noise_.shape == (det.n_draws, det.latent_size)


def test_vae_trimmed_loss_leaves_out_each_batchs_worst_rows():
    losses = torch.tensor([1.0, 2.0, 3.0, 100.0])
    assert pa.VAE(trim_fraction=0.25)._reduce_loss(losses).item() == pytest.approx(2.0)
    assert pa.VAE(trim_fraction=0.0)._reduce_loss(losses).item() == pytest.approx(106.0 / 4)
    # 'auto' trims at the contamination rate; with a thresholder, at 0.1.
    assert pa.VAE(contamination=0.05)._trim() == 0.05
    assert pa.VAE(contamination=MeanStdThreshold())._trim() == 0.1


def test_vae_trimmed_loss_keeps_a_contaminating_cluster_abnormal(data):
    X = data.copy()
    # 5 % of the training rows: a tight cluster off the normal rows' subspace.
    X[:30] = 3.0 + 0.1 * np.random.default_rng(4).normal(size=(30, X.shape[1]))

    def cluster_height(trim_fraction):
        """The cluster's lowest score over the normal rows' 95th percentile."""
        scores = pa.VAE(contamination=0.05, trim_fraction=trim_fraction, epochs=30,
                        random_state=0).fit(X).decision_scores_
        return scores[:30].min() / np.quantile(scores[30:], 0.95)

    trimmed = cluster_height("auto")
    assert trimmed > 1.0
    # Trained on every row, the network learns much of the cluster as normal:
    # its rows sit far closer to the normal rows' scores (1.9-2.6 against
    # 0.8-1.1 over seeds 0-4).
    assert trimmed > 1.5 * cluster_height(0.0)


@pytest.mark.parametrize("score_type", ["reconstruction_probability", "elbo", "mse"])
def test_vae_scores(data, score_type):
    X = data.copy()
    X[:10] += 8.0
    det = pa.VAE(score_type=score_type, epochs=20, random_state=0).fit(X)
    assert np.isfinite(det.decision_scores_).all()
    assert det.decision_scores_[:10].min() > np.median(det.decision_scores_[10:])


def test_vae_parameters_do_not_shadow_estimator_methods(data):
    """No parameter of VAE's is named like a method scikit-learn looks for (``score``)."""
    from sklearn.model_selection import cross_val_score

    det = pa.VAE(epochs=1, random_state=0)
    assert not hasattr(det, "score")
    # Like every detector: no score method, so scikit-learn asks for a scoring.
    with pytest.raises(TypeError, match="should have a 'score' method"):
        cross_val_score(det, data, cv=2)


@pytest.mark.parametrize("decoder_variance", ["bounded", "feature", "row"])
def test_vae_decoder_variance_is_per_feature_or_per_row(data, decoder_variance):
    det = pa.VAE(decoder_variance=decoder_variance, epochs=3, random_state=0).fit(data)
    z = 3 * torch.randn(50, det.latent_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, logvar = det.module_.decode(z)
    assert logvar.shape == (50, 12)
    # One variance per feature, whatever the row; else one for each row.
    assert bool((logvar == logvar[0]).all()) is (decoder_variance == "feature")
    if decoder_variance == "bounded":
        # Within a factor of e of the feature's own variance, never further, even where
        # the decoder pushes as hard as it can (weights blown up).
        feature = det.module_.x_logvar.logvar.detach()
        assert float((logvar - feature).abs().max()) <= 1.0
        with torch.no_grad():
            det.module_.x_logvar.row.weight.mul_(1e4)
            pushed = det.module_.decode(z)[1] - feature
        assert 0.999 < float(pushed.abs().max()) <= 1.0
    n_row_parameters = 12 * (64 + 1)  # the decoder's last hidden layer (64) to every feature
    n_variance_parameters = {"feature": 12, "row": n_row_parameters,
                             "bounded": 12 + n_row_parameters}[decoder_variance]
    assert sum(p.numel() for p in det.module_.x_logvar.parameters()) == n_variance_parameters


def test_vae_beta_zero_lets_the_posterior_drift(data):
    with_kl = pa.VAE(epochs=15, random_state=0).fit(data).latent_kl(data).mean()
    without = pa.VAE(beta=0.0, epochs=15, random_state=0).fit(data).latent_kl(data).mean()
    assert without > with_kl


@pytest.mark.parametrize("shape", [(140,), (1, 140)])
def test_conv_1d_shapes(shape):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 4 * np.pi, 140)
    X = np.sin(t + rng.uniform(0, 6, size=(120, 1))) + 0.05 * rng.normal(size=(120, 140))
    det = pa.ConvAE(input_shape=shape, epochs=3, random_state=0).fit(X)
    assert det.module_.ndim == 1
    assert det.decision_function(X).shape == (120,)
    assert det.decision_function(X.reshape(120, *shape)).shape == (120,)


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28), (3, 7, 5)])
def test_conv_2d_shapes(shape):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, int(np.prod(shape))))
    det = pa.ConvAE(input_shape=shape, epochs=2, random_state=0).fit(X)
    assert det.module_.ndim == 2
    images = X.reshape(64, *shape)
    np.testing.assert_array_equal(det.decision_function(images), det.decision_function(X))
    assert det.fit(images).n_features_in_ == X.shape[1]


def test_conv_rejects_a_wrong_shape():
    X = np.random.default_rng(0).normal(size=(50, 140))
    with pytest.raises(ValueError, match=r"input_shape \(28, 28\) holds 784 values, but X has 140"):
        pa.ConvAE(input_shape=(28, 28), epochs=1).fit(X)
    det = pa.ConvAE(input_shape=(1, 140), epochs=1).fit(X)
    with pytest.raises(ValueError, match=r"ConvAE got X of shape \(50, 2, 70\)"):
        det.decision_function(X.reshape(50, 2, 70))
    with pytest.raises(ValueError, match="input_shape must have 1 to 3 entries"):
        pa.ConvAE(input_shape=(1, 1, 2, 70), epochs=1).fit(X)


def blob_images(n_normal, n_anomalies, seed):
    """16 x 16 images of one soft blob; an anomaly has a bright 2 x 2 spot besides.

    The sensor noise differs from image to image. Per-pixel standardisation
    blows the noise of the dark border pixels up to the size of the blobs, so
    the noisiest normal images score like the anomalies.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:16, 0:16]
    images = []
    for i in range(n_normal + n_anomalies):
        cy, cx = rng.uniform(5, 10, size=2)
        image = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 4.0)
        if i >= n_normal:
            r, c = rng.integers(5, 10, size=2)
            image[r:r + 2, c:c + 2] += 1.0
        images.append(image + rng.uniform(0.005, 0.05) * rng.normal(size=(16, 16)))
    y = np.r_[np.zeros(n_normal), np.ones(n_anomalies)]
    return np.array(images).reshape(len(images), -1), y


def test_conv_default_scaling_finds_an_image_anomaly_that_per_pixel_scaling_misses():
    from sklearn.metrics import roc_auc_score

    X_train, _ = blob_images(150, 0, seed=0)
    X_test, y_test = blob_images(80, 16, seed=1)
    auc = {}
    for scaling, params in (("default", {}), ("standard", {"preprocessing": "standard"})):
        det = pa.ConvAE(input_shape=(16, 16), epochs=3, random_state=0, **params).fit(X_train)
        auc[scaling] = roc_auc_score(y_test, det.decision_function(X_test))
    assert auc["default"] > 0.95
    assert auc["standard"] < 0.8


def test_conv_global_scaling_is_one_mean_and_std_per_channel():
    rng = np.random.default_rng(0)
    # Two channels of 3 x 4 pixels on very different scales.
    images = np.stack([rng.normal(5.0, 2.0, size=(40, 3, 4)),
                       rng.normal(-1.0, 0.01, size=(40, 3, 4))], axis=1)
    det = pa.ConvAE(input_shape=(2, 3, 4), epochs=1, random_state=0).fit(images)
    for channel, pixels in enumerate((slice(0, 12), slice(12, 24))):
        np.testing.assert_allclose(det.center_[pixels], images[:, channel].mean())
        np.testing.assert_allclose(det.scale_[pixels], images[:, channel].std())
    # One channel: one mean and std over every value, as for any detector.
    X = images[:, 0].reshape(40, -1)
    for det in (pa.ConvAE(input_shape=(3, 4), epochs=1), pa.DenseAE(preprocessing="global",
                                                                    epochs=1)):
        det.fit(X)
        np.testing.assert_allclose(det.center_, np.full(12, X.mean()))
        np.testing.assert_allclose(det.scale_, np.full(12, X.std()))


def test_conv_global_scaling_of_a_constant_image_is_harmless():
    X = np.full((20, 16), 3.0)
    det = pa.ConvAE(input_shape=(4, 4), epochs=1, random_state=0).fit(X)
    np.testing.assert_array_equal(det.scale_, np.ones(16))
    np.testing.assert_array_equal(det.center_, np.full(16, 3.0))
    assert np.isfinite(det.decision_function(X)).all()


def test_deep_ae_mirrors_its_hidden_sizes(data):
    det = pa.DeepAE(hidden_sizes=(16, 4), epochs=2, random_state=0).fit(data)
    linears = [m for m in det.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(12, 16), (16, 4), (4, 16),
                                                                  (16, 12)]
    assert det.encode(data).shape == (600, 4)


def _floored(mean):
    return np.maximum(mean, 0.1 * mean.mean())


@pytest.mark.parametrize("name", ["DeepAE", "DenseAE", "SparseAE"])
def test_normalized_errors_divide_each_feature_by_its_mean_error_on_the_typical_rows(data, name):
    X = data.copy()
    X[:, 0] *= 1e-3  # standardised away, but the network rebuilds it differently
    X[:10, 1] += 20.0  # anomalies in one feature: they must not raise its scale
    cls = getattr(pa, name)
    plain = cls(normalize_errors=False, epochs=3, random_state=0).fit(X)
    det = cls(normalize_errors=True, epochs=3, random_state=0).fit(X)
    np.testing.assert_array_equal(plain.error_scale_, np.ones(12, dtype=np.float32))
    # Same network (the option changes the score only), so the plain errors are det's too.
    np.testing.assert_array_equal(plain.reconstruct(X), det.reconstruct(X))
    errors = plain.feature_scores(X)
    # Typical rows: those that the scales from every row score within the
    # 1 - contamination quantile; the scales are their mean errors.
    first = (errors / _floored(errors.mean(axis=0))).mean(axis=1)
    typical = first <= np.quantile(first, 0.9)
    assert not typical[:10].any() and typical.sum() == 540
    expected_scale = _floored(errors[typical].mean(axis=0))
    np.testing.assert_allclose(det.error_scale_, expected_scale, rtol=1e-5)
    assert det.error_scale_[1] < 0.5 * errors[:, 1].mean()
    np.testing.assert_allclose(det.feature_scores(X), errors / det.error_scale_, rtol=1e-5)
    np.testing.assert_allclose(det.decision_scores_, (errors / det.error_scale_).mean(axis=1),
                               rtol=1e-5)
    np.testing.assert_array_equal(det.decision_function(X), det.decision_scores_)
    # Every feature weighs the same on the typical rows: each one's mean error is 1
    # (or below, where the floor lifted its scale).
    normalised = det.feature_scores(X)[typical].mean(axis=0)
    assert np.all(normalised <= 1 + 1e-5) and np.isclose(normalised.max(), 1, rtol=1e-5)
    with pytest.raises(ValueError, match="normalize_errors must be one of True, False; got 'yes'"):
        cls(normalize_errors="yes").fit(X)


def test_typical_rows_of_the_error_scales_follow_the_contamination(data):
    errors = pa.DeepAE(normalize_errors=False, epochs=3, random_state=0).fit(data) \
        .feature_scores(data)
    first = (errors / _floored(errors.mean(axis=0))).mean(axis=1)
    for contamination, share in [(0.25, 0.75), (MeanStdThreshold(k=2), 0.9)]:
        det = pa.DeepAE(contamination=contamination, epochs=3, random_state=0).fit(data)
        typical = first <= np.quantile(first, share)
        np.testing.assert_allclose(det.error_scale_, _floored(errors[typical].mean(axis=0)),
                                   rtol=1e-5)


def test_error_scales_of_a_long_set_come_from_an_evenly_spaced_sample(monkeypatch):
    import pyod_aeplus.base

    X = np.random.default_rng(0).normal(size=(3000, 4))
    monkeypatch.setattr(pyod_aeplus.base, "SAMPLE_VALUES", 4 * 500)
    monkeypatch.setattr(pyod_aeplus.base, "MIN_SAMPLE_ROWS", 10)
    det = pa.DeepAE(epochs=2, random_state=0).fit(X)
    sample = X[np.linspace(0, 2999, 500).astype(int)]
    errors = det.feature_scores(sample) * det.error_scale_
    first = (errors / _floored(errors.mean(axis=0))).mean(axis=1)
    typical = first <= np.quantile(first, 0.9)
    np.testing.assert_allclose(det.error_scale_, _floored(errors[typical].mean(axis=0)),
                               rtol=1e-5)
    # Every training row is still scored, by the same function as new rows.
    np.testing.assert_array_equal(det.decision_scores_, det.decision_function(X))


def test_deep_ae_normalized_errors_floor_a_closely_rebuilt_feature(data):
    X = np.column_stack([data, np.full(len(data), 2.0)])  # constant: scaled to 0 everywhere
    plain = pa.DeepAE(normalize_errors=False, epochs=3, random_state=0).fit(X)
    errors = plain.feature_scores(X)
    first = (errors / _floored(errors.mean(axis=0))).mean(axis=1)
    mean = errors[first <= np.quantile(first, 0.9)].mean(axis=0)  # on the typical rows
    assert mean[-1] < 0.1 * mean.mean()  # rebuilt far more closely than the rest
    det = pa.DeepAE(normalize_errors=True, epochs=3, random_state=0).fit(X)
    # Its scale is the floor, a tenth of the mean over features, not its own tiny error.
    np.testing.assert_allclose(det.error_scale_[-1], 0.1 * mean.mean(), rtol=1e-5)
    assert det.error_scale_[-1] > 5 * mean[-1]
    assert np.isfinite(det.decision_scores_).all()


def test_mae_loss_changes_the_score(data):
    mse = pa.DenseAE(epochs=3, random_state=0).fit(data)
    mae = pa.DenseAE(loss="mae", epochs=3, random_state=0).fit(data)
    assert not np.allclose(mse.decision_scores_, mae.decision_scores_)
    errors = mae.feature_scores(data)
    np.testing.assert_allclose(errors.mean(axis=1), mae.decision_scores_, rtol=1e-5)


@pytest.mark.parametrize("preprocessing", ["standard", "minmax", "robust", None])
def test_preprocessing_options(data, preprocessing):
    det = pa.DenseAE(preprocessing=preprocessing, epochs=3, random_state=0).fit(data * 100 + 5)
    recon = det.reconstruct(data * 100 + 5)
    assert np.isfinite(recon).all()
    if preprocessing is None:
        np.testing.assert_array_equal(det.scale_, 1.0)


def test_history_and_early_stopping(data):
    # Pure noise: the validation loss soon stops improving.
    noise = np.random.default_rng(0).normal(size=(400, 8))
    det = pa.DenseAE(epochs=500, patience=3, lr=0.01, batch_size=32, random_state=0).fit(noise)
    h = det.history_
    assert h["n_epochs"] < 500 and len(h["loss"]) == len(h["val_loss"]) == h["n_epochs"]
    assert len(h["epoch_seconds"]) == h["n_epochs"] and min(h["epoch_seconds"]) > 0
    assert h["n_epochs"] - h["best_epoch"] == 3
    # The best weights are restored: they equal a run stopped at the best epoch.
    stopped = pa.DenseAE(epochs=h["best_epoch"], early_stopping=False, lr=0.01, batch_size=32,
                         random_state=0).fit(noise)
    np.testing.assert_array_equal(stopped.decision_scores_, det.decision_scores_)
    no_val = pa.DenseAE(epochs=5, validation_fraction=0.0, random_state=0).fit(data)
    assert no_val.history_["val_loss"] == [] and len(no_val.history_["loss"]) == 5


@pytest.mark.parametrize("name", ["DenseAE", "DeepAE", "SparseAE", "DenoisingAE", "VAE", "ConvAE"])
def test_auto_epochs_budget(name):
    det = getattr(pa, name)()
    # By default fit trains for the budget: 30 epochs of the 10 rows here.
    rows = np.random.default_rng(0).normal(size=(10, 8))
    fitted = getattr(pa, name)(early_stopping=False, random_state=0).fit(rows)
    assert fitted.history_["n_epochs"] == 30
    assert det._training_sizes(5000) == (30, 256)  # 20 steps an epoch: the 30-epoch cap
    assert det._training_sizes(100_000) == (8, 256)  # 391 steps an epoch: about 3000 steps
    assert det._training_sizes(10) == (30, 10)
    assert getattr(pa, name)(epochs=7, batch_size=64)._training_sizes(1000) == (7, 64)
    # Only AEPlus sizes its batches.
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        getattr(pa, name)(batch_size="auto").fit(np.zeros((20, 140)))


def test_auto_epochs_are_what_fit_runs(data):
    det = pa.DenseAE(random_state=0, early_stopping=False).fit(data[:300])
    assert det.history_["n_epochs"] == 30


def _dropout_mlp():
    from pyod_aeplus.nn import MLPAutoEncoder, drawing_from

    with drawing_from(torch.Generator().manual_seed(0)):
        return MLPAutoEncoder(7, (16, 5), "relu", dropout=0.3, batch_norm=True)


def test_hand_written_step_draws_the_dropout_masks_autograd_draws():
    from pyod_aeplus.nn import dropout_generator, reconstruction_step, relu_blocks

    x = torch.randn(32, 7, generator=torch.Generator().manual_seed(1))
    global_state = torch.get_rng_state()
    grads = []
    for fused in (False, True):
        net = _dropout_mlp().train()
        for p in net.parameters():
            p.grad = torch.zeros_like(p)
        with dropout_generator(net, torch.Generator().manual_seed(2)):
            if fused:
                loss = reconstruction_step(relu_blocks(net), x)
            else:
                loss = (net(x)[0] - x).square().mean()
                loss.backward()
        grads.append((loss.detach(), [p.grad.clone() for p in net.parameters()]))
    assert all(layer.generator is None for layer in net.modules() if hasattr(layer, "generator"))
    (loss_a, grads_a), (loss_f, grads_f) = grads
    torch.testing.assert_close(loss_f, loss_a)
    for a, f in zip(grads_a, grads_f):
        torch.testing.assert_close(f, a, rtol=1e-4, atol=1e-6)
    assert torch.equal(torch.get_rng_state(), global_state)


def test_networks_are_built_from_the_given_generator_only():
    from torch import nn

    from pyod_aeplus.nn import drawing_from, dropout_generator

    global_state = torch.get_rng_state()
    first, second = _dropout_mlp(), _dropout_mlp()
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(torch.get_rng_state(), global_state)
    with pytest.raises(TypeError, match="Dropout draws from torch's global generator"):
        with dropout_generator(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1)), None):
            pass
    with pytest.raises(RuntimeError, match="dropout cannot take a generator"):
        with drawing_from(torch.Generator()):
            torch.nn.functional.dropout(torch.ones(3), 0.5)
