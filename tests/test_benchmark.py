"""The benchmark harness: protocols, metrics, failures, resuming, joblib and Dask backends."""

import csv
import os
import signal
import time
import warnings

import numpy as np
import pytest

from pyod_aeplus.benchmark import (
    make_detector,
    make_tasks,
    markdown_report,
    register_detector,
    run_grid,
    split,
    summarize,
)
from pyod_aeplus.benchmark import runner
from pyod_aeplus.benchmark.cli import _dataset_groups, main as cli_main
from pyod_aeplus.benchmark.plots import plot_time_vs_auc
from pyod_aeplus.benchmark.runner import read_rows

TIMING = {"fit_seconds", "score_seconds", "peak_memory_mb"}
GRID = dict(detectors=["DenseAE", "IForest"], datasets=["wine", "vertebral"], seeds=[0, 1])


class Failing:
    def fit(self, X):
        raise RuntimeError("boom")


class Slow:
    finished = []  # a fit that was not stopped adds to it

    def fit(self, X):
        time.sleep(5)
        Slow.finished.append(True)


register_detector("test-failing", lambda seed, contamination: Failing(), overwrite=True)
register_detector("test-slow", lambda seed, contamination: Slow(), overwrite=True)


def comparable(rows):
    return sorted(({k: (round(v, 9) if isinstance(v, float) else v)
                    for k, v in r.items() if k not in TIMING} for r in rows),
                  key=lambda r: (r["detector"], r["dataset"], r["seed"]))


def test_splits_are_stratified_and_novelty_training_has_no_anomalies():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3))
    y = (rng.random(1000) < 0.1).astype(int)
    X_tr, X_te, y_tr, y_te = split(X, y, "unsupervised", seed=0)
    assert len(X_tr) == 700 and len(X_te) == 300 and y_tr.sum() > 0
    np.testing.assert_allclose(X_tr.mean(axis=0), 0, atol=1e-9)
    assert abs(y_te.mean() - y.mean()) < 0.01  # stratified
    X_tr, _, y_tr, _ = split(X, y, "novelty", seed=0)
    assert y_tr.sum() == 0 and len(X_tr) == 700 - round(700 * y.mean())
    X_tr, X_te, *_ = split(X, y, "unsupervised", seed=0, max_train=100, max_test=50)
    assert len(X_tr) == 100 and len(X_te) == 50
    with pytest.raises(ValueError, match="protocol must be one of"):
        split(X, y, "semi", seed=0)


def test_grid_rows_metrics_and_resume(tmp_path):
    path = tmp_path / "results.csv"
    tasks = make_tasks(**GRID)
    rows = run_grid(tasks, path, progress=False)
    assert len(rows) == 8 and all(r["error"] == "" for r in rows)
    for r in rows:
        assert 0 <= r["roc_auc"] <= 1 and 0 <= r["average_precision"] <= 1
        assert 0 <= r["precision_at_n"] <= 1 and 0 <= r["f1"] <= 1
        assert r["fit_seconds"] > 0 and r["n_features"] in (13, 6)
    # Resuming runs nothing again: the CSV keeps exactly one row per run.
    again = run_grid(tasks, path, progress=False)
    with open(path) as handle:
        assert len(list(csv.DictReader(handle))) == 8
    assert comparable(again) == comparable(rows)
    summary = summarize(rows)
    assert set(summary.index) == {"DenseAE", "IForest"}
    assert "## Summary" in markdown_report(rows)


def test_tasks_sent_to_workers_keep_the_settings_computed_when_the_grid_started(monkeypatch):
    task = make_tasks(["IForest"], ["wine"], seeds=[0])[0]
    settings = task.settings
    # The code changes on disk while the grid runs (a new version, a new default):
    # a worker that recomputed the fingerprint would write a row of other settings.
    monkeypatch.setattr("pyod_aeplus.__version__", "changed")
    copy = runner._with_threads(task, 1)
    assert copy.threads == 1 and copy.settings == settings
    assert runner.Task(**{f: getattr(task, f) for f in task.__dataclass_fields__}).settings \
        != settings  # computed afresh, the fingerprint would differ


