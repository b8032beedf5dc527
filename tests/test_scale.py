"""Fast paths at scale: chunked and streamed code gives the same answers; Dask scoring."""

import functools
import pickle
import shutil

import numpy as np
import pytest
import torch
from conftest import torch_threads

import pyod_aeplus as pa
import pyod_aeplus._parallel
import pyod_aeplus.base
import pyod_aeplus.training


@pytest.fixture(scope="module")
def fitted():
    X = np.random.default_rng(0).normal(size=(2000, 6))
    return X, pa.DeepAE(epochs=3, random_state=0).fit(X)


def test_chunked_scoring_equals_one_shot(fitted, monkeypatch):
    X, det = fitted
    X = X[:300]  # 43 chunks of 7 rows, the last one short
    one_shot = det.decision_function(X)
    monkeypatch.setattr(pyod_aeplus.base, "CHUNK_BYTES", 7 * det._scoring_row_bytes(6))
    assert det._chunk_rows(6) == 7
    chunked = det.decision_function(X)
    np.testing.assert_allclose(chunked, one_shot, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(det.feature_scores(X).mean(axis=1), one_shot, rtol=1e-5)


@pytest.mark.parametrize("make,rows_bound", [
    # 256 members: each scored row carries every member's reconstruction.
    (lambda: pa.AEPlus(n_estimators=256), 2 ** 24 // (4 * 256 * 2 * 20)),
    # 512 posterior draws: each row is decoded 512 times.
    (lambda: pa.VAE(n_draws=512), 2 ** 24 // (4 * 512 * 4 * 20)),
    (lambda: pa.DenseAE(), 2 ** 24 // (4 * 20)),
])
def test_chunks_shrink_with_the_work_per_row(make, rows_bound, monkeypatch):
    """Scoring memory is budgeted by rows x features x members (or draws), not rows x features."""
    det = make()
    monkeypatch.setattr(det, "_min_chunk_rows", 1)  # the budget alone (growth: below)
    det.n_features_in_ = 20
    rows = det._chunk_rows(20)
    assert rows * det._scoring_row_bytes(20) <= pyod_aeplus.base.CHUNK_BYTES
    assert 1 <= rows <= rows_bound
    # However wide a row, a chunk holds at least one.
    assert det._chunk_rows(10 ** 9) == 1


@pytest.mark.parametrize("threads,rows", [(1, 512), (2, 512), (4, 341), (8, 170), (32, 170)])
def test_short_chunks_grow_only_while_few_are_in_flight(threads, rows):
    """AEPlus at 1,000 features: 170 rows fill CHUNK_BYTES; up to 512 while 256 MB in all allow."""
    det = pa.AEPlus()
    det.n_features_in_ = 1000
    row_bytes = det._scoring_row_bytes(1000)
    assert pyod_aeplus.base.CHUNK_BYTES // row_bytes == 170
    with torch_threads(threads):
        assert det._chunk_rows(1000) == rows
        in_flight = 2 * min(threads, pyod_aeplus._parallel.MAP_THREADS)
        assert rows * row_bytes * in_flight <= max(
            pyod_aeplus.base.IN_FLIGHT_BYTES, in_flight * pyod_aeplus.base.CHUNK_BYTES)
    # Narrow rows: chunks of CHUNK_BYTES are long already and stay as they are.
    det.n_features_in_ = 20
    with torch_threads(threads):
        assert det._chunk_rows(20) == pyod_aeplus.base.CHUNK_BYTES // det._scoring_row_bytes(20)


@pytest.mark.slow  # 60,000 rows through 64 members
def test_chunk_budget_bounds_the_memory_scoring_takes():
    from pyod_aeplus.benchmark.runner import PeakMemory

    X = np.random.default_rng(0).normal(size=(300, 20)).astype(np.float32)
    det = pa.AEPlus(n_estimators=64, epochs=1, random_state=0, device="cpu").fit(X)
    rows = np.random.default_rng(1).normal(size=(60_000, 20)).astype(np.float32)  # 5 MB
    det.decision_function(rows[:10])
    with PeakMemory() as memory:
        det.decision_function(rows)
    # 64 members' reconstructions of 60,000 rows alone would be 300 MB; a
    # chunk's work is budgeted to CHUNK_BYTES (16 MB), with temporaries and
    # the allocator's slack on top.
    assert memory.peak_mb < 100


def test_a_network_too_large_for_memory_is_refused_before_it_is_allocated(monkeypatch):
    X = np.random.default_rng(0).normal(size=(10, 2000))
    monkeypatch.setattr(pyod_aeplus.base, "available_memory", lambda device: 2 ** 30)
    det = pa.AEPlus(n_estimators=2000, hidden_size=64, random_state=0)
    # 2000 members x (2000 x 64 x 2) weights: 512 M parameters, 14 GiB to train.
    with pytest.raises(ValueError, match=r"more than [\d,]+ parameters, which needs more than "
                                         r"[\d.]+ GiB to train, and 1.0 GiB of memory is free; "
                                         r"lower hidden_size and code_size \(as ints\), or "
                                         r"n_estimators"):
        det.fit(X)
    assert not hasattr(det, "module_")
    # The same network within the memory there is: built and trained.
    pa.AEPlus(n_estimators=2, hidden_size=64, epochs=1, random_state=0).fit(X)


def test_training_data_goes_to_the_gpu_only_within_half_its_free_memory(monkeypatch):
    X = np.zeros((1000, 8))  # 32,000 bytes as float32
    cuda = torch.device("cuda")
    assert pa.BaseAutoEncoder._fits_on_device(X, torch.device("cpu"))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (64_002, 10 ** 9))
    assert pa.BaseAutoEncoder._fits_on_device(X, cuda)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (64_000, 10 ** 9))
    assert not pa.BaseAutoEncoder._fits_on_device(X, cuda)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_streamed_fit_equals_resident_fit(make_detector, monkeypatch):
    """Training data kept in host memory and sent batch by batch trains as on the GPU."""
    X = np.random.default_rng(1).normal(size=(300, 5))
    # Eager steps both ways (graphs need the data on the GPU): only where X lives differs.
    monkeypatch.setattr(pyod_aeplus.training, "CUDA_GRAPHS", False)
    homes = []
    train_module = pyod_aeplus.base.train_module

    def recording(module, X, **kwargs):
        homes.append(X.device.type)
        return train_module(module, X, **kwargs)

    monkeypatch.setattr(pyod_aeplus.base, "train_module", recording)
    resident = make_detector(device="cuda").fit(X)
    monkeypatch.setattr(pa.BaseAutoEncoder, "_fits_on_device", staticmethod(lambda X, d: False))
    streamed = make_detector(device="cuda").fit(X)
    assert homes == ["cuda", "cpu"]
    np.testing.assert_array_equal(streamed.decision_scores_, resident.decision_scores_)


@pytest.mark.slow  # writes and scores a 51 MB memmap
def test_memmap_scoring_memory_stays_bounded(tmp_path):
    from pyod_aeplus.benchmark.runner import PeakMemory

    rows, cols = 400_000, 32
    data = np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=np.float32,
                                     shape=(rows, cols))
    rng = np.random.default_rng(0)
    for lo in range(0, rows, 100_000):
        data[lo:lo + 100_000] = rng.normal(size=(100_000, cols))
    data.flush()
    # On the CPU: host memory is what this measures (on a GPU, CUDA's lazy
    # loading of kernels adds host memory that has nothing to do with X).
    det = pa.DenseAE(epochs=1, random_state=0, device="cpu").fit(data[:2000])
    mapped = np.load(tmp_path / "big.npy", mmap_mode="r")
    with PeakMemory() as memory:
        scores = det.decision_function(mapped)
    assert scores.shape == (rows,) and np.isfinite(scores).all()
    # The input is 51 MB; a copy in float64 would be 102 MB more. Chunks keep
    # the working set small (the output itself is 3 MB).
    assert memory.peak_mb < 80 + rows * cols * 4 / 2 ** 20


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_memory_while_scoring_stays_bounded():
    X = np.random.default_rng(0).normal(size=(400_000, 32)).astype(np.float32)  # 49 MB
    det = pa.DenseAE(epochs=1, random_state=0, device="cuda").fit(X[:2000])
    torch.cuda.synchronize()
    start = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    scores = det.decision_function(X)
    assert np.isfinite(scores).all()
    # Chunks of 2**20 values (4 MB) and their activations, never all of X.
    assert (torch.cuda.max_memory_allocated() - start) / 2 ** 20 < 48


def test_cpu_training_replays_no_cuda_graphs(monkeypatch):
    """On a CPU every step runs eagerly, with CUDA graphs allowed, and the history says so."""
    captured = []
    monkeypatch.setattr(pyod_aeplus.training, "CUDA_GRAPHS", True)
    monkeypatch.setattr(pyod_aeplus.training, "GraphedSteps", lambda *args: captured.append(args))
    # tanh: no hand-written step, which would rule graphs out whatever the device.
    det = pa.DenseAE(activation="tanh", epochs=2, random_state=0, device="cpu").fit(np.eye(40))
    assert captured == []
    assert det.history_["cuda_graphs"] is False


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_repeated_cuda_fits_leave_no_gpu_memory_behind():
    X = np.random.default_rng(5).normal(size=(5000, 16))

    def fit():
        pa.DeepAE(epochs=2, device="cuda", random_state=0).fit(X)

    fit()  # the first fits create what every later one reuses (streams, workspaces)
    fit()
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    for _ in range(3):
        fit()
    torch.cuda.synchronize()
    assert torch.cuda.memory_allocated() - before < 2 ** 20


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graph_steps_train_as_eager_steps_do(monkeypatch):
    X = np.random.default_rng(4).normal(size=(1000, 8))

    def fit():
        return pa.DenseAE(epochs=3, batch_size=64, random_state=0, device="cuda").fit(X)

    graphed = fit()
    assert graphed.history_["cuda_graphs"] is True
    monkeypatch.setattr(pyod_aeplus.training, "CUDA_GRAPHS", False)
    eager = fit()
    assert eager.history_["cuda_graphs"] is False
    np.testing.assert_allclose(graphed.history_["loss"], eager.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(graphed.decision_scores_, eager.decision_scores_,
                               rtol=1e-5, atol=1e-7)


@pytest.mark.slow  # starts a cluster of two worker processes
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dask_array_scoring_on_a_real_local_cluster(fitted):
    distributed = pytest.importorskip("distributed")
    import dask.array as da

    from pyod_aeplus.distributed import score_dask_array

    X, det = fitted
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        lazy = score_dask_array(det, da.from_array(X, chunks=(300, 3)))
        scores = lazy.compute()
        labels = score_dask_array(det, da.from_array(X, chunks=(500, 6)), "predict").compute()
    np.testing.assert_allclose(scores, det.decision_function(X), rtol=1e-6)
    np.testing.assert_array_equal(labels, det.predict(X))
    with pytest.raises(ValueError, match="X has 5 features, but the detector expects 6"):
        score_dask_array(det, da.zeros((10, 5)))


def test_training_leaves_the_thread_count_as_it_was():
    from pyod_aeplus.training import cpu_threads_for

    caller = torch.get_num_threads()
    before = 3  # the caller's setting, whatever the machine has
    torch.set_num_threads(before)
    try:
        pa.DenseAE(epochs=2, random_state=0).fit(np.random.default_rng(0).normal(size=(100, 4)))
        assert torch.get_num_threads() == before
        small = torch.nn.Linear(4, 4)
        with cpu_threads_for(small, 32, torch.device("cpu")):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == before
        big = torch.nn.Linear(4096, 4096)  # 16M parameters: worth every thread
        with cpu_threads_for(big, 256, torch.device("cpu")):
            assert torch.get_num_threads() == before
        with pytest.raises(RuntimeError, match="interrupted"):
            with cpu_threads_for(small, 32, torch.device("cpu")):
                raise RuntimeError("interrupted")
        assert torch.get_num_threads() == before
    finally:
        torch.set_num_threads(caller)


def test_flat_parameters_train_as_separate_tensors_would_and_give_storage_back():
    from pyod_aeplus.training import FlatAdamW, clip_grad_norm_, flat_parameters

    torch.manual_seed(0)
    # (No bias before a batch norm here: its gradient is rounding noise, which
    # Adam's normalisation would blow up into a difference.)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 4))
    twin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 4))
    twin.load_state_dict(net.state_dict())
    x = torch.randn(16, 4)
    # Reference: torch's AdamW and clipping over the separate parameter tensors.
    reference = torch.optim.AdamW(twin.parameters(), lr=1e-2, weight_decay=1e-3)
    for _ in range(5):
        reference.zero_grad()
        ((twin(x) - x) ** 2).mean().backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.1)
        reference.step()
    with flat_parameters(net) as (flat, grad):
        assert flat.numel() == sum(p.numel() for p in net.parameters())
        optimizer = FlatAdamW(flat, grad, 1e-2, 1e-3)
        for _ in range(5):
            grad.zero_()
            ((net(x) - x) ** 2).mean().backward()
            clip_grad_norm_(grad, 0.1)
            optimizer.step()
        assert grad.abs().sum() > 0  # the gradients landed in the flat buffer
    for p, q in zip(net.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
        assert p.grad is None
        assert p.untyped_storage().nbytes() == p.numel() * p.element_size()  # own storage again
    with pytest.raises(ValueError, match="no trainable parameters"):
        with flat_parameters(torch.nn.ReLU()):
            pass


def test_mixed_precision_trains_under_bf16_autocast_and_scores_in_float32():
    X = np.random.default_rng(2).normal(size=(400, 6))
    full = pa.DenseAE(epochs=3, random_state=0).fit(X)
    mixed = pa.DenseAE(epochs=3, random_state=0, mixed_precision=True).fit(X)
    # bf16 products change the losses a little, not the training.
    assert mixed.history_["loss"] != full.history_["loss"]
    np.testing.assert_allclose(mixed.history_["loss"], full.history_["loss"], rtol=0.02)
    scores = mixed.decision_function(X)
    assert scores.dtype == np.float64 and np.isfinite(scores).all()
    assert np.corrcoef(scores, full.decision_function(X))[0, 1] > 0.99
    np.testing.assert_array_equal(mixed.decision_function(X), scores)  # float32 scoring repeats


@pytest.mark.slow  # torch.compile compiles C++ kernels
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own, on importing dynamo
@pytest.mark.skipif(shutil.which("c++") is None and shutil.which("g++") is None,
                    reason="torch.compile on a CPU needs a C++ compiler")
def test_compiled_training_gives_the_eager_scores():
    X = np.random.default_rng(3).normal(size=(300, 5))
    eager = pa.DenseAE(epochs=2, random_state=0).fit(X)
    compiled = pa.DenseAE(epochs=2, random_state=0, compile=True).fit(X)
    np.testing.assert_allclose(compiled.decision_scores_, eager.decision_scores_,
                               rtol=1e-4, atol=1e-6)
    assert type(compiled.module_) is type(eager.module_)  # the plain network is kept
    pickle.loads(pickle.dumps(compiled))


def _relu_mlp(seed, dropout=0.2):
    from pyod_aeplus.nn import MLPAutoEncoder

    torch.manual_seed(seed)
    return MLPAutoEncoder(7, (16, 5), "relu", dropout=dropout, batch_norm=True)


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_hand_written_step_trains_as_autograd_does(loss):
    from pyod_aeplus.nn import reconstruction_step, relu_blocks
    from pyod_aeplus.training import train_module

    X = torch.randn(200, 7, generator=torch.Generator().manual_seed(0)) * 2 + 1
    nets, calls = [], [0]
    for fused in (False, True):
        net = _relu_mlp(0)
        step = functools.partial(reconstruction_step, relu_blocks(net), loss=loss)

        def counted(rows, step=step):
            calls[0] += 1
            return step(rows)
        def row_loss(x, net=net):
            diff = net(x)[0] - x
            return (diff.square() if loss == "mse" else diff.abs()).mean(dim=1)
        torch.manual_seed(1)  # the dropout masks
        train_module(net, X, row_loss_fn=row_loss, reduce_fn=torch.mean, epochs=3,
                     batch_size=32, lr=1e-2, weight_decay=1e-4, validation_fraction=0.0,
                     early_stopping=False, patience=1, gradient_clip=1.0,
                     generator=torch.Generator().manual_seed(2),
                     fused_step=counted if fused else None)
        nets.append(net)
    assert calls == [3 * 7]  # every step of 3 epochs of 7 batches went through it
    reference, fused = nets
    # A linear layer's bias before a batch norm has a gradient of zero plus
    # rounding, which Adam's normalisation turns into steps of size lr in
    # either direction; batch norm cancels the bias in training and its
    # running mean absorbs it in eval (with a lag). So those two differ, and
    # the training-mode outputs (same dropout masks) do not.
    noise = {"encoder.0.0.bias", "encoder.0.1.running_mean", "encoder.1.0.bias",
             "encoder.1.1.running_mean", "decoder.0.0.bias", "decoder.0.1.running_mean"}
    checked = 0
    for (name, a), b in zip(reference.state_dict().items(), fused.state_dict().values()):
        if name not in noise:
            # Same arithmetic, possibly summed in another order: rounding only.
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5, msg=name)
            checked += 1
    assert checked == len(reference.state_dict()) - len(noise)
    outputs = []
    for net in (reference, fused):
        torch.manual_seed(3)
        with torch.no_grad():
            outputs.append(net.train()(X)[0])
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-4, atol=1e-5)
    assert not torch.equal(reference.state_dict()["encoder.0.0.weight"],
                           _relu_mlp(0).state_dict()["encoder.0.0.weight"])  # it trained


