"""``pyod-aeplus-benchmark``: run a grid from the command line (also ``benchmarks/run.py``)."""

import argparse
import sys
from pathlib import Path

from .registry import CLASSICAL, OURS, REFERENCE, available_detectors, get_factory

DETECTOR_GROUPS = {"ours": OURS, "classical": CLASSICAL, "reference": REFERENCE}
# pyod_aeplus.datasets.ANOMALY_TYPES, written out: importing the data sets
# imports scikit-learn (seconds), which --help must not wait for.
ANOMALY_TYPES = ("local", "global", "dependency", "cluster")


def _dataset_groups():
    from ..datasets._registry import ADBENCH_DEV, EMBEDDED, EMBEDDING_DEV

    return {
        "embedded": list(EMBEDDED),
        "dev": list(ADBENCH_DEV),  # the 21 development ADBench sets
        "embeddings": list(EMBEDDING_DEV),  # the 19 development ResNet-18 / BERT sets
        "tutorials": ["ecg5000", "mnist", "make_classification", "generate_data"],
    }


def _expand(names, groups):
    out = []
    for name in names:
        for item in groups.get(name, [name]):
            if item not in out:
                out.append(item)
    return out


def build_parser(prog="pyod-aeplus-benchmark"):
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run detectors × data sets × seeds; write a CSV, a Markdown report and plots.")
    parser.add_argument("--quick", action="store_true",
                        help="the main job: embedded sets + generate_data, our detectors "
                             "against IForest, OCSVM and LOF, one seed")
    parser.add_argument("--detectors", nargs="+", default=None,
                        help="names or groups (ours, classical, reference), a name with "
                             "parameters too: 'AEPlus(trim_fraction=0, clip=None)'; "
                             f"registered: {', '.join(available_detectors())}")
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="names or groups (embedded, dev, embeddings, tutorials)")
    parser.add_argument("--seeds", nargs="+", type=int, default=None)
    parser.add_argument("--split-seed", type=int, default=None,
                        help="hold the data split at this seed: --seeds then vary only the "
                             "detectors' random_state, so the seed spread is theirs alone")
    parser.add_argument("--anomaly-types", nargs="+", default=None,
                        choices=ANOMALY_TYPES,
                        help="run each data set with its anomalies replaced by synthetic ones "
                             "of these kinds (ADBench's; a set 'NAME@KIND' each)")
    parser.add_argument("--protocol", choices=["unsupervised", "novelty"], default="unsupervised")
    parser.add_argument("--contamination", type=float, default=0.1)
    parser.add_argument("--max-train", type=int, default=5000)
    parser.add_argument("--max-test", type=int, default=5000)
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds per run (enforced in-process and with joblib)")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel runs through joblib")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address: run the grid on that cluster")
    parser.add_argument("--output", default=None, help="output folder")
    parser.add_argument("--download", action="store_true",
                        help="download data sets that are not cached (default: skip them)")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--title", default=None)
    return parser


def main(argv=None, prog="pyod-aeplus-benchmark"):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    # Imported once the arguments are read: --help needs none of them.
    from . import markdown_report
    from .runner import make_tasks, run_grid

    if args.quick:
        detectors = args.detectors or ["ours", "classical"]
        datasets = args.datasets or ["embedded", "generate_data"]
        seeds = args.seeds or [0]
        output = Path(args.output or "benchmark-output/quick")
        title = args.title or "Quick benchmark"
    else:
        detectors = args.detectors or ["ours", "reference"]
        datasets = args.datasets or ["dev"]
        seeds = args.seeds or [0, 1]
        output = Path(args.output or "benchmark-output/full")
        title = args.title or "Benchmark"
    detectors = _expand(detectors, DETECTOR_GROUPS)
    for name in detectors:
        try:
            get_factory(name)
        except ValueError as error:
            parser.error(str(error))
    datasets = _expand(datasets, _dataset_groups())
    if args.anomaly_types:
        datasets = [f"{d}@{kind}" for d in datasets for kind in args.anomaly_types]
    from ..datasets import _availability

    kept = []
    for name in datasets:
        try:
            # A synthetic-anomaly set 'NAME@KIND' needs its real set.
            where = _availability(name)
        except (ValueError, TypeError) as error:
            parser.error(str(error))
        if where == "manual":
            print(f"skipping {name}: not cached, and its file cannot be downloaded (put it into "
                  f"the cache folder set by PYOD_AEPLUS_DATA)", file=sys.stderr)
        elif where == "download" and not args.download:
            print(f"skipping {name}: not cached (set PYOD_AEPLUS_DATA or pass --download)",
                  file=sys.stderr)
        else:
            kept.append(name)
    datasets = kept
    if not datasets:
        print("no data sets to run", file=sys.stderr)
        return 2

    tasks = make_tasks(detectors, datasets, seeds, args.protocol,
                       contamination=args.contamination, max_train=args.max_train,
                       max_test=args.max_test, time_limit=args.time_limit,
                       split_seed=args.split_seed)
    csv_path = output / "results.csv"
    rows = run_grid(tasks, csv_path, n_jobs=args.n_jobs, scheduler=args.scheduler)
    # Only this grid's runs, with these settings (the CSV may hold others).
    wanted = {(*t.key, t.settings) for t in tasks}
    rows = [r for r in rows if (r["detector"], r["dataset"], str(r["seed"]), r["protocol"],
                                r["settings"]) in wanted]
    report = markdown_report(rows, title, split_seed=args.split_seed)
    (output / "report.md").write_text(report)
    print(report)
    print(f"results: {csv_path}\nreport: {output / 'report.md'}")
    if not args.no_plots:
        from .plots import plot_auc_distribution, plot_time_vs_auc

        plot_auc_distribution(rows, output / "roc_auc.png")
        plot_time_vs_auc(rows, output / "fit_time_vs_roc_auc.png")
        print(f"plots: {output / 'roc_auc.png'}, {output / 'fit_time_vs_roc_auc.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