def test_resume_reuses_a_row_only_with_the_same_settings(tmp_path):
    import pyod_aeplus as pa

    path = tmp_path / "results.csv"
    grid = dict(detectors=["test-dense"], datasets=["wine"], seeds=[0])
    register_detector("test-dense", lambda seed, c: pa.DenseAE(epochs=2, contamination=c,
                                                               random_state=seed), overwrite=True)
    first = run_grid(make_tasks(**grid), path, progress=False)
    assert len(first) == 1 and len(first[0]["settings"]) == 12
    assert len(run_grid(make_tasks(**grid), path, progress=False)) == 1  # reused
    # Another contamination, or another default of the detector, runs again.
    assert len(run_grid(make_tasks(**grid, contamination=0.05), path, progress=False)) == 2
    register_detector("test-dense", lambda seed, c: pa.DenseAE(epochs=3, contamination=c,
                                                               random_state=seed), overwrite=True)
    rows = run_grid(make_tasks(**grid), path, progress=False)
    assert len(rows) == 3 and len({r["settings"] for r in rows}) == 3

    # Objects whose repr holds a memory address (a pythresh thresholder's
    # does) still give a stable fingerprint.
    class Thresholder:
        def eval(self, scores):
            return (scores > np.median(scores)).astype(int)

    assert " at 0x" in repr(Thresholder())
    register_detector("test-dense", lambda seed, c: pa.DenseAE(contamination=Thresholder()),
                      overwrite=True)
    assert make_tasks(**grid)[0].settings == make_tasks(**grid)[0].settings


