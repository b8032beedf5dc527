"""Every example runs (fast mode) and writes its plots, so the examples never rot."""

import os
import runpy
from pathlib import Path

import pytest

from conftest import write_creditcard_csv

pytest.importorskip("matplotlib")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DATA = os.environ.get("PYOD_AEPLUS_DATA", "")
NEEDS = {"ecg5000": "ecg/ecg.csv", "mnist_one_class": "mnist/t10k-images-idx3-ubyte.gz"}


def run_example(name, output):
    main = runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")["main"]
    return main(["--fast", "--output", str(output)])


@pytest.mark.parametrize("name", ["ecg5000", "make_classification", "generate_data",
                                  "mnist_one_class", "compare_detectors",
                                  "thresholds_and_explanations", "anomaly_kinds"])
def test_example_runs_and_writes_plots(name, tmp_path, capsys):
    if name in NEEDS and not (Path(DATA) / NEEDS[name]).is_file():
        pytest.skip(f"{NEEDS[name]} is not in PYOD_AEPLUS_DATA")
    result = run_example(name, tmp_path)
    assert result
    assert len(list(tmp_path.glob("*.png"))) >= 2
    assert "|" in capsys.readouterr().out  # the printed table


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
