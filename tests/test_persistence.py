"""Saving and loading: atomic writes, checksums, checks of every field, parameters, errors."""

import io
import json
import os
import pickle
import signal
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import pyod_aeplus as pa
from pyod_aeplus import persistence
from pyod_aeplus.thresholds import PercentileThreshold

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4))
X_NEW = RNG.normal(size=(25, 4))
FAST = dict(epochs=2, random_state=0)
KILL_SURVIVORS = ["ConvAE", "VAE", "AEPlus"]


@pytest.fixture(scope="module")
def fitted():
    """``fitted(name, seed=0)``: a detector of class ``name`` fitted on X (cached)."""
    cache = {}

    def get(name, seed=0):
        if (name, seed) not in cache:
            cache[name, seed] = getattr(pa, name)(epochs=2, random_state=seed).fit(X)
        return cache[name, seed]

    return get


def same_model(loaded, det):
    np.testing.assert_array_equal(loaded.decision_function(X_NEW), det.decision_function(X_NEW))
    np.testing.assert_array_equal(loaded.predict(X_NEW), det.predict(X_NEW))
    np.testing.assert_array_equal(loaded.decision_scores_, det.decision_scores_)
    np.testing.assert_array_equal(loaded.labels_, det.labels_)
    assert loaded.threshold_ == det.threshold_


def tampered(path, edit, resign=True):
    """A copy of the model file at ``path`` with ``edit(payload)`` applied; re-signed by default."""
    payload = torch.load(path, weights_only=True)
    edit(payload)
    if resign:
        payload["checksum"] = persistence._checksum(payload)
    out = Path(path).with_name("tampered.pt")
    torch.save(payload, out)
    return out


def edit_json(field, change):
    def edit(payload):
        data = json.loads(payload[field])
        change(data)
        payload[field] = json.dumps(data)
    return edit


