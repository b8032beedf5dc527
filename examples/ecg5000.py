"""ECG5000: a simple autoencoder on normal heartbeats
==================================================

Trained on normal heartbeats only, as in the TensorFlow tutorial.

Threshold: mean + 1 std of the training errors (MAE). The tutorial counts a
*normal* beat as the positive class; its published figures are accuracy
0.944, precision 0.992, recall 0.907. The same beats, read as sequences of
140 values, go through ConvAE at its defaults too (its errors squared, the
threshold rule the same).

The data (the tutorial's ``ecg.csv``) is downloaded to the data folder
(``$PYOD_AEPLUS_DATA``, else ``~/.cache/pyod_aeplus``) on first use; the
documentation's gallery runs this example only when the file is there.

Run it as a script::

    python examples/ecg5000.py [--fast] [--output DIR]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from pyod_aeplus import ConvAE, DenseAE, plotting  # noqa: E402
from pyod_aeplus.datasets import load_ecg5000  # noqa: E402
from pyod_aeplus.thresholds import mean_std_threshold  # noqa: E402

PUBLISHED = {"accuracy": 0.944, "precision": 0.992, "recall": 0.907}


def evaluate(model, X_train, X_test, y_test):
    """Fit on normal beats; ``(metrics, threshold, test scores)`` (metrics: normal = positive)."""
    model.fit(X_train)
    threshold = mean_std_threshold(model.decision_scores_, k=1.0)
    scores = model.decision_function(X_test)
    predicted_normal, is_normal = scores <= threshold, y_test == 0
    metrics = {"accuracy": accuracy_score(is_normal, predicted_normal),
               "precision": precision_score(is_normal, predicted_normal),
               "recall": recall_score(is_normal, predicted_normal),
               "roc_auc": roc_auc_score(y_test, scores)}
    return metrics, threshold, scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="few epochs (for tests)")
    parser.add_argument("--output", default="examples/output/ecg5000")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    data = load_ecg5000()  # y = 1 for abnormal beats
    X_train, X_test, y_train, y_test = train_test_split(data.X, data.y, test_size=0.2,
                                                        random_state=21)
    # A simple autoencoder with the tutorial's code width (8) and loss (MAE);
    # the engine's defaults otherwise (standard scaling, early stopping).
    detector = DenseAE(code_size=8, loss="mae", epochs=3 if args.fast else 100,
                       batch_size=128, random_state=0)
    normal_train = X_train[y_train == 0]
    ours, threshold, scores = evaluate(detector, normal_train, X_test, y_test)
    # Each beat as a sequence of 140 values: ConvAE at its defaults (one
    # scaling for all values, convolutions along time).
    conv, _, _ = evaluate(ConvAE(epochs=2 if args.fast else "auto", random_state=0),
                          normal_train, X_test, y_test)
    predicted_normal = scores <= threshold
    is_normal = y_test == 0

    print("ECG5000, autoencoders on normal beats, threshold mean + 1 std (normal = positive)")
    print("| metric | published (TensorFlow tutorial) | pyod_aeplus DenseAE | pyod_aeplus ConvAE "
          "(defaults) |\n|---|---|---|---|")
    for key in PUBLISHED:
        print(f"| {key} | {PUBLISHED[key]:.3f} | {ours[key]:.3f} | {conv[key]:.3f} |")
    print(f"| ROC-AUC (anomaly = positive) | - | {ours['roc_auc']:.3f} | {conv['roc_auc']:.3f} |")

    fig, _ = plotting.plot_history(detector)
    fig.savefig(out / "loss.png", dpi=110)
    fig, _ = plotting.plot_score_histogram(scores, y_test, threshold)
    fig.savefig(out / "score_histogram.png", dpi=110)
    first_normal, first_abnormal = np.flatnonzero(is_normal)[0], np.flatnonzero(~is_normal)[0]
    fig, _ = plotting.plot_reconstruction(detector, X_test, rows=[first_normal, first_abnormal],
                                          titles=["a normal beat", "an abnormal beat"])
    fig.savefig(out / "reconstruction.png", dpi=110)
    fig, _ = plotting.plot_confusion_matrix(y_test, (~predicted_normal).astype(int))
    fig.savefig(out / "confusion_matrix.png", dpi=110)
    matplotlib.pyplot.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return {"DenseAE": ours, "ConvAE": conv}


if __name__ == "__main__":
    main()
