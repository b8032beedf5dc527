"""Benchmark figures: ROC-AUC distribution per detector, fit time against ROC-AUC."""

from .report import _frame, summarize


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'pyod_aeplus[plot]'") from None
    return plt


def plot_auc_distribution(rows, path=None):
    """Box plot of seed-averaged ROC-AUC per data set, one box per detector."""
    plt = _pyplot()
    frame = _frame(rows)
    ok = frame[~frame["failed"]]
    per = ok.groupby(["detector", "dataset"])["roc_auc"].mean()
    order = list(summarize(rows).index)
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(order)), 4.5))
    ax.boxplot([per[name].values for name in order], tick_labels=order, showmeans=True)
    ax.set_ylabel("ROC-AUC (mean over seeds, one point per data set)")
    ax.set_title("ROC-AUC per detector")
    ax.tick_params(axis="x", rotation=45)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig, ax


def plot_time_vs_auc(rows, path=None):
    """Median fit seconds (log scale) against mean ROC-AUC, one point per detector."""
    plt = _pyplot()
    summary = summarize(rows)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(summary["median_fit_seconds"], summary["mean_roc_auc"])
    for name, row in summary.iterrows():
        ax.annotate(name, (row["median_fit_seconds"], row["mean_roc_auc"]),
                    textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("median fit seconds (log)")
    ax.set_ylabel("mean ROC-AUC")
    ax.set_title("Fit time against accuracy")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig, ax
