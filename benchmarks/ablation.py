"""AEPlus ablation: each component off in turn, on the development ADBench sets.

    python benchmarks/ablation.py [--seeds 0 1] [--n-jobs 2] [--output DIR]

Same protocol as the main benchmark (unsupervised, 70/30, caps of 5,000);
IsolationForest runs in the same grid as the yardstick. Writes
``ablation.csv`` and ``ablation.md``.
"""

import argparse
import os
import sys
from pathlib import Path

shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if shared.is_dir():
    os.environ.setdefault("PYOD_AEPLUS_DATA", str(shared))

from pyod_aeplus import AEPlus  # noqa: E402
from pyod_aeplus.benchmark import (  # noqa: E402
    make_tasks,
    register_detector,
    run_grid,
    summarize,
)
from pyod_aeplus.benchmark.cli import _dataset_groups  # noqa: E402
from pyod_aeplus.benchmark.report import _markdown_table  # noqa: E402

#: Variant name -> the parameters that switch one component off.
VARIANTS = {
    "AEPlus (all components)": {},
    "- ensemble (n_estimators=1)": {"n_estimators": 1},
    "- members' median error (member_error='mean')": {"member_error": "mean"},
    "- trimmed loss (trim_fraction=0)": {"trim_fraction": 0.0},
    "- normalised errors": {"normalize_errors": False},
    "- tail scores (tail_scores=False)": {"tail_scores": False},
    "- marginal term (marginal=False)": {"marginal": False},
    "- principal-component term (pca_weight=0)": {"pca_weight": 0.0},
    "- typical-row normalisers (typical_rows=False)": {"typical_rows": False},
    "- clipped input (clip=None)": {"clip": None},
    "- narrow codes (code_size=8)": {"code_size": 8},
    "- training budget (epochs=100)": {"epochs": 100},
    "- robust scaling (standard)": {"preprocessing": "standard"},
}


def _factory(params):
    def make(seed, contamination):
        return AEPlus(contamination=contamination, random_state=seed, **params)
    return make


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--output", default="benchmark-output/ablation")
    args = parser.parse_args(argv)
    for name, params in VARIANTS.items():
        register_detector(name, _factory(params), overwrite=True)
    data = Path(os.environ.get("PYOD_AEPLUS_DATA", ""))
    datasets = [d for d in _dataset_groups()["dev"] if (data / "adbench" / f"{d}.npz").is_file()]
    tasks = make_tasks([*VARIANTS, "IForest"], datasets, args.seeds)
    out = Path(args.output)
    rows = run_grid(tasks, out / "ablation.csv", n_jobs=args.n_jobs)
    summary = summarize(rows)[["mean_roc_auc", "mean_average_precision", "mean_rank",
                               "roc_auc_seed_std", "median_fit_seconds"]]
    summary = summary.reindex([*VARIANTS, "IForest"])
    text = (f"# AEPlus ablation ({len(datasets)} development sets, seeds "
            f"{' '.join(map(str, args.seeds))}, unsupervised)\n\n"
            + _markdown_table(summary, index_name="variant") + "\n")
    (out / "ablation.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
