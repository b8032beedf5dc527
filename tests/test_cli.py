"""The command lines: ``pyod-aeplus fit`` / ``score`` and ``python -m pyod_aeplus``."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pyod_aeplus as pa
from pyod_aeplus import cli

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[1]
# Fast settings, passed the same way to the command line and to the Python API.
FAST = ["--detector", "DenseAE", "--param", "epochs=2", "--random-state", "0"]


@pytest.fixture
def frames():
    """A training and a new table: an id column, four features, a text column."""
    rng = np.random.default_rng(0)

    def table(n, prefix):
        X = rng.normal(size=(n, 4))
        X[:5] += 6.0
        frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
        frame.insert(0, "id", [f"{prefix}{i}" for i in range(n)])
        frame["note"] = "text"
        return frame

    return table(120, "train-"), table(40, "new-")


def run(argv, capsys):
    """``(exit code, stdout, stderr)`` of the command line run in this process."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def error_of(argv, capsys):
    """The one-line message of a command that must fail with exit code 2."""
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err.strip()


# ---------------------------------------------------------------- round trip
def test_fit_then_score_matches_the_python_api(frames, tmp_path, capsys):
    train, new = frames
    train.to_csv(tmp_path / "train.csv", index=False)
    new.to_csv(tmp_path / "new.csv", index=False)
    model, fitted, scored = tmp_path / "model.pt", tmp_path / "fit.csv", tmp_path / "new-scores.csv"

    code, _, err = run(["fit", tmp_path / "train.csv", *FAST, "--contamination", "0.05",
                        "--id-column", "id", "--columns", "a", "b", "c", "d",
                        "--model", model, "--output", fitted], capsys)
    assert code == 0, err
    assert "fitted DenseAE on 120 rows x 4 columns" in err
    code, _, err = run(["score", tmp_path / "new.csv", "--model", model, "--id-column", "id",
                        "--output", scored], capsys)
    assert code == 0, err

    features = ["a", "b", "c", "d"]
    detector = pa.DenseAE(epochs=2, contamination=0.05, random_state=0).fit(train[features])
    out = pd.read_csv(fitted)
    assert list(out.columns) == ["id", "score", "label"]
    assert list(out["id"]) == list(train["id"])
    np.testing.assert_array_equal(out["score"], detector.decision_scores_)
    np.testing.assert_array_equal(out["label"], detector.labels_)
    out = pd.read_csv(scored)
    assert list(out["id"]) == list(new["id"])
    np.testing.assert_array_equal(out["score"], detector.decision_function(new[features]))
    np.testing.assert_array_equal(out["label"], detector.predict(new[features]))
    loaded = pa.load(model)
    np.testing.assert_array_equal(loaded.feature_names_in_, features)


def test_score_takes_the_models_columns_in_its_order(frames, tmp_path, capsys):
    train, new = frames
    train[["a", "b", "c", "d"]].to_csv(tmp_path / "train.csv", index=False)
    # The new table has the columns in another order, and more of them.
    new[["note", "d", "c", "id", "b", "a"]].to_csv(tmp_path / "new.csv", index=False)
    model = tmp_path / "model.pt"
    assert run(["fit", tmp_path / "train.csv", *FAST, "--model", model], capsys)[0] == 0
    code, out, _ = run(["score", tmp_path / "new.csv", "--model", model], capsys)
    assert code == 0
    scores = pd.read_csv(io.StringIO(out))  # standard output by default
    assert list(scores.columns) == ["score", "label"]
    np.testing.assert_array_equal(
        scores["score"], pa.load(model).decision_function(new[["a", "b", "c", "d"]]))


