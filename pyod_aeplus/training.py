"""The one training loop every detector uses.

The data arrives already scaled and resident on the device. Batches are
slices of a shuffled index (no DataLoader, no per-sample Python work), and
the loss is read back to the host once per epoch, not once per step.
"""

import math
from contextlib import contextmanager

import torch
from tqdm.auto import tqdm


# Below this many floating-point operations per step, one CPU thread is
# faster than several: the threads' hand-off costs more than the work (the
# 64-32 network at batch 32 took 0.75 ms per step on 1 thread, 1.1-1.8 ms on 2).
SINGLE_THREAD_FLOPS = 1e8

# The 'auto' training budget: at most MAX_EPOCHS passes over the rows (more
# memorise small contaminated sets: AEPlus on 45_wine, ROC-AUC 0.75 after 100
# epochs against 0.80 with this budget, benchmarks/results/ablation/) and about
# MAX_STEPS optimiser steps on large sets.
MAX_EPOCHS, MAX_STEPS = 30, 3000


def auto_epochs(n_rows, batch_size):
    """Epochs of the 'auto' budget for ``n_rows`` rows in batches of ``batch_size``."""
    steps_per_epoch = math.ceil(n_rows / batch_size)
    return int(min(MAX_EPOCHS, math.ceil(MAX_STEPS / steps_per_epoch)))


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

    @torch.no_grad()
    def step(self):
        self.steps += 1
        beta1, beta2 = self.betas
        if self.weight_decay:
            self.params.mul_(1 - self.lr * self.weight_decay)
        self.exp_avg.lerp_(self.grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(self.grad, self.grad, value=1 - beta2)
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


def train_module(module, X, *, row_loss_fn, reduce_fn, epochs, batch_size, lr,
                 weight_decay, validation_fraction, early_stopping, patience,
                 gradient_clip, generator, autocast_dtype=None, fused_step=None, verbose=0,
                 desc="fit"):
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

    Returns
    -------
    history : dict
        ``loss`` and ``val_loss`` (per epoch; ``val_loss`` empty without a
        validation split), ``best_epoch`` and ``n_epochs``.
    """
    n_rows = X.shape[0]
    device = next(module.parameters()).device
    train_index, val_index = split_validation(n_rows, validation_fraction, generator)
    train_index = train_index.to(X.device)
    if val_index is not None:
        val_index = val_index.to(X.device)
    batch_size = min(batch_size, len(train_index))
    bounds = batch_bounds(len(train_index), batch_size)

    history = {"loss": [], "val_loss": [], "best_epoch": 0, "n_epochs": 0}

    def batch_loss(rows):
        if autocast_dtype is None:
            return reduce_fn(row_loss_fn(rows))
        with torch.autocast(device.type, dtype=autocast_dtype):
            row_losses = row_loss_fn(rows)
        return reduce_fn(row_losses.float())

    # Small networks train faster on one CPU thread (see SINGLE_THREAD_FLOPS).
    with cpu_threads_for(module, batch_size, device), flat_parameters(module) as (flat, grad):
        optimizer = FlatAdamW(flat, grad, lr, weight_decay)
        best_loss, best_state, stale = math.inf, None, 0
        progress = tqdm(range(epochs), desc=desc, disable=not verbose, leave=False)
        for epoch in progress:
            module.train()
            perm = train_index[torch.randperm(len(train_index), generator=generator).to(X.device)]
            total = torch.zeros((), device=device)
            for lo, hi in bounds:
                # index_select: about a quarter cheaper than X[index] for a small batch on a CPU.
                rows = X.index_select(0, perm[lo:hi]).to(device, non_blocking=True)
                if fused_step is None:
                    loss = batch_loss(rows)
                    grad.zero_()  # the parameters' .grad are views of it: keep, don't drop
                    loss.backward()
                else:
                    loss = fused_step(rows)
                if gradient_clip is not None:
                    clip_grad_norm_(grad, gradient_clip)
                optimizer.step()
                total += loss.detach() * (hi - lo)
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
        if best_state is not None:
            module.load_state_dict(best_state)
    module.eval()
    return history
