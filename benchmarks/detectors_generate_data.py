"""Each detector with its defaults on PyOD's generate_data (the bar: test ROC-AUC >= 0.95).

    python benchmarks/detectors_generate_data.py

generate_data(n_train=2000, n_test=1000, n_features=20, contamination=0.05,
random_state=42); fit on the training part, ROC-AUC on the test part; fit
seconds on this machine's CPU.
"""

import time

import torch
from pyod.utils.data import generate_data
from sklearn.metrics import roc_auc_score

import pyod_aeplus as pa

NAMES = ["DenseAE", "DeepAE", "SparseAE", "DenoisingAE", "ConvAE", "VAE", "AEPlus"]


def main():
    X_train, X_test, _, y_test = generate_data(n_train=2000, n_test=1000, n_features=20,
                                               contamination=0.05, random_state=42)
    print(f"CPU, {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    print("| detector | test ROC-AUC | fit seconds | epochs run |\n|---|---|---|---|")
    for name in NAMES:
        detector = getattr(pa, name)(random_state=0, device="cpu")
        start = time.perf_counter()
        detector.fit(X_train)
        seconds = time.perf_counter() - start
        auc = roc_auc_score(y_test, detector.decision_function(X_test))
        print(f"| {name} | {auc:.4f} | {seconds:.2f} | {detector.history_['n_epochs']} |")


if __name__ == "__main__":
    main()