def test_a_csv_of_other_columns_is_refused_not_appended_to(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("detector,dataset,seed,protocol,roc_auc\nIForest,wine,0,unsupervised,0.8\n")
    with pytest.raises(ValueError, match="has other columns than this version writes"):
        run_grid(make_tasks(**GRID), path, progress=False)
    assert path.read_text().count("\n") == 2  # untouched


def test_a_failing_run_is_a_row_not_a_crash(tmp_path):
    tasks = make_tasks(["test-failing", "IForest"], ["wine"], [0])
    rows = run_grid(tasks, tmp_path / "r.csv", progress=False)
    failed = [r for r in rows if r["detector"] == "test-failing"][0]
    assert failed["error"].startswith("RuntimeError: boom")
    assert [r for r in rows if r["detector"] == "IForest"][0]["error"] == ""
    assert "Failed runs" in markdown_report(rows)


def test_a_run_past_its_time_limit_is_stopped_and_a_row_says_so(tmp_path):
    tasks = make_tasks(["test-slow"], ["wine"], [0], time_limit=0.5)
    Slow.finished.clear()
    rows = run_grid(tasks, tmp_path / "r.csv", progress=False)
    assert Slow.finished == []  # stopped, not waited for
    assert rows[0]["error"].startswith("RunTimeout: run passed its time limit of 0.5 s")


@pytest.mark.slow  # starts a pool of worker processes
def test_joblib_backend_gives_the_same_rows(tmp_path):
    tasks = make_tasks(**GRID)
    serial = run_grid(tasks, tmp_path / "serial.csv", progress=False)
    parallel = run_grid(tasks, tmp_path / "parallel.csv", n_jobs=2, progress=False)
    assert comparable(parallel) == comparable(serial)


@pytest.mark.slow  # starts a cluster of two worker processes
def test_dask_backend_on_a_real_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    tasks = make_tasks(**GRID)
    serial = run_grid(tasks, tmp_path / "serial.csv", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_cluster = run_grid(tasks, tmp_path / "dask.csv", scheduler=cluster.scheduler_address,
                              progress=False)
    assert comparable(on_cluster) == comparable(serial)


# In worker processes too (slow: the pool's start takes seconds).
@pytest.mark.parametrize("n_jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_name_with_parameters_runs_that_variant(tmp_path, n_jobs):
    detector = make_detector("AEPlus(trim_fraction=0, clip=None, preprocessing='standard')",
                             random_state=3, contamination=0.05)
    assert type(detector).__name__ == "AEPlus"
    assert (detector.trim_fraction, detector.clip, detector.preprocessing) == (0, None, "standard")
    assert (detector.random_state, detector.contamination) == (3, 0.05)

    from pyod.models.iforest import IForest

    register_detector("test-iforest-10", lambda seed, c: IForest(
        n_estimators=10, max_features=0.5, contamination=c, random_state=seed), overwrite=True)
    variant = "IForest(n_estimators=10, max_features=0.5)"
    rows = run_grid(make_tasks([variant, "test-iforest-10", "IForest"], ["wine"], [0]),
                    tmp_path / "r.csv", n_jobs=n_jobs, progress=False)
    auc = {r["detector"]: r["roc_auc"] for r in rows}  # the name survives the CSV's commas
    assert set(auc) == {variant, "test-iforest-10", "IForest"}
    assert auc[variant] == auc["test-iforest-10"] != auc["IForest"]
    settings = {r["detector"]: r["settings"] for r in rows}
    assert settings[variant] == settings["test-iforest-10"] != settings["IForest"]


@pytest.mark.parametrize("name, message", [
    ("AEPlus(nope=1)", "AEPlus has no parameter 'nope'; its parameters: activation, "),
    ("AEPlus(1)", "the parameters of 'AEPlus\\(1\\)' must be param=value pairs"),
    ("AEPlus(**{})", "must be param=value pairs"),
    ("AEPlus(clip=x)", "the value of clip in .* must be a Python literal .*, not x$"),
    ("AEPlus(random_state=1)", "random_state is set by the grid"),
    ("AEPlus(contamination=0.2)", "contamination is set by the grid"),
    ("AEPlus(clip=1, clip=2)", "clip is given twice"),
    ("AEPlus(clip=1", "write NAME\\(param=value, ...\\)"),
    ("AEPlus(clip=)", "cannot read the parameters of 'AEPlus\\(clip=\\)'"),
    ("Nope(a=1)", "unknown detector 'Nope'; registered: AEPlus, "),
    ("test-failing(a=1)", "test-failing takes no parameters"),
])
def test_a_bad_name_with_parameters_is_a_clear_error(name, message):
    with pytest.raises(ValueError, match=message):
        make_tasks([name], ["wine"], [0])


def test_cli_refuses_a_bad_detector_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--detectors", "IForest(n_trees=5)", "--datasets", "wine",
                  "--output", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "error: IForest has no parameter 'n_trees'" in capsys.readouterr().err
    assert not (tmp_path / "results.csv").exists()


def test_cli_quick_writes_csv_markdown_and_png(tmp_path, capsys):
    code = cli_main(["--quick", "--detectors", "DenseAE", "IForest", "--datasets", "wine",
                     "--output", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "| IForest |" in out and "| DenseAE |" in out
    for name in ("results.csv", "report.md", "roc_auc.png", "fit_time_vs_roc_auc.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_cli_skips_sets_that_are_not_cached(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYOD_AEPLUS_DATA", str(tmp_path / "empty"))
    code = cli_main(["--detectors", "IForest", "--datasets", "1_ALOI", "wine", "--seeds", "0",
                     "--output", str(tmp_path), "--no-plots"])
    assert code == 0
    assert "skipping 1_ALOI" in capsys.readouterr().err


def test_split_seed_holds_the_split_and_varies_only_the_detector(tmp_path):
    seeds = [0, 1, 2]
    held = run_grid(make_tasks(["ECOD", "IForest"], ["vertebral"], seeds, split_seed=0),
                    tmp_path / "held.csv", progress=False)
    by = {(r["detector"], r["seed"]): r for r in held}
    # One split: every seed trains on the same rows; ECOD, which has no
    # randomness, then scores identically, IForest does not.
    assert len({(r["n_train"], r["train_contamination"]) for r in held}) == 1
    assert len({by["ECOD", s]["roc_auc"] for s in seeds}) == 1
    assert len({by["IForest", s]["roc_auc"] for s in seeds}) == 3
    assert summarize(held).loc["ECOD", "roc_auc_seed_std"] == 0
    # It is the split of seed 0 (the default ties split and seed together).
    free = run_grid(make_tasks(["ECOD"], ["vertebral"], seeds), tmp_path / "free.csv",
                    progress=False)
    assert {r["seed"]: r["roc_auc"] for r in free}[0] == by["ECOD", 0]["roc_auc"]
    assert len({r["roc_auc"] for r in free}) > 1
    # A held split is part of a row's settings: the free grid's rows are not reused for it.
    task = make_tasks(["ECOD"], ["vertebral"], [1])[0]
    assert make_tasks(["ECOD"], ["vertebral"], [1], split_seed=0)[0].settings != task.settings
    report = markdown_report(held, split_seed=0)
    assert "the data split is held at seed 0" in report
    assert "held at seed" not in markdown_report(free)


def test_cli_split_seed_holds_the_split_across_seeds(tmp_path, capsys):
    code = cli_main(["--detectors", "ECOD", "--datasets", "vertebral", "--seeds", "3", "4",
                     "--split-seed", "0", "--output", str(tmp_path), "--no-plots"])
    assert code == 0
    with open(tmp_path / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["seed"] for r in rows] == ["3", "4"] and rows[0]["roc_auc"] == rows[1]["roc_auc"]
    assert "the data split is held at seed 0" in capsys.readouterr().out


def test_cli_tables_each_synthetic_anomaly_kind_of_the_sets_present(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYOD_AEPLUS_DATA", str(tmp_path / "empty"))
    code = cli_main(["--detectors", "ECOD", "--datasets", "wine", "vertebral", "1_ALOI",
                     "--anomaly-types", "global", "dependency", "--seeds", "0",
                     "--output", str(tmp_path), "--no-plots"])
    assert code == 0
    captured = capsys.readouterr()
    # A synthetic set is skipped when its real set is not here.
    assert "skipping 1_ALOI@global" in captured.err
    with open(tmp_path / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["dataset"] for r in rows) == [
        "vertebral@dependency", "vertebral@global", "wine@dependency", "wine@global"]
    by_kind = {kind: np.mean([float(r["roc_auc"]) for r in rows if r["dataset"].endswith(kind)])
               for kind in ("@global", "@dependency")}
    section = captured.out.split("## ROC-AUC by kind of synthetic anomaly")[1]
    assert section.splitlines()[2] == "| detector | dependency | global | mean |"
    line = next(x for x in section.splitlines() if x.startswith("| ECOD | "))
    assert line == (f"| ECOD | {by_kind['@dependency']:.3f} | {by_kind['@global']:.3f} | "
                    f"{np.mean(list(by_kind.values())):.3f} |")


def test_report_has_no_anomaly_kind_section_for_real_sets(tmp_path):
    rows = run_grid(make_tasks(["ECOD"], ["wine"], [0]), tmp_path / "r.csv", progress=False)
    assert "by kind of synthetic anomaly" not in markdown_report(rows)


# ------------------------------------------------------- a torn results file
#: Our deep detectors (ConvAE reads each row of 13 features as a sequence) and a classical one.
TORN_GRID = dict(detectors=["AEPlus(epochs=2)", "ConvAE(epochs=2)", "VAE(epochs=2)", "IForest"],
                 datasets=["wine"], seeds=[0])


@pytest.fixture(scope="module")
def finished_grid(tmp_path_factory):
    """A finished grid's CSV, its rows and its bytes."""
    path = tmp_path_factory.mktemp("grid") / "results.csv"
    rows = run_grid(make_tasks(**TORN_GRID), path, progress=False)
    assert len(rows) == 4 and all(r["error"] == "" for r in rows)
    return path, rows, path.read_bytes()


def record_offsets(content):
    """Byte offset where each record of a CSV written by the runner starts, and its end."""
    lines = content.split(b"\r\n")
    offsets, position = [], 0
    for line in lines[:-1]:
        offsets.append(position)
        position += len(line) + 2
    return offsets + [position]


def resume(tasks, path):
    """run_grid on ``path``, with the warnings it gives and the runs it runs."""
    ran = []
    original = runner.run_task

    def counting(task):
        ran.append(task.detector)
        return original(task)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner.run_task = counting
        try:
            rows = run_grid(tasks, path, progress=False)
        finally:
            runner.run_task = original
    return rows, ran, [str(w.message) for w in caught]


@pytest.mark.parametrize("torn", ["AEPlus(epochs=2)", "ConvAE(epochs=2)", "VAE(epochs=2)"])
def test_resume_drops_a_torn_last_row_and_runs_it_again(torn, finished_grid, tmp_path):
    source, rows, content = finished_grid
    order = [r["detector"] for r in read_rows(source)]
    # That detector's row last, cut short halfway, as a kill or a full disk leaves it.
    path = tmp_path / "results.csv"
    offsets = record_offsets(content)
    header = content[:offsets[1]]
    by_detector = {order[i]: content[offsets[i + 1]:offsets[i + 2]] for i in range(4)}
    whole = [by_detector[d] for d in order if d != torn]
    path.write_bytes(header + b"".join(whole) + by_detector[torn][:len(by_detector[torn]) // 2])
    tasks = make_tasks(**TORN_GRID)
    again, ran, messages = resume(tasks, path)
    assert ran == [torn]  # only the torn run runs again; no whole row is lost
    assert len(messages) == 1 and "dropping a row that is not whole" in messages[0]
    assert sorted(r["detector"] for r in again) == sorted(order)
    assert comparable(again) == comparable(rows)  # every run is deterministic
    with open(path, newline="") as handle:
        assert len(list(csv.reader(handle))) == 5
    assert "## Summary" in markdown_report(again)
    # A second resume has nothing left to do.
    assert resume(tasks, path)[1:] == ([], [])


def test_resume_completes_a_whole_row_that_lost_only_its_line_ending(finished_grid, tmp_path):
    source, rows, content = finished_grid
    path = tmp_path / "results.csv"
    path.write_bytes(content[:-2])
    again, ran, messages = resume(make_tasks(**TORN_GRID), path)
    assert ran == [] and messages == []
    assert path.read_bytes() == content


def test_resume_survives_rows_merged_by_an_earlier_version(finished_grid, tmp_path):
    """A torn row with the next row appended onto it (``...,0IForest,wine,...``), which
    made every later resume fail with 'could not convert string to float'."""
    source, rows, content = finished_grid
    offsets = record_offsets(content)
    cut = offsets[2] + 40  # in the numbers of the first row after the header's next
    merged = content[:cut] + content[offsets[3]:]
    path = tmp_path / "results.csv"
    path.write_bytes(merged)
    with pytest.warns(UserWarning, match="leaving out a row that is not whole"):
        assert len(read_rows(path)) == 2
    again, ran, messages = resume(make_tasks(**TORN_GRID), path)
    assert len(ran) == 2 and len(messages) == 1
    assert comparable(again) == comparable(rows)
    assert "## Summary" in markdown_report(again)


def test_a_header_cut_short_starts_the_file_again(finished_grid, tmp_path):
    source, rows, content = finished_grid
    path = tmp_path / "results.csv"
    path.write_bytes(content[:30])
    again, ran, messages = resume(make_tasks(["IForest"], ["wine"], [0]), path)
    assert ran == ["IForest"] and messages == [f"{path}: its header was cut short; starting it "
                                               "again"]
    assert len(again) == 1


def test_a_failed_write_leaves_no_half_row(tmp_path, monkeypatch):
    path = tmp_path / "results.csv"
    run_grid(make_tasks(["IForest"], ["wine"], [0]), path, progress=False)
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left on device"):
        run_grid(make_tasks(["IForest"], ["vertebral"], [0]), path, progress=False)
    assert path.read_bytes() == before


# --------------------------------------------------- the caller's global state
def test_threads_are_given_back_to_the_caller(tmp_path):
    import torch
    from conftest import torch_threads

    with torch_threads(2):
        rows = run_grid(make_tasks(["IForest"], ["wine"], [0], threads=1), tmp_path / "r.csv",
                        progress=False)
        assert rows[0]["error"] == ""
        assert torch.get_num_threads() == 2


def test_a_time_limit_keeps_the_callers_alarm(tmp_path):
    calls = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: calls.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 1000)
        rows = run_grid(make_tasks(["IForest"], ["wine"], [0], time_limit=60),
                        tmp_path / "a.csv", progress=False)
        assert rows[0]["error"] == ""
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left <= 1000  # still pending, with the time it had left
        assert calls == []
        # A caller's alarm that falls due during a run goes off when the run ends.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        rows = run_grid(make_tasks(["test-slow"], ["wine"], [0], time_limit=0.5),
                        tmp_path / "b.csv", progress=False)
        assert rows[0]["error"].startswith("RunTimeout")
        deadline = time.monotonic() + 30
        while not calls and time.monotonic() < deadline:
            signal.pause() if hasattr(signal, "pause") else time.sleep(0.01)
        assert calls == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------ report, plots
def test_one_seed_has_no_seed_spread(finished_grid):
    _, rows, _ = finished_grid
    assert summarize(rows)["roc_auc_seed_std"].isna().all()
    report = markdown_report(rows)
    assert "roc_auc_seed_std" not in report and "0.000 |" not in report.split("## ROC")[0]


def test_the_seed_spread_shows_with_two_seeds_and_na_where_one(tmp_path):
    forest = "IForest(n_estimators=10)"
    rows = run_grid(make_tasks([forest], ["wine"], [0, 1]), tmp_path / "r.csv", progress=False)
    rows += run_grid(make_tasks(["LOF"], ["wine"], [0]), tmp_path / "s.csv", progress=False)
    spread = np.std([r["roc_auc"] for r in rows if r["detector"] == forest])
    assert spread > 0
    summary = summarize(rows)
    assert summary.loc[forest, "roc_auc_seed_std"] == pytest.approx(spread)
    assert np.isnan(summary.loc["LOF", "roc_auc_seed_std"])
    lines = markdown_report(rows).splitlines()
    assert "roc_auc_seed_std" in lines[lines.index("## Summary (sorted by mean rank)") + 2]
    assert next(x for x in lines if x.startswith("| LOF |")).count("| n/a |") == 1
    assert f"| {spread:.3f} |" in next(x for x in lines if x.startswith(f"| {forest} |"))


def test_fit_time_plot_names_detectors_in_a_legend_not_on_the_points(finished_grid):
    _, rows, _ = finished_grid
    fig, ax = plot_time_vs_auc(rows)
    try:
        assert len(ax.texts) == 0  # labels by the points overlap
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == list(summarize(rows).index)
        markers = {tuple(c.get_paths()[0].vertices.round(3).ravel()) for c in ax.collections}
        assert len(markers) == 4  # told apart by shape as well as colour
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


# ------------------------------------------------------------ embedding sets
def test_the_embeddings_group_is_the_development_embedding_sets():
    from pyod_aeplus.datasets._registry import EMBEDDING_NAMES, EMBEDDING_SHA256

    group = _dataset_groups()["embeddings"]
    assert len(group) == len(set(group)) == 19 and set(group) == set(EMBEDDING_SHA256)
    assert set(group) <= set(EMBEDDING_NAMES)
    assert "ResNet18_MVTec-AD_bottle" in group and "BERT_20news_3" in group


def test_cli_skips_the_embedding_sets_that_are_absent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYOD_AEPLUS_DATA", str(tmp_path / "empty"))
    code = cli_main(["--detectors", "IForest", "--datasets", "embeddings", "--seeds", "0",
                     "--output", str(tmp_path), "--no-plots"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("not cached") == 19 and "skipping ResNet18_MVTec-AD_bottle" in err
    assert err.endswith("no data sets to run\n")


def test_cli_runs_embedding_sets(tmp_path, capsys):
    data = os.environ.get("PYOD_AEPLUS_DATA") or ""
    sets = ["ResNet18_MVTec-AD_toothbrush", "BERT_20news_3"]
    for name in sets:
        if not os.path.isfile(os.path.join(data, "embeddings", f"{name}.npz")):
            pytest.skip(f"embeddings/{name}.npz is not in PYOD_AEPLUS_DATA")
    code = cli_main(["--detectors", "IForest", "--datasets", *sets, "--seeds", "0",
                     "--max-train", "300", "--output", str(tmp_path), "--no-plots"])
    assert code == 0
    rows = read_rows(tmp_path / "results.csv")
    assert sorted(r["dataset"] for r in rows) == sorted(sets)
    assert {r["n_features"] for r in rows} == {512, 768} and all(r["error"] == "" for r in rows)


def test_cli_refuses_an_unknown_data_set(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--detectors", "IForest", "--datasets", "nope", "--output", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "error: unknown data set 'nope'" in capsys.readouterr().err
