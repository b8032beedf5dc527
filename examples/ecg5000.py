"""ECG5000: a simple autoencoder on normal heartbeats
==================================================

Trained on normal heartbeats only, as in the TensorFlow tutorial.

Threshold: mean + 1 std of the training errors (MAE). The tutorial counts a
*normal* beat as the positive class; its published figures are accuracy
0.944, precision 0.992, recall 0.907.

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

from pyod_aeplus import DenseAE, plotting  # noqa: E402
from pyod_aeplus.datasets import load_ecg5000  # noqa: E402
from pyod_aeplus.thresholds import mean_std_threshold  # noqa: E402

PUBLISHED = {"accuracy": 0.944, "precision": 0.992, "recall": 0.907}


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
    detector.fit(X_train[y_train == 0])
    threshold = mean_std_threshold(detector.decision_scores_, k=1.0)
    scores = detector.decision_function(X_test)
    predicted_normal = scores <= threshold
    is_normal = y_test == 0
    ours = {"accuracy": accuracy_score(is_normal, predicted_normal),
            "precision": precision_score(is_normal, predicted_normal),
            "recall": recall_score(is_normal, predicted_normal)}

    print("ECG5000, simple autoencoder (DenseAE) on normal beats, threshold mean + 1 std (normal = positive)")
    print("| metric | published (TensorFlow tutorial) | pyod_aeplus |\n|---|---|---|")
    for key in PUBLISHED:
        print(f"| {key} | {PUBLISHED[key]:.3f} | {ours[key]:.3f} |")
    print(f"| ROC-AUC (anomaly = positive) | - | {roc_auc_score(y_test, scores):.3f} |")

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
    return ours


if __name__ == "__main__":
    main()
