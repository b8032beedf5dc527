"""Every plot draws without error, returns its figure and draws what it says."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import pyod_aeplus as pa  # noqa: E402
from pyod_aeplus import plotting  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 16))
    y = np.zeros(200, dtype=int)
    X[:10] += 4
    y[:10] = 1
    return X, y, pa.DenseAE(epochs=5, random_state=0).fit(X)


def test_history_plot_shows_training_and_validation_loss(fitted):
    fig, ax = plotting.plot_history(fitted[2])
    assert len(ax.lines) >= 2  # training and validation loss
    matplotlib.pyplot.close(fig)


def test_score_histogram_marks_the_threshold(fitted):
    X, y, det = fitted
    fig, ax = plotting.plot_score_histogram(det.decision_scores_, y, det.threshold_)
    assert any(line.get_xdata()[0] == det.threshold_ for line in ax.lines)
    assert len(ax.patches) > 0
    matplotlib.pyplot.close(fig)


def test_reconstructions_plot_as_lines_or_as_images(fitted):
    X, _, det = fitted
    fig, axes = plotting.plot_reconstruction(det, X, rows=[0, 50])
    assert axes.shape == (1, 2) and len(axes[0][0].lines) == 2
    fig2, axes2 = plotting.plot_reconstruction(det, X, rows=[0, 1, 2], image_shape=(4, 4))
    assert axes2.shape == (2, 3) and len(axes2[1][2].images) == 1
    matplotlib.pyplot.close("all")


def test_roc_pr_confusion_and_feature_error_plots_show_their_values(fitted, tmp_path):
    X, y, det = fitted
    scores = {"DenseAE": det.decision_scores_, "random": np.random.default_rng(1).random(200)}
    fig, ax = plotting.plot_roc(y, scores)
    assert len(ax.lines) == 3 and "AUC" in ax.get_legend().get_texts()[0].get_text()
    fig.savefig(tmp_path / "roc.png")
    assert (tmp_path / "roc.png").stat().st_size > 0
    fig, ax = plotting.plot_precision_recall(y, scores)
    assert "AP" in ax.get_legend().get_texts()[0].get_text()
    fig, ax = plotting.plot_confusion_matrix(y, det.labels_)
    assert sum(int(t.get_text()) for t in ax.texts) == 200
    fig, ax = plotting.plot_feature_errors(det, X[0], top=5)
    assert len(ax.patches) == 5
    matplotlib.pyplot.close("all")


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'pyod_aeplus\[plot\]'"):
        plotting._pyplot()
