"""Speed and memory of this package's detectors against PyOD's AutoEncoder, in one run.

    python benchmarks/speed.py --quick          # CI-sized (about a minute on 2 cores)
    python benchmarks/speed.py                  # the full run recorded in benchmarks/results/
    python benchmarks/speed.py --quick --device cuda   # on a GPU (recorded: speed-cuda-h100.md)

Every number is measured here, in this run, on this machine; the ratios are
the result. Cases:

1. same network as PyOD's defaults (hidden 64-32, batch norm, dropout 0.2,
   batch 32, 10 epochs): the cost of the engine alone;
2. each side's defaults (every tabular detector of this package), on the Keras
   tutorial's make_classification problem (trained on the normal rows of an
   80 % split, as the tutorial does);
3. fit throughput on a synthetic 1,000,000 × 64 set and scoring throughput;
4. fit time against rows (10k → 1M, one epoch each) for both libraries: a PNG;
5. AEPlus at scale: fit time against PyOD's AutoEncoder, IsolationForest and
   DeepAE at 16 to 1,000 features (20,000 Gaussian rows), the split of its fit
   into training and what follows (the statistics of the score, scoring the
   training rows), scoring throughput on 1,000,000 x 20, scoring memory with
   many members or posterior draws, and a PNG of its fit time against rows and
   against features;
6. with CUDA: our engine at batches 256 to 262,144 (float32, bf16 autocast,
   torch.compile) against a plain PyTorch loop over the same network with the
   data resident on the GPU (the ceiling), on 1,000,000 x 64 rows, also with
   --quick; each rate is the median epoch after the first.
"""

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from pyod_aeplus import VAE, AEPlus, DeepAE, DenoisingAE, DenseAE, SparseAE, training
from pyod_aeplus.benchmark.runner import PeakMemory
from pyod_aeplus.datasets import make_classification

SAME_NETWORK = dict(hidden_sizes=(64, 32), batch_norm=True, dropout=0.2, batch_size=32,
                    weight_decay=1e-5, validation_fraction=0.0, early_stopping=False,
                    gradient_clip=None)


# "Each side's defaults": every tabular detector of this package as it comes.
DEFAULT_DETECTORS = (DenseAE, DeepAE, SparseAE, DenoisingAE, VAE, AEPlus)


def pyod_autoencoder(**kwargs):
    from pyod.models.auto_encoder import AutoEncoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoEncoder(verbose=0, random_state=0, **kwargs)


def measure(name, make, X_train, X_test=None, y_test=None, epochs=None):
    """Fit and score one detector; return a result row."""
    detector = make()
    with PeakMemory() as memory, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        detector.fit(X_train)
        fit_seconds = time.perf_counter() - start
    row = {"case": "", "detector": name, "rows": len(X_train), "fit_s": fit_seconds,
           "peak_mb": memory.peak_mb}
    n_epochs = epochs or getattr(detector, "history_", {}).get("n_epochs")
    row["epochs"] = n_epochs
    row["rows_epoch_per_s"] = len(X_train) * n_epochs / fit_seconds if n_epochs else np.nan
    if X_test is not None:
        start = time.perf_counter()
        scores = detector.decision_function(X_test)
        row["score_rows_per_s"] = len(X_test) / (time.perf_counter() - start)
        if y_test is not None:
            row["roc_auc"] = roc_auc_score(y_test, scores)
    return row


def plain_loop_ceiling(X, batch_size, epochs, device):
    """rows·epoch/s of a bare loop: same network, data resident, index slices, Adam.

    The median over ``epochs`` timed epochs, after one untimed epoch (cuBLAS
    and cuDNN set-up), each between two device synchronisations.
    """
    from pyod_aeplus.nn import MLPAutoEncoder

    torch.manual_seed(0)
    module = MLPAutoEncoder(X.shape[1], (64, 32), batch_norm=True, dropout=0.2).to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    data = torch.as_tensor(X, device=device)
    seconds = []
    for _ in range(epochs + 1):
        torch.cuda.synchronize()
        start = time.perf_counter()
        perm = torch.randperm(len(data), device=device)
        for lo in range(0, len(data), batch_size):
            rows = data[perm[lo:lo + batch_size]]
            loss = (module(rows)[0] - rows).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return len(data) / float(np.median(seconds[1:]))


