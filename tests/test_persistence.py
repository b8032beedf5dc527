"""Saving and loading fitted detectors."""

import os
import pickle

import numpy as np
import pytest
import torch

import pyod_aeplus as pa

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4))


def test_damaged_files_are_refused(make_detector, tmp_path):
    det = make_detector().fit(X)
    good = tmp_path / "good.pt"
    det.save(good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable pyod_aeplus model file"):
        pa.load(truncated)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a readable pyod_aeplus model file"):
        pa.load(garbage)
    payload = torch.load(good, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(ValueError, match="saved in format version 99; this pyod_aeplus reads version 1"):
        pa.load(tmp_path / "future.pt")
    payload["format_version"] = 1
    payload["class"] = "Trojan"
    torch.save(payload, tmp_path / "trojan.pt")
    with pytest.raises(ValueError, match="unknown detector class 'Trojan'"):
        pa.load(tmp_path / "trojan.pt")
    payload = torch.load(good, weights_only=True)
    payload["module_state"] = {k: (v[:1] if v.ndim else v) for k, v in payload["module_state"].items()}
    torch.save(payload, tmp_path / "shapes.pt")
    with pytest.raises(ValueError, match="damaged pyod_aeplus model file"):
        pa.load(tmp_path / "shapes.pt")
    with pytest.raises(ValueError, match="holds a"):
        (pa.VAE if not isinstance(det, pa.VAE) else pa.DenseAE).load(good)


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch exploited-marker",))


def test_loading_never_executes_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.save({"format": "pyod_aeplus", "payload": Exploit()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="not a readable pyod_aeplus model file"):
        pa.load(tmp_path / "evil.pt")
    assert not (tmp_path / "exploited-marker").exists()


def test_save_refuses_a_parameter_json_cannot_hold(tmp_path):
    pytest.importorskip("pythresh")
    from pythresh.thresholds.iqr import IQR

    det = pa.DenseAE(contamination=IQR(), epochs=2).fit(X)
    with pytest.raises(ValueError, match="cannot be stored as JSON.*pickle"):
        det.save(tmp_path / "m.pt")
    assert pickle.loads(pickle.dumps(det)).predict(X).shape == (40,)
