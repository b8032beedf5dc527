"""The Keras tutorial's imbalanced problem
=======================================

100,000 rows, 32 features, 0.5 % anomalies.

The tutorial trains a 16-8-4 autoencoder on the normal rows and flags test
rows above the 98th percentile of training errors; its recall is about 0.01.
Reference detectors on this problem: PyOD AutoEncoder ROC-AUC 0.723 / AP
0.250, LOF 0.729 / 0.198, IsolationForest 0.527 / 0.010.

Run it as a script::

    python examples/make_classification.py [--fast] [--output DIR]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
from sklearn.metrics import average_precision_score, recall_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from pyod_aeplus import AEPlus, DeepAE, SparseAE, plotting  # noqa: E402
from pyod_aeplus.datasets import make_classification  # noqa: E402
from pyod_aeplus.thresholds import percentile_threshold  # noqa: E402

PUBLISHED = {"recall": 0.01}
REFERENCE = {"PyOD AutoEncoder": (0.723, 0.250), "LOF": (0.729, 0.198),
             "IsolationForest": (0.527, 0.010)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="10,000 rows, few epochs")
    parser.add_argument("--output", default="examples/output/make_classification")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    data = make_classification(n_samples=10_000 if args.fast else 100_000)
    X_train, X_test, y_train, y_test = train_test_split(data.X, data.y, test_size=0.2,
                                                        random_state=42)
    normal = X_train[y_train == 0]
    detectors = {
        # The tutorial's network and score (the plain mean error).
        "DeepAE 16-8-4 (the tutorial's network)": DeepAE(hidden_sizes=(16, 8, 4),
                                                         normalize_errors=False,
                                                         epochs=2 if args.fast else 20,
                                                         batch_size=64, random_state=0),
        "SparseAE (defaults)": SparseAE(random_state=0, **({"epochs": 2} if args.fast else {})),
        "AEPlus (defaults)": AEPlus(random_state=0, **({"epochs": 2} if args.fast else {})),
    }
    results, all_scores = {}, {}
    for name, detector in detectors.items():
        detector.fit(normal)
        threshold = percentile_threshold(detector.decision_scores_, 98)
        scores = detector.decision_function(X_test)
        all_scores[name] = scores
        results[name] = (roc_auc_score(y_test, scores), average_precision_score(y_test, scores),
                         recall_score(y_test, scores > threshold))

    print("make_classification (Keras tutorial), trained on normal rows, 98th-percentile threshold")
    print("| detector | ROC-AUC | AP | recall at threshold |\n|---|---|---|---|")
    print(f"| published (Keras tutorial) | - | - | {PUBLISHED['recall']:.2f} |")
    for name, (auc, ap) in REFERENCE.items():
        print(f"| reference: {name} | {auc:.3f} | {ap:.3f} | - |")
    for name, (auc, ap, recall) in results.items():
        print(f"| {name} | {auc:.3f} | {ap:.3f} | {recall:.3f} |")

    best = detectors["SparseAE (defaults)"]
    fig, _ = plotting.plot_history(best)
    fig.savefig(out / "loss.png", dpi=110)
    fig, _ = plotting.plot_score_histogram(all_scores["SparseAE (defaults)"], y_test,
                                           percentile_threshold(best.decision_scores_, 98),
                                           log=True)
    fig.savefig(out / "score_histogram.png", dpi=110)
    fig, _ = plotting.plot_precision_recall(y_test, all_scores)
    fig.savefig(out / "precision_recall.png", dpi=110)
    matplotlib.pyplot.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return results


if __name__ == "__main__":
    main()
