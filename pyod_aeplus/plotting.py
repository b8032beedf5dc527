"""Figures users look at: loss curves, score histograms, reconstructions, ROC/PR, errors.

Every function returns the matplotlib ``(figure, axes)`` and never calls
``show()``; pass ``ax`` to draw into an existing axes. Needs matplotlib
(``pip install 'pyod_aeplus[plot]'``).
"""

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "pyod_aeplus.plotting needs matplotlib: pip install 'pyod_aeplus[plot]'") from None
    return plt


def _axes(ax, figsize=(6, 4)):
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def plot_history(detector, ax=None):
    """Training (and validation) loss per epoch from ``detector.history_``."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(detector, "history_")
    fig, ax = _axes(ax)
    history = detector.history_
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss")
    if history.get("val_loss"):
        ax.plot(epochs, history["val_loss"], label="validation loss")
    if history.get("best_epoch"):
        ax.axvline(history["best_epoch"], color="grey", ls=":", label="best epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"{type(detector).__name__} training")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig, ax


def plot_score_histogram(scores, y=None, threshold=None, bins=50, log=False, ax=None):
    """Histogram of scores, normal and anomalous rows apart when ``y`` is given."""
    fig, ax = _axes(ax)
    scores = np.asarray(scores, dtype=float)
    edges = np.histogram_bin_edges(scores, bins=bins)
    if y is None:
        ax.hist(scores, bins=edges, alpha=0.7, label="all rows")
    else:
        y = np.asarray(y)
        ax.hist(scores[y == 0], bins=edges, alpha=0.6, label=f"normal ({(y == 0).sum()})")
        ax.hist(scores[y == 1], bins=edges, alpha=0.6, label=f"anomaly ({(y == 1).sum()})")
    if threshold is not None:
        ax.axvline(threshold, color="red", ls="--", label=f"threshold {threshold:.3g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("outlier score")
    ax.set_ylabel("rows")
    ax.set_title("Score distribution")
    ax.legend()
    return fig, ax


def plot_reconstruction(detector, X, rows=(0,), image_shape=None, titles=None):
    """Input against reconstruction: line plots for rows/sequences, image pairs for 2-D inputs.

    Parameters
    ----------
    detector : fitted detector with ``reconstruct``
    X : array of shape (n, n_features)
    rows : sequence of int
        Which rows to show.
    image_shape : tuple, optional
        ``(height, width)``: show images (input on top, reconstruction below).
    """
    plt = _pyplot()
    X = np.asarray(X, dtype=float)
    rows = list(rows)
    recon = detector.reconstruct(X[rows])
    titles = titles or [f"row {r}" for r in rows]
    if image_shape is None:
        fig, axes = plt.subplots(1, len(rows), figsize=(4 * len(rows), 3), squeeze=False)
        for ax, original, rebuilt, title in zip(axes[0], X[rows], recon, titles):
            ax.plot(original, label="input")
            ax.plot(rebuilt, label="reconstruction")
            ax.fill_between(np.arange(len(original)), original, rebuilt, color="red", alpha=0.2,
                            label="error")
            ax.set_title(title)
        axes[0][0].legend()
    else:
        fig, axes = plt.subplots(2, len(rows), figsize=(1.6 * len(rows), 3.4), squeeze=False)
        for col, (original, rebuilt, title) in enumerate(zip(X[rows], recon, titles)):
            axes[0][col].imshow(original.reshape(image_shape), cmap="gray")
            axes[1][col].imshow(rebuilt.reshape(image_shape), cmap="gray")
            axes[0][col].set_title(title, fontsize=8)
            for ax in axes[:, col]:
                ax.axis("off")
        axes[0][0].set_ylabel("input")
        axes[1][0].set_ylabel("reconstruction")
    fig.tight_layout()
    return fig, axes


def plot_roc(y, scores_by_name, ax=None):
    """ROC curves of one or more detectors: ``scores_by_name = {"AEPlus": scores, ...}``."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = _axes(ax, figsize=(5, 5))
    for name, scores in scores_by_name.items():
        fpr, tpr, _ = roc_curve(y, scores)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, scores):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls=":")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC")
    ax.legend(loc="lower right")
    return fig, ax


def plot_precision_recall(y, scores_by_name, ax=None):
    """Precision-recall curves of one or more detectors."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, ax = _axes(ax, figsize=(5, 5))
    for name, scores in scores_by_name.items():
        precision, recall, _ = precision_recall_curve(y, scores)
        ax.plot(recall, precision, label=f"{name} (AP {average_precision_score(y, scores):.3f})")
    ax.axhline(np.mean(y), color="grey", ls=":", label="chance")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall")
    ax.legend()
    return fig, ax


def plot_confusion_matrix(y_true, y_pred, ax=None):
    """Confusion matrix of labels (0 = normal, 1 = anomaly) with counts."""
    from sklearn.metrics import confusion_matrix

    fig, ax = _axes(ax, figsize=(4, 4))
    matrix = confusion_matrix(y_true, y_pred, labels=[0, 1])
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks([0, 1], ["normal", "anomaly"])
    ax.set_yticks([0, 1], ["normal", "anomaly"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix")
    return fig, ax


def plot_feature_errors(detector, row, feature_names=None, top=15, ax=None):
    """Per-feature error of one row (``feature_scores``), largest first."""
    errors = detector.feature_scores(np.asarray(row, dtype=float).reshape(1, -1))[0]
    default_names = [f"x{i}" for i in range(len(errors))]
    names = (list(feature_names) if feature_names is not None
             else list(getattr(detector, "feature_names_in_", default_names)))
    order = np.argsort(errors)[::-1][:top]
    fig, ax = _axes(ax, figsize=(6, 0.3 * len(order) + 1.5))
    ax.barh([names[i] for i in order][::-1], errors[order][::-1])
    ax.set_xlabel("feature score (reconstruction error; AEPlus: rarity)")
    ax.set_title("What made this row abnormal")
    fig.tight_layout()
    return fig, ax
