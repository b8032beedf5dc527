"""Which detector for which kind of anomaly?
=========================================

AEPlus, IForest, LOF, KNN and OCSVM on one data set with ADBench's four kinds of
synthetic anomalies.

The set's own anomalies are replaced by local, global, dependency or clustered
ones (``load_dataset("NAME@KIND")``), each detector runs on the benchmark's
unsupervised split, and the ROC-AUC of each pair is tabled and plotted, with a
picture of what each kind looks like (the first two principal components).

Run it as a script::

    python examples/anomaly_kinds.py [--dataset NAME] [--fast] [--output DIR]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from pyod_aeplus.benchmark import make_detector, split  # noqa: E402
from pyod_aeplus.datasets import ANOMALY_TYPES, load_dataset  # noqa: E402

DETECTORS = ("AEPlus", "IForest", "LOF", "KNN", "OCSVM")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="Cardiotocography")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--output", default="examples/output/anomaly_kinds")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    auc = {}
    fig, axes = plt.subplots(1, len(ANOMALY_TYPES), figsize=(4 * len(ANOMALY_TYPES), 4))
    for kind, ax in zip(ANOMALY_TYPES, axes):
        data = load_dataset(f"{args.dataset}@{kind}")
        X_train, X_test, y_train, y_test = split(data.X, data.y, "unsupervised", seed=0)
        for name in DETECTORS:
            detector = make_detector(name, random_state=0)
            if args.fast and name == "AEPlus":
                detector.set_params(epochs=2)
            scores = detector.fit(X_train).decision_function(X_test)
            auc[name, kind] = roc_auc_score(y_test, scores)
        # What the kind looks like: the test rows on the normal rows' first two axes.
        axes_of_normal = PCA(2).fit(X_train[y_train == 0])
        shown = axes_of_normal.transform(X_test)
        for label, colour, text in ((0, "tab:blue", "normal"), (1, "tab:red", "anomaly")):
            rows = shown[y_test == label]
            ax.scatter(rows[:, 0], rows[:, 1], s=6, alpha=0.5, c=colour, label=text)
        ax.set_title(f"{kind} anomalies")
        ax.set_xlabel("1st principal axis of the normal rows")
    axes[0].set_ylabel("2nd principal axis")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / "kinds.png", dpi=110)

    print(f"{data.name.rpartition('@')[0]}: ROC-AUC by kind of synthetic anomaly (seed 0)")
    print("| detector | " + " | ".join(ANOMALY_TYPES) + " | mean |")
    print("|---|" + "---|" * (len(ANOMALY_TYPES) + 1))
    for name in DETECTORS:
        values = [auc[name, kind] for kind in ANOMALY_TYPES]
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values)
              + f" | {np.mean(values):.3f} |")

    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(DETECTORS)
    for i, name in enumerate(DETECTORS):
        ax.bar(np.arange(len(ANOMALY_TYPES)) + i * width,
               [auc[name, kind] for kind in ANOMALY_TYPES], width, label=name)
    ax.set_xticks(np.arange(len(ANOMALY_TYPES)) + 0.4 - width / 2, ANOMALY_TYPES)
    ax.set_ylim(0.0, 1.0)
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")  # chance
    ax.set_ylabel("ROC-AUC")
    ax.legend(ncol=len(DETECTORS), fontsize="small", loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(out / "roc_auc_by_kind.png", dpi=110)
    plt.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return auc


if __name__ == "__main__":
    main()
