"""Every example runs (fast mode), writes its plots and tables its results: none can rot.

Fast mode trains for two or three epochs; what each test asks of the results
holds even so (and fails when scores and labels are mismatched, or a score is
the wrong way round): the examples' detectors beat chance where the data
make that easy.
"""

import os
import runpy
from pathlib import Path

import pytest

from conftest import write_creditcard_csv

pytest.importorskip("matplotlib")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DATA = os.environ.get("PYOD_AEPLUS_DATA", "")
NEEDS = {"ecg5000": "ecg/ecg.csv", "mnist_one_class": "mnist/t10k-images-idx3-ubyte.gz"}


def run_example(name, output, *args):
    main = runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")["main"]
    return main(["--fast", "--output", str(output), *args])


def table_row(printed, first_cell):
    """The cells of the printed Markdown table's row that starts with ``first_cell``."""
    for line in printed.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row {first_cell!r} in:\n{printed}")


def check_generate_data(result, printed):
    assert set(result) == {"accuracy", "recall"}
    # The tutorial's set is easy: two epochs separate it.
    assert result["accuracy"] > 0.9 and result["recall"] > 0.9
    for key in result:
        assert table_row(printed, key)[-1] == f"{result[key]:.3f}"


def check_compare_detectors(result, printed):
    assert [row[0] for row in result] == ["AEPlus", "IForest", "OCSVM", "LOF"]
    for name, auc, ap, seconds in result:
        assert table_row(printed, name)[1:3] == [f"{auc:.3f}", f"{ap:.3f}"]
        assert auc > 0.5 and seconds > 0, name
    assert max(auc for _, auc, _, _ in result) > 0.65


def check_anomaly_kinds(result, printed):
    from pyod_aeplus.datasets import ANOMALY_TYPES

    detectors = ["AEPlus", "IForest", "LOF", "KNN", "OCSVM"]
    assert set(result) == {(name, kind) for name in detectors for kind in ANOMALY_TYPES}
    for name in detectors:
        cells = table_row(printed, name)
        assert cells[1:-1] == [f"{result[name, kind]:.3f}" for kind in ANOMALY_TYPES]
        # Uniform noise beyond the normal rows' range: every detector finds it.
        assert result[name, "global"] > 0.95, name


def check_thresholds_and_explanations(result, printed):
    from pyod_aeplus.benchmark import split
    from pyod_aeplus.datasets import load_dataset

    data = load_dataset("Cardiotocography")
    _, _, _, y_test = split(data.X, data.y, "unsupervised", seed=0)
    assert {"contamination 0.1", "95th percentile", "mean + 2 std"} <= set(result)
    for rule, (flagged, precision, recall) in result.items():
        assert table_row(printed, rule)[1:] == [str(flagged), f"{precision:.3f}", f"{recall:.3f}"]
    flagged, precision, _ = result["contamination 0.1"]
    # A tenth of the training rows flagged: about a tenth of the test rows, and
    # more anomalies among them than among the test rows as a whole.
    assert 0.05 * len(y_test) < flagged < 0.15 * len(y_test)
    assert precision > y_test.mean()
    assert result["95th percentile"][0] < flagged


def check_make_classification(result, printed):
    assert set(result) == {"DeepAE 16-8-4 (the tutorial's network)", "SparseAE (defaults)",
                           "AEPlus (defaults)"}
    for name, values in result.items():
        assert table_row(printed, name)[1:] == [f"{value:.3f}" for value in values]
    assert result["AEPlus (defaults)"][0] > 0.7


def check_ecg5000(result, printed):
    assert set(result) == {"DenseAE", "ConvAE"}
    for metrics in result.values():
        assert set(metrics) == {"accuracy", "precision", "recall", "roc_auc"}
        # Abnormal beats differ in shape: a few epochs tell them apart.
        assert metrics["roc_auc"] > 0.9
    assert table_row(printed, "ROC-AUC (anomaly = positive)")[2:] == [
        f"{result['DenseAE']['roc_auc']:.3f}", f"{result['ConvAE']['roc_auc']:.3f}"]


def check_mnist_one_class(result, printed):
    assert set(result) == {"roc_auc", "average_precision"}
    assert result["roc_auc"] > 0.9  # a 3 among 1s
    assert table_row(printed, "ROC-AUC")[1] == f"{result['roc_auc']:.3f}"


# name: (arguments beyond --fast and --output, plots it must write, what its results must show)
EXAMPLE_RUNS = {
    "generate_data": ((), {"loss", "score_histogram", "confusion_matrix"}, check_generate_data),
    "compare_detectors": ((), {"roc", "precision_recall"}, check_compare_detectors),
    # The embedded Stamps set keeps the four synthetic-anomaly sets small (as in the gallery).
    "anomaly_kinds": (("--dataset", "Stamps"), {"kinds", "roc_auc_by_kind"},
                      check_anomaly_kinds),
    "thresholds_and_explanations": ((), {"feature_errors", "score_histogram"},
                                    check_thresholds_and_explanations),
    "make_classification": ((), {"loss", "score_histogram", "precision_recall"},
                            check_make_classification),
    "ecg5000": ((), {"loss", "score_histogram", "reconstruction", "confusion_matrix"},
                check_ecg5000),
    "mnist_one_class": ((), {"reconstruction_grid", "score_histogram", "loss"},
                        check_mnist_one_class),
}
#: Examples of more than a few seconds, run with the slow tests.
SLOW = {"anomaly_kinds", "thresholds_and_explanations", "make_classification", "ecg5000",
        "mnist_one_class"}


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW
                                  else name for name in EXAMPLE_RUNS])
def test_example_runs_and_reports_its_results(name, tmp_path, capsys):
    if name in NEEDS and not (Path(DATA) / NEEDS[name]).is_file():
        pytest.skip(f"{NEEDS[name]} is not in PYOD_AEPLUS_DATA")
    args, plots, check = EXAMPLE_RUNS[name]
    result = run_example(name, tmp_path, *args)
    check(result, capsys.readouterr().out)
    written = {path.stem for path in tmp_path.glob("*.png") if path.stat().st_size > 0}
    assert plots <= written


def test_creditcard_example_on_a_file_of_the_same_schema(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYOD_AEPLUS_DATA", str(tmp_path / "cache"))
    write_creditcard_csv(tmp_path / "cache" / "creditcard" / "creditcard.csv", n_rows=400)
    results = run_example("creditcard", tmp_path / "out")
    assert set(results) == {"simple (DenseAE, code 12)", "sparse (SparseAE, code 12)",
                            "deep (DeepAE 16-8-4)", "denoising (DenoisingAE)", "VAE"}
    assert (tmp_path / "out" / "roc.png").is_file()


def test_creditcard_example_says_where_to_put_the_data(tmp_path, monkeypatch, capsys):
    import pooch

    monkeypatch.setenv("PYOD_AEPLUS_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(pooch, "retrieve",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    assert run_example("creditcard", tmp_path / "out") is None
    err = capsys.readouterr().err
    assert "creditcard.csv" in err and str(tmp_path / "empty") in err
