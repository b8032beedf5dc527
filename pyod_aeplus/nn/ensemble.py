"""Many small autoencoders trained as one: batched weights, one forward pass for all."""

import math

import numpy as np
import torch
from torch import nn

from ..training import kept_rows
from .layers import make_activation

# torch's CPU batched product takes a loop of its own below this many
# multiply-adds per member (rows × in × out).
TINY_PRODUCT = 400


class BatchedLinear(nn.Module):
    """``n_members`` independent linear layers applied to ``(members, rows, in)`` at once."""

    def __init__(self, n_members, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features))
        # nn.Linear's default initialisation, member by member.
        bound = 1.0 / math.sqrt(in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        # In place: the product is a fresh tensor, and the sum the same values
        # as ``+ self.bias`` without another tensor of its size.
        return self.product(x).add_(self.bias)

    def product(self, x):
        """``x`` times each member's weight, without the bias: ``(members, rows, out)``, fresh."""
        # Not baddbmm: with the bias fused in, a row's result depended (by an
        # ulp) on how many rows were multiplied with it.
        rows = x.shape[1]
        members, n_in, n_out = self.weight.shape
        if x.device.type == "cpu" and rows * n_in * n_out < TINY_PRODUCT:
            # torch multiplies products this small with a loop of its own,
            # which sums in another order than the matrix routine larger ones
            # go to: a row's result would depend on how many rows are scored
            # with it. Padded, every product goes to the same routine.
            padded = x.new_zeros((members, -(-TINY_PRODUCT // (n_in * n_out)), n_in))
            padded[:, :rows] = x
            return torch.bmm(padded, self.weight)[:, :rows]
        return torch.bmm(x, self.weight)


class EnsembleAutoEncoder(nn.Module):
    """``n_members`` autoencoders ``d → hidden → code → hidden → d`` side by side.

    ``forward`` takes rows ``(n, d)``, gives each member the features its
    ``input_masks`` row keeps (the others are zeroed), and returns
    ``(reconstruction, code)`` of shapes ``(members, n, d)`` and
    ``(members, n, code)``.
    """

    def __init__(self, n_features, n_members, hidden_size, code_size, activation="relu",
                 code_widths=None, input_masks=None):
        super().__init__()
        self.n_members = n_members
        # Buffers, so the masks live on the device with the weights and are
        # saved with them: no host-to-device copy per step. A copy, never a
        # view of the caller's array: a fitted array that shared memory with
        # the network could change its scores, and a read-only memmap of it
        # (joblib's mmap_mode) could not be loaded into it.
        masks = torch.ones(n_members, n_features) if input_masks is None else \
            torch.tensor(input_masks, dtype=torch.float32)
        self.register_buffer("input_mask", masks.unsqueeze(1))  # (members, 1, features)
        # When every member sees every feature, the members share their input:
        # the first layer is then one matrix product for all of them.
        self.shared_input = input_masks is None or bool(np.all(np.asarray(input_masks) == 1))
        # Members may use fewer than code_size code units: the rest are masked
        # to zero, so members of different widths still share one batched layer.
        widths = torch.full((n_members,), code_size) if code_widths is None else \
            torch.as_tensor(code_widths)
        mask = (torch.arange(code_size).unsqueeze(0) < widths.unsqueeze(1)).float()
        self.register_buffer("code_mask", mask.unsqueeze(1))  # (members, 1, code)
        self.activation = activation
        self.encoder = nn.Sequential(
            BatchedLinear(n_members, n_features, hidden_size), make_activation(activation),
            BatchedLinear(n_members, hidden_size, code_size), make_activation(activation))
        self.decoder = nn.Sequential(
            BatchedLinear(n_members, code_size, hidden_size), make_activation(activation),
            BatchedLinear(n_members, hidden_size, n_features))

    def _first_layer(self, x):
        """The first layer's pre-activation for rows ``x`` ``(n, d)``: ``(members, n, hidden)``."""
        layer = self.encoder[0]
        if not self.shared_input:
            return layer(x.unsqueeze(0) * self.input_mask)
        members, d, hidden = layer.weight.shape
        weight = layer.weight.permute(1, 0, 2).reshape(d, members * hidden)
        out = torch.addmm(layer.bias.reshape(1, members * hidden), x, weight)
        return out.view(x.shape[0], members, hidden).transpose(0, 1)

    def forward(self, x):
        hidden, code = self.last_hidden(x)
        return self.decoder[2](hidden), code

    def last_hidden(self, x):
        """The decoder's last hidden layer ``(members, n, hidden)`` and the code.

        The reconstruction is ``self.decoder[2]`` of the first: ``forward``
        without its last layer, for a caller that works on the product.
        """
        if x.dim() == 2 and self._block_diagonal():
            return self._last_hidden_block_diagonal(x)
        if x.dim() == 2:
            hidden = self.encoder[1](self._first_layer(x))
        else:
            hidden = self.encoder[1](self.encoder[0](x * self.input_mask))
        code = self.encoder[3](self.encoder[2](hidden)) * self.code_mask
        return self.decoder[1](self.decoder[0](code)), code

    def _block_diagonal(self):
        # Scoring (no gradients) a few members: the two small middle layers as
        # one block-diagonal matrix product each. Batched products of such
        # small matrices (16 x 2 per member) are slow on a CPU; the block-
        # diagonal one does members² as much arithmetic, which is cheap for a
        # few members.
        return not torch.is_grad_enabled() and self.n_members <= 16

    def _activate(self, layer, x):
        # Without gradients a ReLU works in place: every input here is a
        # fresh product, and its size's allocation costs more than the ReLU.
        return x.relu_() if isinstance(layer, nn.ReLU) else layer(x)

    def _last_hidden_block_diagonal(self, x):
        members = self.n_members
        code_layer, expand_layer = self.encoder[2], self.decoder[0]
        n_code = code_layer.weight.shape[2]
        hidden = self._activate(self.encoder[1], self._first_layer(x))
        hidden = hidden.transpose(0, 1).reshape(x.shape[0], -1)
        code = torch.addmm(code_layer.bias.reshape(1, -1), hidden,
                           torch.block_diag(*code_layer.weight))
        code = self._activate(self.encoder[3], code).mul_(self.code_mask.reshape(1, -1))
        hidden = torch.addmm(expand_layer.bias.reshape(1, -1), code,
                             torch.block_diag(*expand_layer.weight))
        hidden = self._activate(self.decoder[1], hidden).view(x.shape[0], members, -1)
        return hidden.transpose(0, 1), code.view(x.shape[0], members, n_code).transpose(0, 1)


def ensemble_relu_layers(module):
    """The four :class:`BatchedLinear` layers of a ReLU :class:`EnsembleAutoEncoder`, else None."""
    if not isinstance(module, EnsembleAutoEncoder) or module.activation != "relu":
        return None
    return module.encoder[0], module.encoder[2], module.decoder[0], module.decoder[2]


@torch.no_grad()
def ensemble_step(module, x, *, trim, loss="mse"):
    """One training step's trimmed loss and gradients for an ensemble, without autograd.

    Computes the loss AEPlus minimises - each member's per-row mean error
    over the features it sees, the ``floor(trim · rows)`` largest left out
    member by member, the rest averaged - and *writes* every parameter's
    gradient into its ``.grad``. ``x`` holds the (clipped) rows, which are
    both the input and the target.

    Two exact ways of computing the same function (autograd's gradients up
    to rounding), chosen for speed on a CPU:

    - when the members share their input, the loss is the squared error and
      the data is wide, the error is expanded as ``|x|² - 2 x·r + |r|²``
      with ``r = h W + b``: every product with ``d`` then is one large
      matrix product over all members, and the ``(members, rows, d)``
      reconstructions are never formed (2-3 times faster than materialising
      them at 512 features);
    - otherwise the reconstructions are formed and the backward pass is
      written out layer by layer (autograd's per-node bookkeeping costs more
      than the arithmetic of networks this small).

    Returns the loss, a 0-dim tensor (not read back to the host).
    """
    first, second, third, last = ensemble_relu_layers(module)
    members, d, hidden = first.weight.shape
    n = x.shape[0]
    keep = kept_rows(n, trim)
    shared = module.shared_input
    pre1 = module._first_layer(x)  # (M, n, H)
    h1 = pre1.relu()
    pre2 = torch.baddbmm(second.bias, h1, second.weight)
    h2 = pre2.relu().mul_(module.code_mask)
    pre3 = torch.baddbmm(third.bias, h2, third.weight)
    h3 = pre3.relu()  # (M, n, H)
    weight4, bias4 = last.weight, last.bias  # (M, H, d), (M, 1, d)
    gram = shared and loss == "mse" and d >= 4 * hidden
    if gram:
        # |x - r|² = |x|² - 2 (x W^T)·h - 2 x·b + h G h + 2 h·(W b) + |b|², G = W W^T.
        projected = torch.mm(x, weight4.permute(2, 0, 1).reshape(d, members * hidden))
        projected = projected.view(n, members, hidden).transpose(0, 1)  # (M, n, H)
        gram_matrix = torch.bmm(weight4, weight4.transpose(1, 2))  # (M, H, H)
        weight_bias = torch.bmm(weight4, bias4.transpose(1, 2))  # (M, H, 1)
        x_bias = torch.mm(bias4.squeeze(1), x.t())  # (M, n)
        h_gram = torch.bmm(h3, gram_matrix)  # (M, n, H)
        squared = (x.square().sum(dim=1) - 2 * (projected * h3).sum(dim=2) - 2 * x_bias
                   + (h_gram * h3).sum(dim=2) + 2 * torch.bmm(h3, weight_bias).squeeze(2)
                   + bias4.square().sum(dim=2))
        row_loss = squared / d  # (M, n)
    else:
        diff = torch.baddbmm(bias4, h3, weight4).sub_(x)  # (M, n, d)
        if not shared:
            diff.mul_(module.input_mask)
        seen = module.input_mask.sum(dim=2)  # (M, 1)
        row_loss = (diff.square() if loss == "mse" else diff.abs()).sum(dim=2) / seen
    values, kept = torch.topk(row_loss, keep, dim=1, largest=False, sorted=False)
    # d(loss)/d(row loss): 1 / (members · keep) for every kept row, 0 for the others.
    weights = torch.zeros_like(row_loss).scatter_(1, kept, 1.0 / (members * keep))
    if gram:
        weights.mul_(2.0 / d)
        weighted_h = h3 * weights.unsqueeze(2)  # D h
        hdh = torch.bmm(h3.transpose(1, 2), weighted_h)  # (M, H, H)
        h_weights = weighted_h.sum(dim=1).unsqueeze(2)  # (M, H, 1)
        # dW = (hᵀ D h) W + (hᵀ w) b - (D h)ᵀ x, the last for all members in one product.
        torch.baddbmm(h_weights * bias4, hdh, weight4, out=last.weight.grad)
        last.weight.grad.sub_(torch.mm(weighted_h.transpose(0, 1).reshape(n, members * hidden).t(),
                                       x).view(members, hidden, d))
        # db = (wᵀ h) W + (Σ w) b - wᵀ x
        torch.bmm(h_weights.transpose(1, 2), weight4, out=last.bias.grad)
        last.bias.grad.add_(weights.sum(dim=1).view(members, 1, 1) * bias4)
        last.bias.grad.sub_(torch.mm(weights, x).unsqueeze(1))
        grad = (h_gram + weight_bias.transpose(1, 2) - projected).mul_(weights.unsqueeze(2))
    else:
        seen_weights = weights / seen  # (M, n)
        grad = (diff.mul_(2.0) if loss == "mse" else diff.sign_())
        grad.mul_(seen_weights.unsqueeze(2))  # diff is masked already
        torch.bmm(h3.transpose(1, 2), grad, out=last.weight.grad)
        torch.sum(grad, dim=1, keepdim=True, out=last.bias.grad)
        grad = torch.bmm(grad, weight4.transpose(1, 2))
    grad.mul_(pre3 > 0)
    torch.bmm(h2.transpose(1, 2), grad, out=third.weight.grad)
    torch.sum(grad, dim=1, keepdim=True, out=third.bias.grad)
    grad = torch.bmm(grad, third.weight.transpose(1, 2)).mul_(pre2 > 0).mul_(module.code_mask)
    torch.bmm(h1.transpose(1, 2), grad, out=second.weight.grad)
    torch.sum(grad, dim=1, keepdim=True, out=second.bias.grad)
    grad = torch.bmm(grad, second.weight.transpose(1, 2)).mul_(pre1 > 0)  # (M, n, H)
    torch.sum(grad, dim=1, keepdim=True, out=first.bias.grad)
    if shared:
        flat = grad.transpose(0, 1).reshape(n, members * hidden)
        first.weight.grad.copy_(torch.mm(x.t(), flat).view(d, members, hidden).permute(1, 0, 2))
    else:
        torch.bmm((x.unsqueeze(0) * module.input_mask).transpose(1, 2), grad,
                  out=first.weight.grad)
    return values.sum() / (members * keep)
