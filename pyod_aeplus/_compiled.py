"""The package's compiled CPU kernels (numba), imported on first use.

numba takes a moment to import, so a kernel module is imported when one of
its kernels is first asked for; where numba is missing, callers get None
and compute the same values with torch operations.
"""

import importlib

_MODULES = {}


def compiled_kernel(module, name):
    """Function ``name`` of the kernel module ``module`` (relative to the package), or None."""
    if module not in _MODULES:
        try:
            _MODULES[module] = importlib.import_module(f".{module}", __package__)
        except ImportError:  # numba missing
            _MODULES[module] = None
    return None if _MODULES[module] is None else getattr(_MODULES[module], name)
