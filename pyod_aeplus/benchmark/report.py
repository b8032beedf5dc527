"""Tables from benchmark rows: per-detector summary and data set × detector tables."""

import numpy as np


def _frame(rows):
    import pandas as pd

    frame = pd.DataFrame(rows)
    if frame.empty:
        raise ValueError("no benchmark rows to report")
    frame["failed"] = frame["error"].fillna("").astype(str).str.len() > 0
    return frame


def per_dataset(rows, metric="roc_auc"):
    """Data set × detector table of ``metric`` averaged over seeds (failed runs left out)."""
    frame = _frame(rows)
    ok = frame[~frame["failed"]]
    return ok.pivot_table(index="dataset", columns="detector", values=metric, aggfunc="mean")


def by_anomaly_type(rows, metric="roc_auc"):
    """Detector × anomaly type table of ``metric`` (mean over data sets of the seed mean).

    Only data sets named ``'<set>@<type>'`` (synthetic anomalies, see
    :func:`pyod_aeplus.datasets.load_dataset`) count; empty when there are none.
    """
    table = per_dataset(rows, metric)
    synthetic = table[table.index.str.contains("@")]
    return synthetic.groupby(synthetic.index.map(lambda name: name.rpartition("@")[2])).mean().T


def summarize(rows):
    """Per detector: mean ROC-AUC, mean AP, mean rank, seed spread, fit time, failures.

    Means are over data sets of the seed-averaged metric. The rank is taken
    per data set on the seed-averaged ROC-AUC (1 = best, ties averaged). The
    seed spread is the standard deviation of ROC-AUC over seeds, averaged
    over the data sets run with two seeds or more; NaN (not applicable)
    where there is one seed only.
    """
    import pandas as pd

    frame = _frame(rows)
    ok = frame[~frame["failed"]]
    auc = per_dataset(rows, "roc_auc")
    by_set = ok.groupby(["detector", "dataset"])["roc_auc"]
    # One seed has no spread: NaN, not a standard deviation of 0.
    seed_std = by_set.std(ddof=0).where(by_set.count() >= 2)
    summary = pd.DataFrame({
        "mean_roc_auc": auc.mean(),
        "mean_average_precision": per_dataset(rows, "average_precision").mean(),
        "mean_rank": auc.rank(axis=1, ascending=False).mean(),
        "roc_auc_seed_std": seed_std.groupby("detector").mean(),
        "median_fit_seconds": ok.groupby("detector")["fit_seconds"].median(),
        "runs": frame.groupby("detector").size(),
        "failed": frame.groupby("detector")["failed"].sum(),
    })
    summary["failed"] = summary["failed"].fillna(0).astype(int)
    return summary.sort_values("mean_rank")


def _markdown_table(frame, floatfmt="{:.3f}", index_name=""):
    head = [index_name or frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for index, values in frame.iterrows():
        cells = []
        for value in values:
            if isinstance(value, (float, np.floating)):
                cells.append("" if np.isnan(value) else floatfmt.format(value))
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join([str(index), *cells]) + " |")
    return "\n".join(lines)


def markdown_report(rows, title="Benchmark", split_seed=None):
    """The whole report as Markdown: summary, ROC-AUC and AP tables, failures.

    ``split_seed``: the seed the data split was held at (see ``Task``), said
    in the header, since it changes what the seed spread measures.
    """
    frame = _frame(rows)
    summary = summarize(rows)
    order = list(summary.index)
    parts = [f"# {title}", ""]
    protocols = ", ".join(sorted(frame["protocol"].unique()))
    seeds = ", ".join(str(s) for s in sorted(frame["seed"].unique()))
    held = ("" if split_seed is None else
            f" (the detectors' random_state only: the data split is held at seed {split_seed}, "
            "so the seed spread is the detectors' own)")
    parts += [f"Protocol: {protocols}; seeds: {seeds}{held}; {frame['dataset'].nunique()} "
              f"data sets, {len(frame)} runs.", ""]
    shown = summary.copy()
    shown["median_fit_seconds"] = shown["median_fit_seconds"].map(lambda v: f"{v:.2f}")
    if shown["roc_auc_seed_std"].isna().all():
        # One seed per run: there is no spread to show.
        shown = shown.drop(columns="roc_auc_seed_std")
    else:
        shown["roc_auc_seed_std"] = shown["roc_auc_seed_std"].map(
            lambda v: "n/a" if np.isnan(v) else f"{v:.3f}")
    parts += ["## Summary (sorted by mean rank)", "",
              _markdown_table(shown, index_name="detector"), ""]
    for metric, name in (("roc_auc", "ROC-AUC"), ("average_precision", "Average precision")):
        table = per_dataset(rows, metric).reindex(columns=order)
        parts += [f"## {name} per data set (mean over seeds)", "",
                  _markdown_table(table, index_name="data set"), ""]
    by_type = by_anomaly_type(rows)
    if not by_type.empty:
        by_type = by_type.reindex(order)
        by_type.columns.name = None
        by_type["mean"] = by_type.mean(axis=1)
        parts += ["## ROC-AUC by kind of synthetic anomaly (mean over data sets and seeds)", "",
                  _markdown_table(by_type, index_name="detector"), ""]
    failed = frame[frame["failed"]]
    if len(failed):
        parts += ["## Failed runs", ""]
        parts += [f"- {r.detector} on {r.dataset} (seed {r.seed}): {r.error}"
                  for r in failed.itertuples()]
        parts.append("")
    return "\n".join(parts)