def test_parquet_in_and_out(frames, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    train, _ = frames
    train.to_parquet(tmp_path / "train.parquet")
    code, _, err = run(["fit", tmp_path / "train.parquet", *FAST, "--id-column", "id",
                        "--columns", "a", "b", "c", "d", "--output",
                        tmp_path / "scores.parquet"], capsys)
    assert code == 0, err
    out = pd.read_parquet(tmp_path / "scores.parquet")
    assert list(out.columns) == ["id", "score", "label"] and len(out) == len(train)


def test_params_reach_the_detector(frames, tmp_path, capsys):
    train, _ = frames
    train[["a", "b", "c", "d"]].to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "model.pt"
    code, _, err = run(["fit", tmp_path / "train.csv", "--detector", "DeepAE",
                        "--param", "hidden_sizes=(8, 3)", "--param", "epochs=2",
                        "--param", "device=cpu", "--param", "loss=mae", "--model", model], capsys)
    assert code == 0, err
    params = pa.load(model).get_params()
    assert (params["hidden_sizes"], params["epochs"], params["device"], params["loss"]) == (
        (8, 3), 2, "cpu", "mae")


def test_detector_list_is_every_saveable_detector():
    from pyod_aeplus.base import registered_detectors

    built_in = [cls.__name__ for name, cls in registered_detectors().items()
                if name.startswith("pyod_aeplus.")]
    assert sorted(cli.DETECTORS) == sorted(built_in)


# -------------------------------------------------------------------- errors
def test_a_missing_file_is_a_one_line_error(tmp_path, capsys):
    message = error_of(["fit", tmp_path / "nothing.csv"], capsys)
    assert message == f"error: {tmp_path / 'nothing.csv'}: no such file"


def test_a_file_neither_csv_nor_parquet_is_refused(tmp_path, capsys):
    (tmp_path / "data.xlsx").write_text("a,b\n1,2\n")
    message = error_of(["fit", tmp_path / "data.xlsx"], capsys)
    assert message.endswith("data.xlsx: not a CSV or Parquet file (its name must end in .csv "
                            "or .parquet)")


def test_a_damaged_parquet_file_is_refused(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    (tmp_path / "data.parquet").write_text("a,b\n1,2\n")
    assert "data.parquet: cannot read it as PARQUET: " in error_of(
        ["fit", tmp_path / "data.parquet"], capsys)


@pytest.mark.parametrize("text, message", [("", "the file is empty"),
                                           ("a,b,c\n", "no data rows")])
def test_an_empty_file_is_refused(tmp_path, capsys, text, message):
    (tmp_path / "data.csv").write_text(text)
    assert error_of(["fit", tmp_path / "data.csv"], capsys).endswith(f"data.csv: {message}")


def test_non_numeric_columns_are_named(frames, tmp_path, capsys):
    train, _ = frames
    train.to_csv(tmp_path / "train.csv", index=False)
    message = error_of(["fit", tmp_path / "train.csv", *FAST], capsys)
    assert message.endswith("train.csv: non-numeric columns 'id', 'note': pick the feature "
                            "columns with --columns, or name an id column with --id-column")
    # Naming the id column leaves the other one.
    message = error_of(["fit", tmp_path / "train.csv", *FAST, "--id-column", "id"], capsys)
    assert "non-numeric column 'note':" in message


def test_nan_values_are_located(frames, tmp_path, capsys):
    train, _ = frames
    train.loc[[7, 9], "b"] = np.nan
    train.loc[3, "d"] = np.nan
    train.to_csv(tmp_path / "train.csv", index=False)
    message = error_of(["fit", tmp_path / "train.csv", *FAST, "--id-column", "id",
                        "--columns", "a", "b", "c", "d"], capsys)
    assert message.endswith("train.csv: missing values (NaN) in column 'b' (2 rows), 'd' "
                            "(1 row); the first is in data row 4. Fill or drop them first")


def test_unknown_columns_are_named_with_the_files_columns(frames, tmp_path, capsys):
    train, _ = frames
    train.to_csv(tmp_path / "train.csv", index=False)
    message = error_of(["fit", tmp_path / "train.csv", "--columns", "a", "zz"], capsys)
    assert message.endswith("train.csv: no column 'zz'; its columns: 'id', 'a', 'b', 'c', "
                            "'d', 'note'")
    message = error_of(["fit", tmp_path / "train.csv", "--id-column", "key"], capsys)
    assert "train.csv: no id column 'key'; its columns:" in message


def test_wrong_columns_for_the_model(frames, tmp_path, capsys):
    train, new = frames
    train.to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "model.pt"
    assert run(["fit", tmp_path / "train.csv", *FAST, "--id-column", "id", "--columns", "a",
                "b", "c", "d", "--model", model], capsys)[0] == 0
    new.drop(columns=["c"]).to_csv(tmp_path / "new.csv", index=False)
    message = error_of(["score", tmp_path / "new.csv", "--model", model], capsys)
    assert message.endswith("new.csv: the model's column 'c' missing; the model takes 'a', "
                            "'b', 'c', 'd'")


def test_wrong_column_count_for_a_model_without_names(tmp_path, capsys):
    rng = np.random.default_rng(1)
    pa.DenseAE(epochs=2, random_state=0).fit(rng.normal(size=(50, 3))).save(tmp_path / "m.pt")
    new = pd.DataFrame(rng.normal(size=(5, 4)), columns=list("wxyz"))
    new.to_csv(tmp_path / "new.csv", index=False)
    message = error_of(["score", tmp_path / "new.csv", "--model", tmp_path / "m.pt"], capsys)
    assert message.endswith("new.csv: the model takes 3 feature columns, the file has 4 ('w', "
                            "'x', 'y', 'z')")


def test_a_missing_or_unreadable_model_file_is_refused(frames, tmp_path, capsys):
    _, new = frames
    new.to_csv(tmp_path / "new.csv", index=False)
    message = error_of(["score", tmp_path / "new.csv", "--model", tmp_path / "none.pt"], capsys)
    assert message == f"error: {tmp_path / 'none.pt'}: no such model file"
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    message = error_of(["score", tmp_path / "new.csv", "--model", tmp_path / "junk.pt"], capsys)
    assert "junk.pt is not a readable pyod_aeplus model file" in message


def test_bad_params_are_refused_clearly(frames, tmp_path, capsys):
    train, _ = frames
    train[["a", "b"]].to_csv(tmp_path / "train.csv", index=False)
    data = tmp_path / "train.csv"
    assert "DenseAE has no parameter 'epoch'; its parameters: activation, batch_size" in \
        error_of(["fit", data, "--detector", "DenseAE", "--param", "epoch=3"], capsys)
    assert error_of(["fit", data, "--param", "random_state=3"], capsys) == \
        "error: set random_state with --random-state, not --param"
    assert error_of(["fit", data, "--detector", "DenseAE", "--param", "epochs=0"], capsys) == \
        "error: DenseAE: epochs must be >= 1, got 0"
    assert error_of(["fit", data, *FAST, "--param", "epochs=3"], capsys) == \
        "error: --param epochs is given twice"


def test_output_folder_must_exist_before_fitting(frames, tmp_path, capsys):
    train, _ = frames
    train[["a", "b"]].to_csv(tmp_path / "train.csv", index=False)
    message = error_of(["fit", tmp_path / "train.csv", "--model", tmp_path / "no" / "m.pt"],
                       capsys)
    assert message.endswith(f"the folder {tmp_path / 'no'} does not exist")
    message = error_of(["fit", tmp_path / "train.csv", "--output", tmp_path / "s.txt"], capsys)
    assert message.endswith("s.txt: the scores file must end in .csv or .parquet")


def test_missing_pandas_and_pyarrow_say_what_to_install(tmp_path, capsys, monkeypatch):
    real = cli.importlib.util.find_spec
    (tmp_path / "data.parquet").write_bytes(b"")
    (tmp_path / "data.csv").write_text("a\n1\n2\n")
    monkeypatch.setattr(cli.importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real(name, *a))
    assert error_of(["fit", tmp_path / "data.parquet"], capsys).endswith(
        "data.parquet: Parquet files need pyarrow: pip install 'pyod_aeplus[cli]' "
        "(or pip install pyarrow)")
    monkeypatch.setattr(cli.importlib.util, "find_spec",
                        lambda name, *a: None if name == "pandas" else real(name, *a))
    assert error_of(["fit", tmp_path / "data.csv"], capsys) == \
        "error: reading data files needs pandas: pip install 'pyod_aeplus[cli]'"


# ------------------------------------------------------ the real entry points
@pytest.mark.slow  # a new interpreter imports torch and fits
def test_console_entry_point(frames, tmp_path):
    """``python -m pyod_aeplus.cli``, the code the ``pyod-aeplus`` script runs."""
    train, _ = frames
    train.to_csv(tmp_path / "train.csv", index=False)
    done = subprocess.run([sys.executable, "-m", "pyod_aeplus.cli", "fit", tmp_path / "train.csv",
                           *FAST, "--id-column", "id", "--columns", "a", "b", "--model",
                           tmp_path / "m.pt", "--output", tmp_path / "s.csv"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("fitted DenseAE on 120 rows x 2 columns;")
    scores = pd.read_csv(tmp_path / "s.csv")
    np.testing.assert_array_equal(scores["score"], pa.load(tmp_path / "m.pt").decision_scores_)


HEAVY = ("torch", "pyod", "sklearn", "pandas")
CHECK_HELP = """
import runpy, sys
sys.argv = [{prog!r}, "--help"]
try:
    runpy.run_module({module!r}, run_name="__main__")
except SystemExit:
    pass
print("loaded:", sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("module, usage", [
    ("pyod_aeplus", "usage: python -m pyod_aeplus "),
    ("pyod_aeplus.cli", "usage: pyod-aeplus "),
])
def test_help_imports_no_heavy_library(module, usage):
    """--help answers before torch, PyOD, scikit-learn or pandas is imported."""
    code = CHECK_HELP.format(prog=module, module=module, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(usage)
    assert done.stdout.rstrip().endswith("loaded: []")


def test_benchmark_anomaly_types_are_the_data_sets():
    from pyod_aeplus.benchmark.cli import ANOMALY_TYPES
    from pyod_aeplus.datasets import ANOMALY_TYPES as KINDS

    assert ANOMALY_TYPES == KINDS
