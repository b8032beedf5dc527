"""MNIST one-class: a convolutional autoencoder
============================================

Digit 1 normal, digit 3 as 1 % anomalies.

The loader reads the MNIST *test* set only (10,000 images), so the
one-class set built from it (1,135 ones + 11 threes) is split in half,
stratified: the autoencoder is fitted on one half (anomalies included, labels
unused) and evaluated on the other. Threshold by contamination (1 %).

The data (the MNIST test set) is downloaded to the data folder
(``$PYOD_AEPLUS_DATA``, else ``~/.cache/pyod_aeplus``) on first use; the
documentation's gallery runs this example only when the files are there.

Run it as a script::

    python examples/mnist_one_class.py [--fast] [--output DIR]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from pyod_aeplus import ConvAE, plotting  # noqa: E402
from pyod_aeplus.datasets import load_mnist_one_class  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="few epochs")
    parser.add_argument("--output", default="examples/output/mnist_one_class")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    data = load_mnist_one_class(normal_digit=1, anomaly_digit=3, contamination=0.01)
    X_train, X_test, y_train, y_test = train_test_split(data.X, data.y, test_size=0.5,
                                                        stratify=data.y, random_state=0)
    # ConvAE's defaults: one scaling for every pixel, so dark background and
    # bright strokes keep their sizes (per-pixel standardisation gave 0.98).
    detector = ConvAE(input_shape=(1, 28, 28), contamination=0.01,
                      epochs=2 if args.fast else "auto", random_state=0)
    detector.fit(X_train)
    scores = detector.decision_function(X_test)
    predicted = detector.predict(X_test)
    auc, ap = roc_auc_score(y_test, scores), average_precision_score(y_test, scores)
    print("MNIST one-class (digit 1 normal, digit 3 anomalies at 1 %), ConvAE, half/half split")
    print("| metric | pyod_aeplus |\n|---|---|")
    print(f"| ROC-AUC | {auc:.3f} |\n| average precision | {ap:.3f} |")
    print(f"| anomalies flagged at the 1 % threshold | {predicted[y_test == 1].sum()} of "
          f"{int(y_test.sum())} |")

    order = np.argsort(scores)
    rows = [*order[:4], *order[-4:]]
    titles = [f"normal-looking {scores[r]:.3f}" for r in order[:4]] + \
             [f"{'3' if y_test[r] else '1'}, score {scores[r]:.3f}" for r in order[-4:]]
    fig, _ = plotting.plot_reconstruction(detector, X_test, rows=rows, image_shape=(28, 28),
                                          titles=titles)
    fig.savefig(out / "reconstruction_grid.png", dpi=110)
    fig, _ = plotting.plot_score_histogram(scores, y_test, detector.threshold_, log=True)
    fig.savefig(out / "score_histogram.png", dpi=110)
    fig, _ = plotting.plot_history(detector)
    fig.savefig(out / "loss.png", dpi=110)
    matplotlib.pyplot.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return {"roc_auc": auc, "average_precision": ap}


if __name__ == "__main__":
    main()
