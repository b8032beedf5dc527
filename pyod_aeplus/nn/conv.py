"""Convolutional autoencoder for sequences (1-D) and images (2-D)."""

import math

import torch.nn.functional as F
from torch import nn

from .layers import make_activation


class ConvAutoEncoder(nn.Module):
    """Strided convolutions down to a dense code, transposed convolutions back up.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, length)`` or ``(channels, height, width)``.
    channels : sequence of int
        Output channels of each strided convolution; each halves every spatial size.
    code_size : int
        Width of the dense code between encoder and decoder.
    kernel_size : int
        Odd kernel size of every convolution.
    activation : str
        Activation name.
    """

    def __init__(self, input_shape, channels=(16, 32), code_size=32, kernel_size=3,
                 activation="relu"):
        super().__init__()
        in_channels, *spatial = (int(s) for s in input_shape)
        self.input_shape = (in_channels, *spatial)
        self.ndim = len(spatial)
        conv, deconv = (nn.Conv1d, nn.ConvTranspose1d) if self.ndim == 1 else (
            nn.Conv2d, nn.ConvTranspose2d)
        factor = 2 ** len(channels)
        # Every spatial size is padded up to a multiple of 2**depth so that the
        # transposed convolutions land exactly on the padded size; the
        # reconstruction is cropped back afterwards.
        self.padded = tuple(math.ceil(s / factor) * factor for s in spatial)
        self.bottom = (int(channels[-1]), *(s // factor for s in self.padded))
        pad = kernel_size // 2

        widths = [in_channels, *map(int, channels)]
        down = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            down += [conv(c_in, c_out, kernel_size, stride=2, padding=pad),
                     make_activation(activation)]
        flat = math.prod(self.bottom)
        self.encoder = nn.Sequential(*down, nn.Flatten(), nn.Linear(flat, code_size),
                                     make_activation(activation))
        up = []
        rev = widths[::-1]
        for i, (c_in, c_out) in enumerate(zip(rev[:-1], rev[1:])):
            up.append(deconv(c_in, c_out, kernel_size, stride=2, padding=pad,
                             output_padding=1))
            if i < len(rev) - 2:  # the output layer stays linear
                up.append(make_activation(activation))
        self.from_code = nn.Sequential(nn.Linear(code_size, flat), make_activation(activation))
        self.decoder = nn.Sequential(*up)

    def forward(self, x):
        """Take flat rows ``(n, prod(input_shape))``; return ``(reconstruction, code)``, flat."""
        n = x.shape[0]
        spatial = self.input_shape[1:]
        grid = x.reshape(n, *self.input_shape)
        # F.pad lists its pads from the last dimension backwards.
        pads = []
        for size, padded in zip(reversed(spatial), reversed(self.padded)):
            pads += [0, padded - size]
        grid = F.pad(grid, pads)
        code = self.encoder(grid)
        out = self.decoder(self.from_code(code).reshape(n, *self.bottom))
        if self.ndim == 1:
            out = out[..., : spatial[0]]
        else:
            out = out[..., : spatial[0], : spatial[1]]
        return out.reshape(n, -1), code
