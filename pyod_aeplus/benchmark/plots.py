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


#: Marker shapes cycled with the colours, so that up to 20 detectors stay apart.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def plot_time_vs_auc(rows, path=None):
    """Median fit seconds (log scale) against mean ROC-AUC, one point per detector.

    Detectors are told apart by colour and marker in a legend beside the
    axes (labels next to the points overlap when detectors score alike).
    """
    plt = _pyplot()
    summary = summarize(rows)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colours = plt.get_cmap("tab20" if len(summary) > 10 else "tab10").colors
    for number, (name, row) in enumerate(summary.iterrows()):
        ax.scatter(row["median_fit_seconds"], row["mean_roc_auc"], label=name, s=45,
                   color=colours[number % len(colours)],
                   marker=_MARKERS[number % len(_MARKERS)])
    ax.set_xscale("log")
    ax.set_xlabel("median fit seconds (log)")
    ax.set_ylabel("mean ROC-AUC")
    ax.set_title("Fit time against accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, fontsize=8,
              title="detector (by mean rank)", title_fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig, ax