def gpu_training_rates(X, batch_size, epochs, device, **options):
    """Our engine on the same network: ``(training rows·epoch/s, whole-fit rows·epoch/s)``.

    The first is the median epoch of ``history_['epoch_seconds']`` after the
    first (which pays compilation, with ``compile=True``): comparable with the
    plain loop. The second divides by the whole ``fit`` (scaling on the host,
    the copy to the GPU, scoring the training rows): what a user waits for.
    """
    detector = DeepAE(hidden_sizes=(64, 32), batch_norm=True, dropout=0.2, batch_size=batch_size,
                      epochs=epochs + 1, validation_fraction=0.0, early_stopping=False,
                      device=device, random_state=0, **options)
    start = time.perf_counter()
    detector.fit(X)
    fit_seconds = time.perf_counter() - start
    per_epoch = float(np.median(detector.history_["epoch_seconds"][1:]))
    return len(X) / per_epoch, len(X) * (epochs + 1) / fit_seconds


def aeplus_at_scale(device, quick, pyod_device):
    """AEPlus's cost against the detectors it replaces; returns (report lines, plot data)."""
    from pyod.models.iforest import IForest

    rng = np.random.default_rng(5)
    n_rows = 5_000 if quick else 20_000
    widths = [16, 128, 512] if quick else [16, 128, 512, 1000]
    makers = [
        ("PyOD AutoEncoder", lambda: pyod_autoencoder(device=pyod_device)),
        ("IForest", lambda: IForest(random_state=0)),
        ("DeepAE", lambda: DeepAE(device=device, random_state=0)),
        ("AEPlus", lambda: AEPlus(device=device, random_state=0)),
    ]
    lines = [f"### Fit seconds at each side's defaults, {n_rows:,} Gaussian rows", "",
             "| features | " + " | ".join(name for name, _ in makers)
             + " | PyOD AutoEncoder / AEPlus | AEPlus training / after training |",
             "|---|" + "---|" * (len(makers) + 2)]
    by_features = []
    for d in widths:
        X = rng.normal(size=(n_rows, d)).astype(np.float32)
        seconds, stages = {}, None
        for name, make in makers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                detector = make()
                start = time.perf_counter()
                detector.fit(X)
                seconds[name] = time.perf_counter() - start
            if name == "AEPlus":
                stages = (detector.history_["training_seconds"],
                          detector.history_["after_training_seconds"])
        by_features.append((d, seconds["AEPlus"], *stages))
        lines.append(f"| {d:,} | " + " | ".join(f"{seconds[name]:.2f}" for name, _ in makers)
                     + f" | {seconds['PyOD AutoEncoder'] / seconds['AEPlus']:.1f}x"
                     + f" | {stages[0]:.2f} / {stages[1]:.2f} "
                       f"({stages[1] / seconds['AEPlus']:.0%} after training) |")

    # Scoring throughput, 1,000,000 x 20 (a model fitted on 20,000 rows).
    n_score = 200_000 if quick else 1_000_000
    X = rng.normal(size=(20_000, 20)).astype(np.float32)
    new = rng.normal(size=(n_score, 20)).astype(np.float32)
    throughput = {}
    for name, make in [("DeepAE", lambda: DeepAE(device=device, random_state=0)),
                       ("AEPlus", lambda: AEPlus(device=device, random_state=0))]:
        detector = make().fit(X)
        detector.decision_function(new[:1000])  # warm: first-call costs
        seconds = []
        for _ in range(3):  # the median of three: single calls varied by up to 1.5x
            start = time.perf_counter()
            detector.decision_function(new)
            seconds.append(time.perf_counter() - start)
        throughput[name] = n_score / float(np.median(seconds))
    lines += ["", f"### Scoring {n_score:,} x 20 rows (decision_function, median of three calls)",
              "",
              "| detector | rows/s |", "|---|---|"]
    lines += [f"| {name} | {rate:,.0f} |" for name, rate in throughput.items()]

    # Scoring memory with many members or draws: chunks are budgeted by the work per row.
    # Each in a new process, so that memory this process freed earlier (and keeps
    # for reuse) cannot hide what scoring allocates.
    n_memory = 50_000 if quick else 200_000
    lines += ["", f"### Peak resident memory above the start while scoring {n_memory:,} x 20 rows",
              "", "Each in a new process: fit on 2,000 rows, score 10, then measure scoring all "
              f"rows (their float32 values take {n_memory * 20 * 4 / 2 ** 20:.0f} MB).", "",
              "| detector | MB |", "|---|---|"]
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    for name in ("AEPlus(n_estimators=256)", "VAE(n_draws=512)"):
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            peak_mb = pool.submit(scoring_peak_mb, name, device, n_memory).result()
        lines.append(f"| {name} | {peak_mb:,.0f} |")

    # Fit time against rows (32 features) and against features (above).
    sizes = [5_000, 20_000, 100_000] if quick else [10_000, 30_000, 100_000, 300_000, 1_000_000]
    by_rows = []
    for n in sizes:
        X = rng.normal(size=(n, 32)).astype(np.float32)
        detector = AEPlus(device=device, random_state=0)
        start = time.perf_counter()
        detector.fit(X)
        by_rows.append((n, time.perf_counter() - start, detector.history_["training_seconds"],
                        detector.history_["after_training_seconds"]))
    lines += ["",
              "### AEPlus fit seconds against rows (32 features): fit, training, after training",
              "", "| rows | fit | training | after training |", "|---|---|---|---|"]
    lines += [f"| {n:,} | {fit:.2f} | {train:.2f} | {after:.2f} |"
              for n, fit, train, after in by_rows]
    return lines, {"rows": by_rows, "features": by_features}


