"""Many small autoencoders trained as one: batched weights, one forward pass for all."""

import math

import torch
from torch import nn

from .layers import make_activation


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
        return torch.baddbmm(self.bias, x, self.weight)


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
        # saved with them: no host-to-device copy per step.
        masks = torch.ones(n_members, n_features) if input_masks is None else \
            torch.tensor(input_masks, dtype=torch.float32)
        self.register_buffer("input_mask", masks.unsqueeze(1))  # (members, 1, features)
        # Members may use fewer than code_size code units: the rest are masked
        # to zero, so members of different widths still share one batched layer.
        widths = torch.full((n_members,), code_size) if code_widths is None else \
            torch.as_tensor(code_widths)
        mask = (torch.arange(code_size).unsqueeze(0) < widths.unsqueeze(1)).float()
        self.register_buffer("code_mask", mask.unsqueeze(1))  # (members, 1, code)
        self.encoder = nn.Sequential(
            BatchedLinear(n_members, n_features, hidden_size), make_activation(activation),
            BatchedLinear(n_members, hidden_size, code_size), make_activation(activation))
        self.decoder = nn.Sequential(
            BatchedLinear(n_members, code_size, hidden_size), make_activation(activation),
            BatchedLinear(n_members, hidden_size, n_features))

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(0) * self.input_mask
        code = self.encoder(x) * self.code_mask
        return self.decoder(code), code
