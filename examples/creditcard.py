"""Credit-card fraud: five autoencoders side by side
=================================================

Simple, sparse, deep and denoising autoencoders and a VAE.

As in the book chapter: 20,000 normal and 400 fraud rows, an 80/20 split,
each detector fitted on the training part. Published ROC-AUC: autoencoder
0.86, VAE 0.93.

The data (ULB/Kaggle ``creditcard.csv``, 284,807 × 31) is not shipped: put it
at ``$PYOD_AEPLUS_DATA/creditcard/creditcard.csv`` (default
``~/.cache/pyod_aeplus/creditcard/creditcard.csv``), or let the loader
download it when online.

Run it as a script::

    python examples/creditcard.py [--fast] [--output DIR]
"""

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from pyod_aeplus import VAE, DeepAE, DenoisingAE, DenseAE, SparseAE, plotting  # noqa: E402
from pyod_aeplus.datasets import DatasetUnavailableError, load_creditcard  # noqa: E402

PUBLISHED = {"autoencoder": 0.86, "VAE": 0.93}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="few epochs")
    parser.add_argument("--output", default="examples/output/creditcard")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    try:
        data = load_creditcard()
    except DatasetUnavailableError as exc:
        print(f"The credit-card data is not here.\n{exc}", file=sys.stderr)
        return None

    rng = np.random.default_rng(0)
    normal = np.flatnonzero(data.y == 0)
    fraud = np.flatnonzero(data.y == 1)
    index = np.concatenate([rng.choice(normal, min(20_000, len(normal)), replace=False),
                            rng.choice(fraud, min(400, len(fraud)), replace=False)])
    X_train, X_test, y_train, y_test = train_test_split(
        data.X[index], data.y[index], test_size=0.2, stratify=data.y[index], random_state=0)
    epochs = 2 if args.fast else 50
    common = dict(contamination=0.02, epochs=epochs, batch_size=64, random_state=0)
    detectors = {
        "simple (DenseAE, code 12)": DenseAE(code_size=12, **common),
        "sparse (SparseAE, code 12)": SparseAE(code_size=12, sparsity_weight=1e-4, **common),
        # The tutorial's network and score (the plain mean error).
        "deep (DeepAE 16-8-4)": DeepAE(hidden_sizes=(16, 8, 4), normalize_errors=False, **common),
        "denoising (DenoisingAE)": DenoisingAE(hidden_sizes=(16, 8, 4), noise_level=0.1, **common),
        "VAE": VAE(**common),
    }
    scores = {}
    for name, detector in detectors.items():
        scores[name] = detector.fit(X_train).decision_function(X_test)
    print("Credit-card fraud, 20,000 normal + 400 fraud, 80/20 split")
    print("| detector | published ROC-AUC | pyod_aeplus ROC-AUC |\n|---|---|---|")
    results = {}
    for name, s in scores.items():
        results[name] = roc_auc_score(y_test, s)
        published = PUBLISHED["VAE"] if name == "VAE" else PUBLISHED["autoencoder"]
        print(f"| {name} | {published:.2f} | {results[name]:.3f} |")
    fig, _ = plotting.plot_roc(y_test, scores)
    fig.savefig(out / "roc.png", dpi=110)
    fig, _ = plotting.plot_score_histogram(scores["VAE"], y_test, log=True)
    fig.savefig(out / "vae_score_histogram.png", dpi=110)
    matplotlib.pyplot.close("all")  # a script run in a loop must not pile figures up
    print(f"plots: {out}/")
    return results


if __name__ == "__main__":
    main()
