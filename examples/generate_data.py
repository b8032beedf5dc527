"""PyOD's generate_data, as in the PyTorch tutorial
================================================

10,000 training rows, 50 features, 20 % outliers.

A simple autoencoder (code 32, sigmoid) trained on the normal training rows;
threshold at the midpoint between the mean error of normal and of anomalous
training rows. Published: accuracy 0.694, recall 0.235.

Run it as a script::

    python examples/generate_data.py [--fast] [--output DIR]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
from sklearn.metrics import accuracy_score, recall_score, roc_auc_score  # noqa: E402

from pyod_aeplus import DenseAE, plotting  # noqa: E402
from pyod_aeplus.datasets import generate_data  # noqa: E402
from pyod_aeplus.thresholds import midpoint_threshold  # noqa: E402

PUBLISHED = {"accuracy": 0.694, "recall": 0.235}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="few epochs")
    parser.add_argument("--output", default="examples/output/generate_data")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    data = generate_data(n_train=10_000, n_test=1_000, n_features=50, contamination=0.2,
                         random_state=42)
    X_train, y_train = data.X[:data.n_train], data.y[:data.n_train]
    X_test, y_test = data.X[data.n_train:], data.y[data.n_train:]
    detector = DenseAE(code_size=32, activation="sigmoid", epochs=2 if args.fast else 30,
                       batch_size=64, random_state=0).fit(X_train[y_train == 0])
    threshold = midpoint_threshold(detector.decision_function(X_train), y_train)
    scores = detector.decision_function(X_test)
    predicted = (scores > threshold).astype(int)
    ours = {"accuracy": accuracy_score(y_test, predicted),
            "recall": recall_score(y_test, predicted)}

    print("generate_data (PyTorch tutorial), dense AE on normal rows, midpoint threshold")
    print("| metric | published (PyTorch tutorial) | pyod_aeplus |\n|---|---|---|")
    for key in PUBLISHED:
        print(f"| {key} | {PUBLISHED[key]:.3f} | {ours[key]:.3f} |")
    print(f"| ROC-AUC | - | {roc_auc_score(y_test, scores):.3f} |")

    fig, _ = plotting.plot_history(detector)
    fig.savefig(out / "loss.png", dpi=110)
    fig, _ = plotting.plot_score_histogram(scores, y_test, threshold)
    fig.savefig(out / "score_histogram.png", dpi=110)
    fig, _ = plotting.plot_confusion_matrix(y_test, predicted)
    fig.savefig(out / "confusion_matrix.png", dpi=110)
    matplotlib.pyplot.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return ours


if __name__ == "__main__":
    main()
