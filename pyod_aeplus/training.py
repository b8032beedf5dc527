"""The one training loop every detector uses.

The data arrives already scaled and resident on the device. Batches are
slices of a shuffled index (no DataLoader, no per-sample Python work), and
the loss is read back to the host once per epoch, not once per step.
"""

import math
import time
from contextlib import contextmanager

import torch
from tqdm.auto import tqdm


# Below this many floating-point operations per step, one CPU thread is
# faster than several: the threads' hand-off costs more than the work (the
# 64-32 network at batch 32 took 0.75 ms per step on 1 thread, 1.1-1.8 ms on 2).
SINGLE_THREAD_FLOPS = 1e8

# The 'auto' training budget: at most MAX_EPOCHS passes over the rows (more
# memorise small contaminated sets: AEPlus on 45_wine, ROC-AUC 0.82 after 100
# epochs against 0.92 with this budget, benchmarks/results/ablation/) and about
# MAX_STEPS optimiser steps on large sets.
MAX_EPOCHS, MAX_STEPS = 30, 3000

# Replay training steps from CUDA graphs on a GPU (see GraphedSteps). A switch
# for the whole process: benchmarks turn it off to measure eager steps, and a
# user can if a capture ever misbehaves.
CUDA_GRAPHS = True


def auto_epochs(n_rows, batch_size, max_steps=MAX_STEPS):
    """Epochs of the 'auto' budget for ``n_rows`` rows in batches of ``batch_size``.

    At most ``MAX_EPOCHS``, and no more than it takes to reach about
    ``max_steps`` optimiser steps.
    """
    steps_per_epoch = math.ceil(n_rows / batch_size)
    return int(min(MAX_EPOCHS, math.ceil(max_steps / steps_per_epoch)))


@contextmanager
def cpu_threads_for(module, batch_size, device):
    """Train a small network on one CPU thread; restore the thread count afterwards."""
    n_params = sum(p.numel() for p in module.parameters())
    small = device.type == "cpu" and 6 * batch_size * n_params < SINGLE_THREAD_FLOPS
    previous = torch.get_num_threads()
    if small and previous > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


def kept_rows(n_rows, trim):
    """Rows a trimmed loss keeps of ``n_rows``: all but the ``floor(trim · n_rows)`` worst, >= 1."""
    return max(1, n_rows - int(math.floor(trim * n_rows)))


def trimmed_mean(row_losses, trim):
    """Mean of ``row_losses`` along its last axis, without the ``floor(trim · rows)`` largest.

    The trimmed loss of robust autoencoders: the rows a network fits worst in
    a batch (anomalies among the training rows, at about the expected
    contamination) do not pull it towards themselves, and so stay poorly
    reconstructed, which is what scores them.
    """
    n_rows = row_losses.shape[-1]
    keep = kept_rows(n_rows, trim)
    if keep == n_rows:
        return row_losses.mean()
    return torch.topk(row_losses, keep, dim=-1, largest=False).values.mean()


def split_validation(n_rows, validation_fraction, generator):
    """Return ``(train_index, val_index)``; ``val_index`` is None when too few rows.

    A validation split needs at least one validation row and two training rows.
    """
    n_val = int(math.floor(n_rows * validation_fraction))
    order = torch.randperm(n_rows, generator=generator)
    if n_val < 1 or n_rows - n_val < 2:
        return order, None
    return order[n_val:], order[:n_val]


def batch_bounds(n_rows, batch_size):
    """Slice bounds of ``ceil(n / batch_size)`` batches of (almost) equal size.

    Equal sizes avoid a final batch of a single row, which batch
    normalisation cannot train on, and give every step a similar weight.
    """
    n_batches = max(1, math.ceil(n_rows / batch_size))
    edges = [round(i * n_rows / n_batches) for i in range(n_batches + 1)]
    return list(zip(edges[:-1], edges[1:]))