def scoring_peak_mb(name, device, n_rows):
    """Peak resident memory (MB) above the start of ``decision_function`` on ``n_rows`` x 20."""
    import pyod_aeplus

    torch.set_num_threads(2)
    rng = np.random.default_rng(5)
    cls, _, args = name.partition("(")
    options = dict(item.split("=") for item in args.rstrip(")").split(","))
    detector = getattr(pyod_aeplus, cls)(epochs=1, device=device, random_state=0,
                                         **{k: int(v) for k, v in options.items()})
    detector.fit(rng.normal(size=(2000, 20)).astype(np.float32))
    rows = rng.normal(size=(n_rows, 20)).astype(np.float32)
    detector.decision_function(rows[:10])
    with PeakMemory() as memory:
        detector.decision_function(rows)
    return memory.peak_mb


def plot_aeplus(data, path, device):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, key, label in [(axes[0], "rows", "training rows (32 features)"),
                           (axes[1], "features", "features (20,000 rows)")]:
        points = data[key]
        x = [p[0] for p in points]
        ax.plot(x, [p[1] for p in points], marker="o", color="black", label="fit")
        ax.plot(x, [p[2] for p in points], marker="s", label="training")
        ax.plot(x, [p[3] for p in points], marker="^", label="after training")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    fig.suptitle(f"AEPlus fit time at its defaults ({device})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cpu_name():
    """The processor's model name (from /proc/cpuinfo on Linux) and architecture."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {platform.machine()}"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ratio(rows, case, ours, theirs, key="fit_s"):
    a = next(r for r in rows if r["case"] == case and r["detector"] == ours)
    b = next(r for r in rows if r["case"] == case and r["detector"] == theirs)
    return b[key] / a[key]


def table(rows):
    keys = ["case", "detector", "rows", "epochs", "fit_s", "rows_epoch_per_s",
            "score_rows_per_s", "peak_mb", "roc_auc"]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k, "")
            if isinstance(v, float):
                v = "" if np.isnan(v) else (f"{v:.3f}" if k == "roc_auc" else
                                              f"{v:.2f}" if abs(v) < 100 else f"{v:,.0f}")
            cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--output", default="benchmarks/results")
    args = parser.parse_args(argv)
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    quick = args.quick
    pyod_device = torch.device(device)
    rows = []

    # Untimed warm-up of both libraries: the first fit in a process pays one-time
    # costs (thread pools, allocator, lazy imports) that would bias whichever
    # detector is timed first. AEPlus's first fit after an install also
    # compiles its CPU kernels (cached on disk for later processes).
    warm = np.random.default_rng(2).normal(size=(512, 32)).astype(np.float32)
    measure("warm-up", lambda: pyod_autoencoder(epoch_num=1, device=pyod_device), warm, warm)
    measure("warm-up", lambda: DeepAE(epochs=1, device=device, **SAME_NETWORK), warm, warm)
    measure("warm-up", lambda: AEPlus(epochs=1, device=device), warm, warm)

    # 1-2. make_classification: same network, then each side's defaults.
    data = make_classification(n_samples=20_000 if quick else 100_000)
    X_train, X_test, y_train, y_test = train_test_split(
        data.X.astype(np.float32), data.y, test_size=0.2, random_state=42)
    X_normal = X_train[y_train == 0]
    epochs = 2 if quick else 10
    case = f"same network, {epochs} epochs"
    for name, make in [
        ("PyOD AutoEncoder", lambda: pyod_autoencoder(epoch_num=epochs, device=pyod_device)),
        ("DeepAE (same network)", lambda: DeepAE(epochs=epochs, device=device, random_state=0,
                                                 **SAME_NETWORK)),
    ]:
        rows.append({**measure(name, make, X_normal, X_test, y_test, epochs=epochs), "case": case})
    rows.append({**measure("PyOD AutoEncoder", lambda: pyod_autoencoder(device=pyod_device),
                           X_normal, X_test, y_test, epochs=10), "case": "defaults"})
    for cls in DEFAULT_DETECTORS:
        rows.append({**measure(cls.__name__, lambda: cls(device=device, random_state=0),
                               X_normal, X_test, y_test), "case": "defaults"})

    # 3. synthetic 1M x 64: one epoch of the same network; scoring throughput.
    n_big = 100_000 if quick else 1_000_000
    big = np.random.default_rng(0).normal(size=(n_big, 64)).astype(np.float32)
    for name, make in [
        ("PyOD AutoEncoder", lambda: pyod_autoencoder(epoch_num=1, device=pyod_device)),
        ("DeepAE (same network)", lambda: DeepAE(epochs=1, device=device, random_state=0,
                                                 **SAME_NETWORK)),
    ]:
        rows.append({**measure(name, make, big, big, epochs=1), "case": f"{n_big:,} x 64, 1 epoch"})

    # 4. fit time against rows, one epoch each.
    sizes = [2_000, 5_000, 10_000, 20_000] if quick else [10_000, 30_000, 100_000, 300_000,
                                                          1_000_000]
    scaling = {"PyOD AutoEncoder": [], "DeepAE (same network)": []}
    for n in sizes:
        for name, make in [
            ("PyOD AutoEncoder", lambda: pyod_autoencoder(epoch_num=1, device=pyod_device)),
            ("DeepAE (same network)", lambda: DeepAE(epochs=1, device=device, random_state=0,
                                                     **SAME_NETWORK)),
        ]:
            X_n = big[:n] if n <= n_big else np.resize(big, (n, 64))
            scaling[name].append(measure(name, make, X_n, epochs=1)["fit_s"])

    # 5b. Scoring a memmap far larger than the working set: peak memory above the input.
    memmap_line = ""
    n_map = 1_000_000 if quick else 10_000_000
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.npy"
        mapped = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_map, 32))
        rng = np.random.default_rng(1)
        for lo in range(0, n_map, 500_000):
            mapped[lo:lo + 500_000] = rng.normal(size=(min(500_000, n_map - lo), 32))
        mapped.flush()
        del mapped
        detector = DeepAE(hidden_sizes=(64, 32), epochs=1, device=device, random_state=0)
        detector.fit(np.load(path, mmap_mode="r")[:20_000])
        rows_on_disk = np.load(path, mmap_mode="r")
        with PeakMemory() as memory:
            start = time.perf_counter()
            detector.decision_function(rows_on_disk)
            seconds = time.perf_counter() - start
        input_mb = n_map * 32 * 4 / 2 ** 20
        # Resident memory counts the memmap's pages as they are read: subtract them.
        memmap_line = (f"- decision_function on a {n_map:,} x 32 float32 memmap "
                       f"({input_mb:,.0f} MB): "
                       f"{n_map / seconds:,.0f} rows/s; peak resident memory above the start "
                       f"{memory.peak_mb:,.0f} MB, of which the mapped input is at most "
                       f"{input_mb:,.0f} MB (so at most {max(0.0, memory.peak_mb - input_mb):,.0f}"
                       f" MB beyond the input pages)")

    # 5. AEPlus at scale.
    aeplus_lines, aeplus_plot = aeplus_at_scale(device, quick, pyod_device)

    # 6. GPU: our engine against the plain-loop ceiling, 1,000,000 x 64 (also with
    # --quick: on a GPU it takes seconds). Small batches train on fewer rows
    # (256 steps an epoch), so that the loop at batch 256 does not take minutes.
    gpu_lines, best = [], None
    if device.startswith("cuda"):
        gpu_rows = big if n_big >= 1_000_000 else (
            np.random.default_rng(0).normal(size=(1_000_000, 64)).astype(np.float32))
        options = {"float32": {}, "float32, no CUDA graphs": {}, "bf16 autocast":
                   {"mixed_precision": True}, "torch.compile": {"compile": True}}
        for batch in (256, 4096, 16_384, 65_536, 262_144):
            X_gpu = gpu_rows[:min(len(gpu_rows), 256 * batch)]
            ceiling = plain_loop_ceiling(X_gpu, batch, 3, device)
            for label, extra in options.items():
                if extra.get("compile") and batch not in (4096, 65_536):
                    continue  # each compile costs tens of seconds: two batch sizes show the trend
                if label == "float32, no CUDA graphs" and batch > 16_384:
                    continue  # a few steps an epoch: launches no longer matter
                # Eager steps on request: the engine's process-wide switch.
                training.CUDA_GRAPHS = label != "float32, no CUDA graphs"
                try:
                    ours, whole = gpu_training_rates(X_gpu, batch, 3, device, **extra)
                except Exception as error:  # e.g. no C++ compiler for torch.compile: say so
                    line = (f"| {batch:,} | {len(X_gpu):,} | {label} | failed: {error!r:.120} "
                            "| | | |")
                    print(line, flush=True)
                    gpu_lines.append(line)
                    continue
                finally:
                    training.CUDA_GRAPHS = True
                line = (f"| {batch:,} | {len(X_gpu):,} | {label} | {ours:,.0f} | {ceiling:,.0f} | "
                        f"{ours / ceiling:.0%} | {whole:,.0f} |")
                print(line, flush=True)
                gpu_lines.append(line)
                if best is None or ours > best[0]:
                    best = (ours, batch, label, ceiling)

    # Report.
    same = rows[0]["case"]
    big_case = f"{n_big:,} x 64, 1 epoch"
    same_network, pyod_ae = "DeepAE (same network)", "PyOD AutoEncoder"
    ratios = [
        f"- same network, make_classification: fit {ratio(rows, same, same_network, pyod_ae):.1f}x "
        f"PyOD's throughput",
        f"- same network, {n_big:,} x 64: fit {ratio(rows, big_case, same_network, pyod_ae):.1f}x, "
        f"scoring {1 / ratio(rows, big_case, same_network, pyod_ae, 'score_rows_per_s'):.1f}x",
    ]
    aucs = {r["detector"]: r["roc_auc"] for r in rows if r["case"] == "defaults"}
    ratios.append("- defaults, make_classification, fit speed-up over PyOD's AutoEncoder (its "
                  f"ROC-AUC {aucs['PyOD AutoEncoder']:.3f}): " + ", ".join(
                      f"{cls.__name__} {ratio(rows, 'defaults', cls.__name__, pyod_ae):.1f}x "
                      f"at ROC-AUC {aucs[cls.__name__]:.3f}" for cls in DEFAULT_DETECTORS))
    ratios.append(memmap_line)
    cpu = cpu_name()
    run = "quick" if quick else "full"
    header = [f"# Speed: pyod_aeplus against PyOD's AutoEncoder ({run} run)", "",
              f"Device: {device} ({torch.get_num_threads()} torch threads, {cpu}"
              + (f", {torch.cuda.get_device_name()}" if device.startswith("cuda") else "")
              + f"); torch {torch.__version__}; command: python benchmarks/speed.py"
              + (" --quick" if quick else "")
              + (f" --device {args.device}" if args.device != "cpu" else ""),
              "", "## Ratios (measured in this run)", "", *ratios, "", "## Measurements", "",
              table(rows), "", "## Fit seconds against rows (1 epoch, same network)", "",
              "| rows | " + " | ".join(scaling) + " |", "|---|---|---|"]
    header += [f"| {n:,} | " + " | ".join(f"{scaling[k][i]:.2f}" for k in scaling) + " |"
               for i, n in enumerate(sizes)]
    header += ["", "## AEPlus at scale", "", *aeplus_lines]
    if gpu_lines:
        ceiling_best = max(float(line.split("|")[5].replace(",", "")) for line in gpu_lines
                           if "failed" not in line)
        header += ["", "## GPU: rows·epoch/s, our engine against a plain loop (64-32 network)", "",
                   f"Best: {best[0]:,.0f} rows·epoch/s ({best[2]}, batch {best[1]:,}), "
                   f"{best[0] / best[3]:.0%} of the plain loop at that batch and "
                   f"{best[0] / ceiling_best:.0%} of its best ({ceiling_best:,.0f}).", "",
                   "Training rates are the median epoch after the first (which pays "
                   "compilation); 'whole fit' divides by all of `fit` (host scaling, the copy "
                   "to the GPU, scoring the training rows).", "",
                   "| batch | rows | training | pyod_aeplus | plain loop | share | whole fit |",
                   "|---|---|---|---|---|---|---|", *gpu_lines]
    report = "\n".join(header) + "\n"
    print(report)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    suffix = f"{device.split(':')[0]}{'-quick' if quick else ''}"
    (out / f"speed-{suffix}.md").write_text(report)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4.5))
        for name, seconds in scaling.items():
            ax.plot(sizes, seconds, marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training rows")
        ax.set_ylabel("fit seconds (1 epoch)")
        ax.set_title(f"Fit time against rows ({device})")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"speed-scaling-{suffix}.png", dpi=120)
        plot_aeplus(aeplus_plot, out / f"speed-aeplus-{suffix}.png", device)
        print(f"wrote {out / f'speed-{suffix}.md'}, {out / f'speed-scaling-{suffix}.png'} and "
              f"{out / f'speed-aeplus-{suffix}.png'}")
    except ImportError:
        print("matplotlib is missing: no plot", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
