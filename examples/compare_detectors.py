"""Swap IsolationForest for AEPlus?
================================

Compare them (and OCSVM, LOF) on one data set.

Uses an embedded ADBench set (no download) with the benchmark's unsupervised
protocol: stratified 70/30 split, training part keeps its anomalies.

Run it as a script::

    python examples/compare_detectors.py [--dataset NAME] [--fast] [--output DIR]
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

from pyod_aeplus import plotting  # noqa: E402
from pyod_aeplus.benchmark import make_detector, split  # noqa: E402
from pyod_aeplus.datasets import load_dataset  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="Cardiotocography")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--output", default="examples/output/compare_detectors")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    data = load_dataset(args.dataset)
    X_train, X_test, y_train, y_test = split(data.X, data.y, "unsupervised", seed=0)
    scores, rows = {}, []
    for name in ("AEPlus", "IForest", "OCSVM", "LOF"):
        detector = make_detector(name, random_state=0)
        if args.fast and name == "AEPlus":
            detector.set_params(epochs=2)
        start = time.perf_counter()
        detector.fit(X_train)
        seconds = time.perf_counter() - start
        scores[name] = detector.decision_function(X_test)
        rows.append((name, roc_auc_score(y_test, scores[name]),
                     average_precision_score(y_test, scores[name]), seconds))
    print(f"{data.name}: {len(X_train)} training rows, {len(X_test)} test rows")
    print("| detector | ROC-AUC | AP | fit seconds |\n|---|---|---|---|")
    for name, auc, ap, seconds in rows:
        print(f"| {name} | {auc:.3f} | {ap:.3f} | {seconds:.2f} |")
    fig, _ = plotting.plot_roc(y_test, scores)
    fig.savefig(out / "roc.png", dpi=110)
    fig, _ = plotting.plot_precision_recall(y_test, scores)
    fig.savefig(out / "precision_recall.png", dpi=110)
    matplotlib.pyplot.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return rows


if __name__ == "__main__":
    main()