@contextmanager
def flat_parameters(module):
    """Lay the trainable parameters and their gradients out in one flat tensor each.

    Yields ``(flat, flat_grad)``: every parameter (and its ``.grad``) is a view
    of them while the context is open, so the optimiser, gradient clipping and
    zeroing are one operation each instead of one per parameter tensor (with
    a batch of 32 that per-tensor work was 12 % of a CPU step). Autograd adds
    each gradient into its view in place. On exit every parameter gets its own
    storage back (state dicts and pickles are as without the context).
    """
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the network has no trainable parameters")
    dtype, device = params[0].dtype, params[0].device
    if any(p.dtype != dtype or p.device != device for p in params):
        raise ValueError("flat_parameters needs all parameters on one device and dtype")
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    flat_grad = torch.zeros_like(flat)
    offset = 0
    for p in params:
        n = p.numel()
        p.data = flat[offset:offset + n].view_as(p)
        p.grad = flat_grad[offset:offset + n].view_as(p)
        offset += n
    try:
        yield flat, flat_grad
    finally:
        for p in params:
            p.data = p.data.clone()
            p.grad = None


class FlatAdamW:
    """AdamW (Loshchilov & Hutter) on one flat parameter tensor, in a few tensor operations.

    The same update as ``torch.optim.AdamW`` with its defaults (no amsgrad),
    without its per-step Python work: on a CPU at batch 32 ``Optimizer.step``
    spent about 50 µs in Python around an 8 µs fused kernel, more than this
    whole update takes.

    Parameters
    ----------
    params, grad : torch.Tensor
        The flat parameters (updated in place) and their flat gradient.
    lr, weight_decay : float
    betas : (float, float), default=(0.9, 0.999)
    eps : float, default=1e-8
    """

    def __init__(self, params, grad, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.grad = params, grad
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.exp_avg = torch.zeros_like(params)
        self.exp_avg_sq = torch.zeros_like(params)
        self._denom = torch.empty_like(params)
        self.steps = 0
        # On a GPU the step count lives on the device, so that a step can be
        # captured in a CUDA graph and replayed (a Python count would be frozen
        # into the graph); on a CPU it stays a Python number (cheaper there).
        self._device_steps = torch.zeros((), device=params.device) if params.is_cuda else None

    @torch.no_grad()
    def step(self):
        self.steps += 1
        beta1, beta2 = self.betas
        if self.weight_decay:
            self.params.mul_(1 - self.lr * self.weight_decay)
        self.exp_avg.lerp_(self.grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(self.grad, self.grad, value=1 - beta2)
        if self._device_steps is not None:
            self._device_steps += 1
            correction1 = 1 - torch.pow(beta1, self._device_steps)
            correction2 = 1 - torch.pow(beta2, self._device_steps)
            torch.sqrt(self.exp_avg_sq, out=self._denom).div_(correction2.sqrt_()).add_(self.eps)
            self.params.addcdiv_(self.exp_avg, self._denom.mul_(correction1), value=-self.lr)
            return
        # Bias corrections are Python floats: nothing is read back from the device.
        correction1, correction2 = 1 - beta1 ** self.steps, 1 - beta2 ** self.steps
        torch.sqrt(self.exp_avg_sq, out=self._denom).div_(math.sqrt(correction2)).add_(self.eps)
        self.params.addcdiv_(self.exp_avg, self._denom, value=-self.lr / correction1)


def clip_grad_norm_(grad, max_norm):
    """Scale the flat gradient ``grad`` in place so its norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_`` for one tensor, in three operations
    and with no host synchronisation.
    """
    norm = torch.linalg.vector_norm(grad)
    grad.mul_((max_norm / (norm + 1e-6)).clamp_(max=1.0))


def _mean_loss(batch_loss, X, index, batch_size, device):
    """Mean of the reduced loss over ``X[index]`` in eval mode, as a device scalar."""
    total = torch.zeros((), device=device)
    with torch.no_grad():
        for lo, hi in batch_bounds(len(index), batch_size):
            rows = X[index[lo:hi]].to(device, non_blocking=True)
            total += batch_loss(rows) * (hi - lo)
    return total / len(index)


class GraphedSteps:
    """Training steps replayed from CUDA graphs: one launch a step instead of about ninety.

    On a GPU a small network's step is bound by kernel launches, not by the
    kernels, so an eager step can take longer than on a CPU; replayed, it
    takes one launch (the measurements are on the documentation's speed
    page). A step - gather the
    batch, forward, loss, backward, clipping, AdamW, the epoch's loss sum -
    is captured once per batch size (``batch_bounds`` gives at most two)
    after ``WARMUP`` eager steps of that size on a side stream (as PyTorch's
    whole-network capture recipe asks), then replayed with the batch's row
    indices copied into a static index tensor. Every step is a real training
    step; the eager and replayed steps compute the same function.

    ``run(index, n_rows)`` performs one step. If a capture fails (an operation
    that cannot be captured), it falls back to eager steps for the rest of
    training and ``captured`` stays False.
    """

    WARMUP = 2

    # One warm-up stream per device for the whole process: cuBLAS keeps a
    # workspace for every stream it has run on, for good; with a new stream
    # per fit, each fit left 65 MB more GPU memory allocated (an H100).
    _side_streams = {}

    def __init__(self, step, X, generators=()):
        self.step, self.X, self.generators = step, X, generators
        self.graphs, self.seen, self.pool = {}, {}, None
        self.enabled, self.captured = True, False
        device = X.device if X.device.index is not None else torch.device(
            "cuda", torch.cuda.current_device())
        if device not in self._side_streams:
            self._side_streams[device] = torch.cuda.Stream(device=device)
        self.side = self._side_streams[device]

    def run(self, index, n_rows):
        entry = self.graphs.get(n_rows)
        if entry is not None:
            graph, static_index = entry
            static_index.copy_(index)
            graph.replay()
            return
        if not self.enabled:
            self.step(self.X.index_select(0, index), n_rows)
            return
        self.seen[n_rows] = self.seen.get(n_rows, 0) + 1
        if self.seen[n_rows] <= self.WARMUP:
            main = torch.cuda.current_stream(self.X.device)
            self.side.wait_stream(main)
            with torch.cuda.stream(self.side):
                self.step(self.X.index_select(0, index), n_rows)
            main.wait_stream(self.side)
            return
        static_index = index.clone()
        graph = torch.cuda.CUDAGraph()
        try:
            # Generators the step draws from (noise, sampling, dropout: the
            # engine's device generator) must advance at each replay.
            register = getattr(graph, "register_generator_state", None)
            for generator in self.generators if register is not None else ():
                register(generator)
            with torch.cuda.graph(graph, pool=self.pool):
                self.step(self.X.index_select(0, static_index), n_rows)
        except Exception:  # noqa: BLE001 - any capture failure: train eagerly instead
            self.enabled = False
            self.step(self.X.index_select(0, index), n_rows)
            return
        self.pool = graph.pool()
        self.graphs[n_rows] = (graph, static_index)
        self.captured = True
        graph.replay()  # capturing ran nothing: this is the step


def train_module(module, X, *, row_loss_fn, reduce_fn, epochs, batch_size, lr,
                 weight_decay, validation_fraction, early_stopping, patience,
                 gradient_clip, generator, autocast_dtype=None, fused_step=None,
                 cuda_graphs=True, graph_generators=(), verbose=0, desc="fit"):
    """Train ``module`` in place on the device tensor ``X``.

    Parameters
    ----------
    module : torch.nn.Module
        The network, already on ``X.device``.
    X : torch.Tensor of shape (n_rows, n_features)
        Scaled training data, on the module's device, or in (pinned) host
        memory when it does not fit there: batches are then streamed over.
    row_loss_fn : callable
        ``row_loss_fn(batch) -> tensor (batch_rows,)``: the loss of each row.
    reduce_fn : callable
        ``reduce_fn(row_losses) -> scalar``: how a batch's row losses become
        the loss that is minimised (a mean, or a trimmed mean).
    generator : torch.Generator
        CPU generator for the split and the shuffles.
    autocast_dtype : torch.dtype or None
        Run the forward pass and loss under ``torch.autocast`` with this
        dtype (mixed precision); the reduced loss is taken in float32.
    fused_step : callable or None
        ``fused_step(batch) -> loss``: computes the training loss and *writes*
        the parameters' gradients itself (by hand, without autograd), in
        place of ``reduce_fn(row_loss_fn(batch))`` and ``backward``. It must
        compute the same loss; validation still uses ``row_loss_fn``.
    cuda_graphs : bool, default=True
        On a GPU, with the data resident there, replay training steps from
        CUDA graphs (:class:`GraphedSteps`), unless the module-level
        ``CUDA_GRAPHS`` is False.
    graph_generators : tuple of torch.Generator
        Device generators the loss draws from (noise, sampling, dropout), registered
        with each captured graph so that replays advance them.

    Returns
    -------
    history : dict
        ``loss`` and ``val_loss`` (per epoch; ``val_loss`` empty without a
        validation split), ``epoch_seconds`` (wall time of each epoch,
        validation included, read after the epoch's one host sync),
        ``best_epoch``, ``n_epochs`` and ``cuda_graphs`` (whether steps were
        replayed from CUDA graphs).
    """
    n_rows = X.shape[0]
    device = next(module.parameters()).device
    train_index, val_index = split_validation(n_rows, validation_fraction, generator)
    train_index = train_index.to(X.device)
    if val_index is not None:
        val_index = val_index.to(X.device)
    batch_size = min(batch_size, len(train_index))
    bounds = batch_bounds(len(train_index), batch_size)

    history = {"loss": [], "val_loss": [], "epoch_seconds": [], "best_epoch": 0, "n_epochs": 0}

    if device.type == "cuda":
        # Shuffle on the GPU: a host-side permutation of a million rows, and its
        # copy, would leave the device idle at the start of every epoch. Its
        # seed comes from the CPU generator, so a fit stays reproducible, and
        # resident and streamed data get the same order.
        shuffle_generator = torch.Generator(device=device).manual_seed(
            int(torch.randint(2 ** 62, (), generator=generator)))

        def shuffle(n):
            return torch.randperm(n, generator=shuffle_generator, device=device).to(X.device)
    else:
        def shuffle(n):
            return torch.randperm(n, generator=generator).to(X.device)

    def batch_loss(rows):
        if autocast_dtype is None:
            return reduce_fn(row_loss_fn(rows))
        # No cast cache: a graph capture must not keep casts from outside it.
        with torch.autocast(device.type, dtype=autocast_dtype, cache_enabled=False):
            row_losses = row_loss_fn(rows)
        return reduce_fn(row_losses.float())

    # Small networks train faster on one CPU thread (see SINGLE_THREAD_FLOPS).
    with cpu_threads_for(module, batch_size, device), flat_parameters(module) as (flat, grad):
        optimizer = FlatAdamW(flat, grad, lr, weight_decay)
        total = torch.zeros((), device=device)  # the epoch's summed loss, on the device

        def step(rows, n_rows):
            if fused_step is None:
                loss = batch_loss(rows)
                grad.zero_()  # the parameters' .grad are views of it: keep, don't drop
                loss.backward()
            else:
                loss = fused_step(rows)
            if gradient_clip is not None:
                clip_grad_norm_(grad, gradient_clip)
            optimizer.step()
            total.add_(loss.detach() * n_rows)

        graphed = None
        if (cuda_graphs and CUDA_GRAPHS and device.type == "cuda" and X.device == device
                and fused_step is None):
            graphed = GraphedSteps(step, X, graph_generators)
        best_loss, best_state, stale = math.inf, None, 0
        progress = tqdm(range(epochs), desc=desc, disable=not verbose, leave=False)
        for epoch in progress:
            started = time.perf_counter()
            module.train()
            perm = train_index[shuffle(len(train_index))]
            total.zero_()
            for lo, hi in bounds:
                if graphed is not None:
                    graphed.run(perm[lo:hi], hi - lo)
                    continue
                # index_select: about a quarter cheaper than X[index] for a small batch on a CPU.
                step(X.index_select(0, perm[lo:hi]).to(device, non_blocking=True), hi - lo)
            epoch_loss = (total / len(train_index)).item()  # the epoch's one host sync
            if not math.isfinite(epoch_loss):
                raise TrainingDivergedError(
                    f"training loss became {epoch_loss} in epoch {epoch + 1}; lower lr "
                    f"(now {lr}), keep gradient_clip on, or scale the input (preprocessing)"
                )
            history["loss"].append(epoch_loss)
            monitored = epoch_loss
            if val_index is not None:
                module.eval()
                monitored = _mean_loss(batch_loss, X, val_index, batch_size, device).item()
                history["val_loss"].append(monitored)
            history["epoch_seconds"].append(time.perf_counter() - started)
            history["n_epochs"] = epoch + 1
            if verbose:
                progress.set_postfix(loss=f"{epoch_loss:.4g}", val_loss=f"{monitored:.4g}")

            # Relative tolerance, so that noise in the last digits is no improvement.
            improved = math.isinf(best_loss) or monitored < best_loss - 1e-4 * abs(best_loss)
            if improved:
                best_loss, stale = monitored, 0
                history["best_epoch"] = epoch + 1
                if early_stopping:
                    best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            else:
                stale += 1
                if early_stopping and stale >= patience:
                    break
        progress.close()
        history["cuda_graphs"] = graphed is not None and graphed.captured
        del graphed  # release the graphs (and their memory pool) before anything else runs
        if best_state is not None:
            module.load_state_dict(best_state)
    module.eval()
    return history