def test_hand_written_step_is_used_only_where_it_computes_the_same_loss():
    from pyod_aeplus.nn import MLPAutoEncoder, relu_blocks

    assert relu_blocks(_relu_mlp(0)) is not None
    assert relu_blocks(MLPAutoEncoder(7, (16, 5), "tanh")) is None
    assert relu_blocks(torch.nn.Linear(3, 3)) is None
    X = np.random.default_rng(0).normal(size=(64, 5))
    cpu = torch.device("cpu")

    def step(det):
        det.n_features_in_ = X.shape[1]
        return det._fused_step(det._build_module(), cpu)

    assert step(pa.DeepAE(batch_norm=True, dropout=0.2)) is not None
    assert step(pa.DenseAE()) is not None
    assert step(pa.DenseAE(activation="tanh")) is None
    assert step(pa.DeepAE(mixed_precision=True)) is None
    assert step(pa.SparseAE()) is None  # its loss adds the activity penalty
    assert step(pa.DenoisingAE()) is None  # it corrupts the input first
    assert pa.DeepAE()._fused_step(_relu_mlp(0), torch.device("meta")) is None  # CPU only


def test_dropout_keeps_the_expected_share_and_scales_it():
    from pyod_aeplus.nn import Dropout

    layer = Dropout(0.25)
    torch.manual_seed(0)
    out = layer(torch.ones(400, 500))
    assert out.unique().tolist() == [0.0, pytest.approx(4.0 / 3.0)]
    assert (out > 0).float().mean().item() == pytest.approx(0.75, abs=0.005)
    x = torch.randn(3, 4)
    assert layer.eval()(x) is x
    assert Dropout(0.0).train()(x) is x
