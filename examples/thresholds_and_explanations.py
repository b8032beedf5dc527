"""Thresholds and explanations
===========================

One set of scores, four ways to threshold it, and which features made the top
anomalies.

Thresholds: the contamination rate (PyOD's rule), a pythresh thresholder,
the 95th percentile and mean + 2 std of the training scores.

Run it as a script::

    python examples/thresholds_and_explanations.py [--fast] [--output DIR]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_score, recall_score  # noqa: E402

from pyod_aeplus import AEPlus, plotting  # noqa: E402
from pyod_aeplus.benchmark import split  # noqa: E402
from pyod_aeplus.datasets import load_dataset  # noqa: E402
from pyod_aeplus.thresholds import MeanStdThreshold, PercentileThreshold  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--output", default="examples/output/thresholds_and_explanations")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    data = load_dataset("Cardiotocography")
    X_train, X_test, y_train, y_test = split(data.X, data.y, "unsupervised", seed=0)
    extra = {"epochs": 2} if args.fast else {}
    rules = {"contamination 0.1": 0.1,
             "95th percentile": PercentileThreshold(95),
             "mean + 2 std": MeanStdThreshold(2.0)}
    try:
        from pythresh.thresholds.karch import KARCH

        rules["pythresh KARCH"] = KARCH()
    except ImportError:
        print("(pythresh is not installed: its row is left out)")
    print("Cardiotocography, AEPlus, the same scores under four threshold rules")
    print("| threshold rule | flagged in test | precision | recall |\n|---|---|---|---|")
    results = {}
    for name, rule in rules.items():
        detector = AEPlus(contamination=rule, random_state=0, **extra).fit(X_train)
        labels = detector.predict(X_test)
        results[name] = (int(labels.sum()), precision_score(y_test, labels, zero_division=0),
                         recall_score(y_test, labels))
        print(f"| {name} | {results[name][0]} | {results[name][1]:.3f} | {results[name][2]:.3f} |")

    detector = AEPlus(contamination=0.1, random_state=0, **extra).fit(X_train)
    scores = detector.decision_function(X_test)
    # AEPlus's feature scores are rarities: -log of how often a training row's
    # error (and value) in that feature is as large; 4.6 is about 1 in 100.
    rarity = detector.feature_scores(X_test)
    print("\nTop anomalies and the features that made them abnormal:")
    for row in np.argsort(scores)[::-1][:3]:
        top = np.argsort(rarity[row])[::-1][:3]
        features = ", ".join(f"feature {j} (rarity {rarity[row, j]:.1f})" for j in top)
        print(f"- test row {row} (label {y_test[row]}, score {scores[row]:.2f}): {features}")
    fig, _ = plotting.plot_feature_errors(detector, X_test[np.argmax(scores)])
    fig.savefig(out / "feature_errors.png", dpi=110)
    fig, _ = plotting.plot_score_histogram(scores, y_test, detector.threshold_)
    fig.savefig(out / "score_histogram.png", dpi=110)
    matplotlib.pyplot.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return results


if __name__ == "__main__":
    main()