# ------------------------------------------------------------- atomic save
def _interrupt_write_halfway(monkeypatch):
    """The next os.write writes half of its data, then the user presses Ctrl-C."""
    real_write = os.write
    calls = []

    def write(fd, data):
        calls.append(fd)
        if len(calls) == 1:
            real_write(fd, bytes(data[: len(data) // 2]))
            raise KeyboardInterrupt
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("name", KILL_SURVIVORS)
def test_an_interrupted_save_keeps_the_old_file_and_leaves_no_temporary(
        name, fitted, tmp_path, monkeypatch):
    old, new = fitted(name, 0), fitted(name, 1)
    path = tmp_path / "model.pt"
    old.save(path)
    with monkeypatch.context() as patch:
        _interrupt_write_halfway(patch)
        with pytest.raises(KeyboardInterrupt):
            new.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    same_model(pa.load(path), old)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks a process (Linux)")
def test_a_process_killed_while_saving_leaves_the_old_files(fitted, tmp_path):
    """A ConvAE, a VAE and an AEPlus, each saved over an old model by a process killed mid-write.

    The process is forked (no second import of torch): its three saves each
    write half of the file and hang, then it gets SIGKILL.
    """
    jobs = []
    for name in KILL_SURVIVORS:
        fitted(name, 0).save(tmp_path / f"{name}.pt")
        jobs.append((fitted(name, 1), tmp_path / f"{name}.pt"))
    report, reporter = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(report)
            real_write = os.write

            def write(fd, data):
                real_write(fd, bytes(data[: len(data) // 2]))
                os.fsync(fd)
                real_write(reporter, b"+")
                threading.Event().wait()

            os.write = write
            threads = [threading.Thread(target=det.save, args=(path,)) for det, path in jobs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            os._exit(0)
    os.close(reporter)
    stalled = b""
    try:
        while len(stalled) < len(jobs):
            chunk = os.read(report, 16)  # empty when the child ended without stalling
            if not chunk:
                break
            stalled += chunk
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(report)
    assert stalled == b"+" * len(jobs)
    for name in KILL_SURVIVORS:
        same_model(pa.load(tmp_path / f"{name}.pt"), fitted(name, 0))


def test_overlapping_saves_leave_one_complete_model(fitted, tmp_path, monkeypatch):
    """A second save to the same path runs while the first is halfway through its write."""
    first, second = fitted("DenseAE", 0), fitted("DenseAE", 1)
    path = tmp_path / "model.pt"
    real_write = os.write
    overlapped = []

    def write(fd, data):
        if overlapped:
            return real_write(fd, data)
        overlapped.append(True)
        written = real_write(fd, bytes(data[: len(data) // 2]))
        second.save(path)
        return written

    monkeypatch.setattr(os, "write", write)
    first.save(path)
    monkeypatch.undo()
    assert overlapped
    same_model(pa.load(path), first)  # the last to finish
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_saving_over_a_link_replaces_its_target(fitted, tmp_path):
    det = fitted("DenseAE")
    (tmp_path / "real.pt").write_bytes(b"old")
    (tmp_path / "link.pt").symlink_to(tmp_path / "real.pt")
    det.save(tmp_path / "link.pt")
    assert (tmp_path / "link.pt").is_symlink()
    same_model(pa.load(tmp_path / "real.pt"), det)


def test_file_objects_round_trip(fitted):
    det = fitted("VAE")
    buffer = io.BytesIO()
    det.save(buffer)
    buffer.seek(0)
    same_model(pa.load(buffer), det)


# ------------------------------------------------------------- save errors
def test_saving_to_a_folder_is_an_os_error_naming_it(fitted, tmp_path):
    with pytest.raises(IsADirectoryError, match="cannot save the model") as error:
        fitted("DenseAE").save(tmp_path)
    assert error.value.filename == str(tmp_path)


def test_saving_into_a_missing_folder_is_a_file_not_found_error(fitted, tmp_path):
    path = tmp_path / "missing" / "model.pt"
    with pytest.raises(FileNotFoundError, match="cannot save the model") as error:
        fitted("DenseAE").save(path)
    assert error.value.filename == str(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="needs file permissions (POSIX, not root)")
def test_saving_into_a_read_only_folder_is_a_permission_error(fitted, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="cannot save the model") as error:
            fitted("DenseAE").save(folder / "model.pt")
    finally:
        folder.chmod(0o700)
    assert error.value.filename == str(folder / "model.pt")


def test_a_failed_rename_is_an_os_error_and_removes_the_temporary(fitted, tmp_path, monkeypatch):
    def refuse(source, target):
        raise PermissionError(13, "Permission denied", target)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError, match="cannot save the model"):
        fitted("DenseAE").save(tmp_path / "model.pt")
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------- parameters
@pytest.mark.parametrize("name", ["DenseAE", "AEPlus"])
def test_a_pyod_aeplus_thresholder_round_trips(name, tmp_path):
    det = getattr(pa, name)(contamination=PercentileThreshold(95), **FAST).fit(X)
    det.save(tmp_path / "m.pt")
    loaded = pa.load(tmp_path / "m.pt")
    assert type(loaded.contamination) is PercentileThreshold and loaded.contamination.q == 95
    same_model(loaded, det)


def test_a_pythresh_thresholder_round_trips(tmp_path):
    pytest.importorskip("pythresh")
    from pythresh.thresholds.iqr import IQR
    from pythresh.thresholds.karch import KARCH

    for thresholder in (KARCH(), IQR()):
        det = pa.DenseAE(contamination=thresholder, **FAST).fit(X)
        det.save(tmp_path / "m.pt")
        loaded = pa.load(tmp_path / "m.pt")
        assert type(loaded.contamination) is type(thresholder)
        assert loaded.contamination.get_params() == thresholder.get_params()
        same_model(loaded, det)


def test_numpy_scalars_round_trip(tmp_path):
    det = pa.DenseAE(code_size=np.int64(4), random_state=np.int64(3), lr=np.float64(1e-3),
                     early_stopping=np.bool_(True), epochs=np.int32(2)).fit(X)
    det.save(tmp_path / "m.pt")
    loaded = pa.load(tmp_path / "m.pt")
    assert loaded.get_params() == det.get_params()
    assert type(loaded.code_size) is int and type(loaded.early_stopping) is bool
    same_model(loaded, det)


def test_deep_ae_error_scales_round_trip(tmp_path):
    det = pa.DeepAE(normalize_errors=True, batch_norm=True, epochs=2, random_state=0).fit(X)
    det.save(tmp_path / "m.pt")
    loaded = pa.load(tmp_path / "m.pt")
    np.testing.assert_array_equal(loaded.error_scale_, det.error_scale_)
    same_model(loaded, det)


def test_tuples_stay_tuples(tmp_path):
    det = pa.DeepAE(hidden_sizes=(8, 3), **FAST).fit(X)
    det.save(tmp_path / "m.pt")
    assert pa.load(tmp_path / "m.pt").hidden_sizes == (8, 3)


class UserThreshold:
    def fit(self, scores):
        self.thresh_ = float(np.median(scores))
        self.labels_ = (np.asarray(scores) > self.thresh_).astype(int)
        return self

    def predict(self, scores):
        return (np.asarray(scores) > self.thresh_).astype(int)


def test_a_refused_parameter_is_named_alone(tmp_path):
    det = pa.DenseAE(epochs=2, random_state=np.random.RandomState(0)).fit(X)
    with pytest.raises(ValueError, match=r"^parameter 'random_state' = .* cannot be saved: "
                                         r"numpy.random.mtrand.RandomState values") as error:
        det.save(tmp_path / "m.pt")
    assert "preprocessing" not in str(error.value)
    det = pa.DenseAE(contamination=UserThreshold(), **FAST).fit(X)
    with pytest.raises(ValueError, match="parameter 'contamination' .* cannot be saved: its class "
                                         ".*UserThreshold is not a thresholder from pythresh"):
        det.save(tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()
    # Pickle still takes any parameter.
    assert pickle.loads(pickle.dumps(det)).predict(X).shape == (40,)


def test_a_thresholder_that_refits_differently_is_refused_at_save(tmp_path):
    det = pa.DenseAE(contamination=PercentileThreshold(95), **FAST).fit(X)
    det.contamination.q = 50  # the detector's threshold no longer follows from its parameters
    with pytest.raises(ValueError, match="parameter 'contamination' cannot be saved: "
                                         "PercentileThreshold fitted again"):
        det.save(tmp_path / "m.pt")


@pytest.mark.parametrize("class_path", ["os.system", "subprocess.Popen",
                                        "pythresh.thresholds.evil_module_that_is_absent.X",
                                        "pyod_aeplus.thresholds.np"])
def test_a_file_cannot_name_another_class_as_thresholder(class_path, tmp_path):
    det = pa.DenseAE(contamination=PercentileThreshold(95), **FAST).fit(X)
    det.save(tmp_path / "m.pt")

    def point_elsewhere(params):
        params["contamination"]["$thresholder"]["class"] = class_path

    path = tampered(tmp_path / "m.pt", edit_json("params", point_elsewhere))
    with pytest.raises(ValueError, match="damaged.*parameter 'contamination' holds"):
        pa.load(path)
    assert "pythresh.thresholds.evil_module_that_is_absent" not in sys.modules


# ----------------------------------------------------------------- registry
def test_a_user_class_named_like_a_built_in_one_does_not_replace_it(fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "builtin.pt")

    class DenseAE(pa.DenseAE):
        pass

    assert type(pa.load(tmp_path / "builtin.pt")) is pa.DenseAE
    mine = DenseAE(**FAST).fit(X)
    mine.save(tmp_path / "mine.pt")
    assert type(pa.load(tmp_path / "mine.pt")) is DenseAE
    assert type(pa.load(tmp_path / "builtin.pt")) is pa.DenseAE
    assert pa.base.registered_detectors()["pyod_aeplus.models.dense.DenseAE"] is pa.DenseAE


def test_loading_with_another_class_names_both(fitted, tmp_path):
    fitted("AEPlus").save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match=r"the saved detector is AEPlus, not DenseAE; load it "
                                         r"with pyod_aeplus.load or AEPlus.load"):
        pa.DenseAE.load(tmp_path / "m.pt")
    assert type(pa.BaseAutoEncoder.load(tmp_path / "m.pt")) is pa.AEPlus


def test_loading_leaves_the_global_random_state_alone(fitted, tmp_path):
    fitted("DeepAE").save(tmp_path / "m.pt")
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    pa.load(tmp_path / "m.pt")
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])


# -------------------------------------------------- damaged and tampered files
def test_unreadable_files_are_refused(fitted, tmp_path):
    good = tmp_path / "good.pt"
    fitted("DenseAE").save(good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable pyod_aeplus model file"):
        pa.load(truncated)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a readable pyod_aeplus model file"):
        pa.load(garbage)
    with pytest.raises(FileNotFoundError):
        pa.load(tmp_path / "absent.pt")


@pytest.mark.parametrize("name", ["DenseAE", "ConvAE", "VAE", "AEPlus"])
def test_a_flipped_byte_is_refused(name, fitted, tmp_path):
    det = fitted(name)
    det.save(tmp_path / "m.pt")
    data = bytearray((tmp_path / "m.pt").read_bytes())
    weight = next(t for t in det.module_.state_dict().values() if t.is_floating_point())
    at = data.index(weight.numpy().tobytes()) + weight.numel() * weight.element_size() // 2
    data[at] ^= 0x10
    (tmp_path / "flipped.pt").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged.*checksum does not match its contents"):
        pa.load(tmp_path / "flipped.pt")


def test_an_edited_threshold_is_refused(fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "m.pt")
    path = tampered(tmp_path / "m.pt", edit_json("meta", lambda m: m.update(threshold_=-1.0)),
                    resign=False)
    with pytest.raises(ValueError, match="checksum does not match"):
        pa.load(path)


@pytest.mark.parametrize("name", ["DenseAE", "VAE", "AEPlus"])
def test_non_finite_weights_and_arrays_are_refused(name, fitted, tmp_path):
    fitted(name).save(tmp_path / "m.pt")

    def nan_weight(payload):
        key = next(k for k, v in payload["module_state"].items() if v.is_floating_point())
        payload["module_state"][key].view(-1)[0] = float("nan")

    with pytest.raises(ValueError, match="module_state entry .* holds NaN or infinite values"):
        pa.load(tampered(tmp_path / "m.pt", nan_weight))
    for key in [k for k in torch.load(tmp_path / "m.pt", weights_only=True)["arrays"]
                if k != "labels_"]:
        def inf_array(payload, key=key):
            if payload["arrays"][key].is_floating_point():
                payload["arrays"][key].view(-1)[0] = float("inf")
            else:
                payload["arrays"][key] = payload["arrays"][key].double().fill_(float("inf"))

        with pytest.raises(ValueError, match=f"arrays entry '{key}' holds NaN or infinite"):
            pa.load(tampered(tmp_path / "m.pt", inf_array))


def test_save_refuses_non_finite_weights(tmp_path):
    det = pa.DenseAE(**FAST).fit(X)
    with torch.no_grad():
        next(det.module_.parameters()).view(-1)[0] = float("nan")
    with pytest.raises(ValueError, match="cannot be saved: module_state entry .* NaN"):
        det.save(tmp_path / "m.pt")


def test_a_huge_size_parameter_is_refused_before_allocating(fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "m.pt")
    # 4 inputs × 2**22 code units: 64 MB of weights from a file of a few KB.
    path = tampered(tmp_path / "m.pt", edit_json("params", lambda p: p.update(code_size=2 ** 22)))
    with pytest.raises(ValueError, match="parameters describe a network of more than "
                                         "16,777,216 values; the file holds"):
        pa.load(path)


def test_a_huge_count_parameter_is_refused_before_building(fitted, tmp_path):
    fitted("AEPlus").save(tmp_path / "m.pt")
    count = persistence.SMALL_INT_LIMIT + 1
    path = tampered(tmp_path / "m.pt", edit_json("params", lambda p: p.update(n_estimators=count)))
    with pytest.raises(ValueError, match=f"parameter 'n_estimators' = {count} is larger than any "
                                         "size this file can describe"):
        pa.load(path)


def test_a_huge_n_features_is_refused(fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "m.pt")
    huge = edit_json("meta", lambda m: m.update(n_features_in_=2 ** 22))
    path = tampered(tmp_path / "m.pt", huge)
    with pytest.raises(ValueError, match=r"center_ does not have shape \(4194304,\)"):
        pa.load(path)


def test_a_tensor_that_does_not_fill_its_storage_is_refused(fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "m.pt")

    def spread(payload):  # one stored value posing as 10**9
        payload["arrays"]["decision_scores_"] = torch.zeros(1, dtype=torch.float64).expand(10 ** 9)

    with pytest.raises(ValueError, match="'decision_scores_' is not stored densely"):
        pa.load(tampered(tmp_path / "m.pt", spread, resign=False))


@pytest.mark.parametrize("field, change, message", [
    ("meta", lambda m: m.update(evil="x"), "'evil' is not a fitted attribute DenseAE can have"),
    ("meta", lambda m: m.update(_private=1.0), "'_private' is not a fitted attribute"),
    ("meta", lambda m: m.update(code_size_=1.0, code_size=1.0), "'code_size' is not a fitted"),
    ("meta", lambda m: m.update(fit=1), "'fit' is not a fitted attribute"),
    ("meta", lambda m: m.update(threshold_="high"), "fitted attribute 'threshold_' has an invalid"),
    ("meta", lambda m: m.update(n_features_in_=True), "'n_features_in_' has an invalid value"),
    ("meta", lambda m: m.update(device_="tpu"), "fitted attribute 'device_' has an invalid value"),
    ("meta", lambda m: m.update(extra_={"$dict": {}}), "fitted attribute 'extra_' has an invalid"),
    ("meta", lambda m: m.update(extra_=[[1]]), "fitted attribute 'extra_' has an invalid value"),
    ("meta", lambda m: m.pop("threshold_"), "fitted attribute 'threshold_' is missing"),
    ("params", lambda p: p.update(bogus=1), "DenseAE has no parameter 'bogus'"),
    ("params", lambda p: p.update(code_size="eight"), "code_size must be an integer"),
    ("params", lambda p: p.update(loss={"$pickle": "x"}), "parameter 'loss' holds an unknown"),
    ("params", lambda p: p.update(device=3), "parameter 'device' has an invalid value 3"),
])
def test_unknown_or_ill_typed_fields_are_named(field, change, message, fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match=f"damaged pyod_aeplus model file: .*{message}"):
        pa.load(tampered(tmp_path / "m.pt", edit_json(field, change)))


def test_truncated_weights_are_refused_for_every_detector(make_detector, tmp_path):
    det = make_detector(epochs=2).fit(X)
    det.save(tmp_path / "m.pt")

    def truncate(payload):
        payload["module_state"] = {k: (v[:1] if v.ndim else v)
                                   for k, v in payload["module_state"].items()}

    with pytest.raises(ValueError, match="damaged pyod_aeplus model file: .*(network tensor|"
                                         "parameters describe a network)"):
        pa.load(tampered(tmp_path / "m.pt", truncate))


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["arrays"].update(labels_=p["arrays"]["labels_"][:3]), "labels_ is not an array"),
    (lambda p: p["arrays"].update(scale_=-p["arrays"]["scale_"]), "scale_ holds values <= 0"),
    (lambda p: p["arrays"].update(evil_=torch.zeros(2, dtype=torch.complex64)),
     "'evil_' has dtype torch.complex64"),
    (lambda p: p["arrays"].update(deep_=torch.zeros(1, 1, 1, 1, 1)), "'deep_' has 5 dimensions"),
    (lambda p: p["module_state"].update(
        {k: (v[:1] if v.ndim else v) for k, v in p["module_state"].items()}),
     "parameters describe|the parameters imply"),
    (lambda p: p["module_state"].popitem(), "network tensor .* is missing"),
    (lambda p: p.update(extra=1), "field 'extra' is unknown"),
])
def test_inconsistent_arrays_and_weights_are_refused(edit, message, fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match=f"damaged pyod_aeplus model file: .*({message})"):
        pa.load(tampered(tmp_path / "m.pt", edit))


def test_other_format_versions_and_classes_are_refused(fitted, tmp_path):
    fitted("DenseAE").save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="format version 99; this pyod_aeplus reads version 2"):
        pa.load(tampered(tmp_path / "m.pt", lambda p: p.update(format_version=99)))
    with pytest.raises(ValueError, match="format version 1 by an earlier pyod_aeplus.*fit the "
                                         "detector again"):
        pa.load(tampered(tmp_path / "m.pt", lambda p: p.update(format_version=1)))
    for name in ("Trojan", "DenseAE", "os.system"):
        with pytest.raises(ValueError, match=f"unknown detector class '{name}'"):
            pa.load(tampered(tmp_path / "m.pt", lambda p, name=name: p.update({"class": name})))


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch exploited-marker",))


def test_loading_never_executes_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.save({"format": "pyod_aeplus", "payload": Exploit()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="not a readable pyod_aeplus model file"):
        pa.load(tmp_path / "evil.pt")
    assert not (tmp_path / "exploited-marker").exists()


def test_the_file_reads_with_weights_only(fitted, tmp_path):
    fitted("AEPlus").save(tmp_path / "m.pt")
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    assert sorted(payload) == sorted(persistence.PAYLOAD_KEYS)
    assert payload["class"] == "pyod_aeplus.models.aeplus.AEPlus"
    assert payload["checksum"] == persistence._checksum(payload)
