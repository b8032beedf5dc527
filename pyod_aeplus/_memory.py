"""Memory: what is free on a device, and allocations refused before they happen."""

import math
import numbers
import os

import numpy as np
import torch
from torch.overrides import TorchFunctionMode


def available_memory(device):
    """Bytes of memory free for new tensors on ``device``, or None where unknown."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _planned_values(func, args, kwargs):
    """How many values ``func(*args, **kwargs)`` will allocate, read from its arguments.

    Factories by their size arguments; any other operation by the broadcast
    shape of its tensor arguments (the size of an elementwise result), or
    its largest tensor argument. None when nothing can be read.
    """
    name = getattr(func, "__name__", "")
    try:
        if name in ("empty", "zeros", "ones", "rand", "randn", "full", "new_empty", "new_zeros",
                    "new_ones", "new_full", "randint"):
            positional = args[1:] if name.startswith("new_") else args
            size = kwargs.get("size")
            if size is None:
                sequences = [a for a in positional if isinstance(a, (tuple, list, torch.Size))]
                size = sequences[0] if sequences else [
                    a for a in positional if isinstance(a, numbers.Integral)]
            return math.prod(int(s) for s in size)
        if name == "arange":
            bounds = [a for a in args if isinstance(a, numbers.Real)]
            start, end, step = 0, None, 1
            if len(bounds) == 1:
                end = bounds[0]
            elif bounds:
                start, end, *rest = bounds
                step = rest[0] if rest else 1
            start, end = kwargs.get("start", start), kwargs.get("end", end)
            step = kwargs.get("step", step)
            return max(0, math.ceil((end - start) / step))
        if name in ("linspace", "logspace"):
            return int(kwargs["steps"] if "steps" in kwargs else args[2])
        if name == "eye":
            n = int(kwargs.get("n", args[0] if args else 0))
            m = kwargs.get("m", args[1] if len(args) > 1 else n)
            return n * int(m)
        if name == "repeat":
            sizes = args[1] if len(args) == 2 and isinstance(args[1], (tuple, list)) else args[1:]
            return args[0].numel() * math.prod(int(s) for s in sizes)
    except (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError):
        return None
    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
    if not tensors:
        return None
    try:
        # NumPy's, not torch's: torch.broadcast_shapes imports sympy (seconds).
        return math.prod(np.broadcast_shapes(*(tuple(t.shape) for t in tensors)))
    except ValueError:
        return max(t.numel() for t in tensors)


class TooManyValues(ValueError):
    """An allocation would pass an :class:`AllocationGuard`'s budget (``values``: the total)."""

    def __init__(self, values):
        super().__init__(f"more than {values:,} values")
        self.values = values


class AllocationGuard(TorchFunctionMode):
    """Refuses, before they happen, allocations past a budget of ``budget`` values.

    A network is built for real only once: every tensor its constructor asks
    for is checked first, so a network too large for memory (or a tampered
    size in a model file) is refused instead of allocating gigabytes.
    Factories count against the budget cumulatively; any other operation on
    its own. (Building on the meta device would count without allocating,
    but for the ensemble it imports torch._dynamo: seconds on a first fit.)
    """

    FACTORIES = frozenset({"empty", "zeros", "ones", "rand", "randn", "full", "new_empty",
                           "new_zeros", "new_ones", "new_full", "randint", "arange", "linspace",
                           "logspace", "eye", "repeat"})

    def __init__(self, budget):
        super().__init__()
        self.budget, self.used = budget, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        planned = _planned_values(func, args, kwargs)
        if planned is not None:
            total = planned
            if getattr(func, "__name__", "") in self.FACTORIES:
                self.used += planned
                total = self.used
            if total > self.budget:
                raise TooManyValues(total)
        return func(*args, **kwargs)


