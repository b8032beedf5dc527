"""The shared engine: :class:`BaseAutoEncoder`.

Everything the detectors have in common lives here, written once: input
validation, scaling, device choice, seeding, the training loop (in
:mod:`pyod_aeplus.training`), batched scoring, per-feature errors and
persistence. A detector subclass supplies only its ``__init__`` (its
parameters), ``_build_module`` (its network) and, where it differs from a
plain reconstruction error, its training loss and its score.
"""

import contextlib
import functools
import itertools
import math
import numbers
import sys
import time

import numpy as np
import torch
from pyod.models.base import BaseDetector
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from ._docstrings import complete_docstring
from ._memory import AllocationGuard, TooManyValues, available_memory
from ._parallel import chunks_in_flight, map_in_order, over_column_blocks
from ._validation import (
    check_choice,
    check_contamination,
    check_float,
    check_int,
    check_numeric_columns,
    resolve_device,
)
from .nn import drawing_from, dropout_generator, reconstruction_step, relu_blocks
from .training import MAX_STEPS, auto_epochs, train_module, trimmed_mean

PREPROCESSING = ("standard", "minmax", "robust", "global", None)
LOSSES = ("mse", "mae")
# Rows per chunk are chosen so that a chunk's scoring needs about this many
# bytes (``_scoring_row_bytes``): scoring memory stays bounded however many
# rows X has, and whatever the network's size (members, posterior draws).
CHUNK_BYTES = 2 ** 24
# A detector whose chunks of CHUNK_BYTES would hold fewer rows than its
# ``_min_chunk_rows`` may make them that long, as far as the chunks in flight
# (``chunks_in_flight``) then take at most IN_FLIGHT_BYTES together: on a
# machine with few threads, few chunks are in flight.
IN_FLIGHT_BYTES = 2 ** 28
# Scoring pads a chunk's rows to a multiple of ROW_BLOCK and, on a CPU, starts
# every row on a boundary of ROW_ALIGN float32 values, 64 bytes (_row_padded).
ROW_BLOCK, ROW_ALIGN = 16, 16
# Fewest rows fit accepts. The threshold is a quantile of the training rows'
# scores: at the default contamination of 0.1, ten rows are the fewest that
# hold one expected outlier, and a network fitted on fewer reproduces its few
# rows rather than learning what is normal.
MIN_FIT_ROWS = 10
# Largest scaled value a scored row is given to the network (see _map_rows).
SCORING_LIMIT = 1e15
# Statistics of the training rows' errors are fitted on the training rows, or
# on an evenly spaced sample of at most max(MIN_SAMPLE_ROWS, SAMPLE_VALUES /
# features) of them (statistics_sample_size): a pass that keeps a few values
# per feature of each sampled row stays bounded in memory.
SAMPLE_VALUES, MIN_SAMPLE_ROWS = 2 ** 22, 2048

_DETECTORS = {}


@contextlib.contextmanager
def deterministic_cudnn():
    """cuDNN's deterministic algorithms while a detector fits or scores; the caller's setting after.

    Without it, on a GPU, ConvAE could score the same images once as images
    and once as rows 1 ulp apart (cuDNN may pick algorithms that sum with
    atomics, such as for the decoder's transposed convolution). The flag is
    process-wide while set. Without cuDNN (on a CPU) it changes nothing.
    """
    previous = torch.backends.cudnn.deterministic
    torch.backends.cudnn.deterministic = True
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic = previous


def qualified_name(cls):
    """``module.QualName`` of a class: the key of :func:`registered_detectors`."""
    return f"{cls.__module__}.{cls.__qualname__}"


def padded_rows(x):
    """``x`` laid out for scoring: rows padded to a multiple of ROW_BLOCK (the last row
    repeated) and, on a CPU, each row starting on a 64-byte boundary.

    On a CPU, MKL's float32 matrix product sums a row in another order when
    the product has fewer than 4 rows (or its threads split it into such
    pieces), and, for narrow layers, when the row does not start on a 16-byte
    boundary (a row of 5 float32 values does only every fourth row): DeepAE
    scored a row alone 2 ulps away from the same row among 20 (scikit-learn's
    check_methods_subset_invariance), DenseAE on 5 features likewise. Rows are
    independent in every network in eval mode: the padding changes no other
    row.
    """
    return _laid_out(x, -(-x.shape[0] // ROW_BLOCK) * ROW_BLOCK)


def aligned_rows(x):
    """``x`` with each row starting on a 64-byte boundary on a CPU (a copy if needed).

    For the input of a matrix product inside a scored chunk: see :func:`padded_rows`.
    """
    return _laid_out(x, x.shape[0])


def _laid_out(x, rows):
    n_rows, n_features = x.shape
    width = n_features
    if x.device.type == "cpu":
        width = -(-n_features // ROW_ALIGN) * ROW_ALIGN
    aligned = x.stride() == (width, 1) and x.data_ptr() % (4 * ROW_ALIGN) == 0
    if rows != n_rows or not aligned:
        padded = x.new_empty((rows, width))[:, :n_features]
        padded[:n_rows] = x
        padded[n_rows:] = x[-1:]
        x = padded
    return x


def _row_padded(fn, module, x):
    """``fn(module, x)`` with ``x`` laid out by :func:`padded_rows`, so that no row's result
    depends on the others; a tuple of results is cut to ``x``'s rows item by item."""
    n_rows = x.shape[0]
    out = fn(module, padded_rows(x))
    if isinstance(out, tuple):
        return tuple(item[:n_rows] for item in out)
    return out[:n_rows]


def statistics_sample_size(n_rows, n_features):
    """Training rows the post-training statistics are fitted on: all, up to a memory bound."""
    return min(n_rows, max(MIN_SAMPLE_ROWS, SAMPLE_VALUES // max(1, n_features)))


def evenly_spaced_index(n_rows, limit, device):
    """Indices of at most ``limit`` of ``n_rows`` rows, evenly spaced (deterministic)."""
    if n_rows <= limit:
        return torch.arange(n_rows, device=device)
    return torch.linspace(0, n_rows - 1, limit, device=device).long()


def within_quantile(size, share):
    """Rows whose ``size`` is within its ``share`` quantile (all rows if that leaves < 2)."""
    keep = size <= torch.quantile(size, share)
    return keep if int(keep.sum()) >= 2 else torch.ones_like(keep)


# The robust scaler works through blocks of columns of about this many values
# (see over_column_blocks).
SCALING_BLOCK_VALUES = 2 ** 19


def _magnitude(X):
    """Each column's largest magnitude (1 for a column of zeros), float64."""
    magnitude = np.max(np.abs(X), axis=0).astype(np.float64)
    magnitude[magnitude == 0] = 1.0
    return magnitude


def _robust_scaling(X):
    """``(median, inter-quartile range, magnitude)`` of each column of ``X``, float64.

    The quartiles are those of the column divided by its largest magnitude
    (``magnitude``), so that values near the float64 limit cannot overflow; a
    column whose middle half is constant gets its standard deviation instead
    (0 if constant). Columns go in small float64 blocks over torch's threads
    (:func:`~pyod_aeplus._parallel.over_column_blocks`): the same values as
    NumPy's percentiles of all of ``X / magnitude`` at once.
    """
    n_features = X.shape[1]
    quartiles = np.empty((3, n_features))
    magnitude = np.empty(n_features)

    def block(start, stop, unit):
        magnitude[start:stop] = _magnitude(unit.T)
        unit /= magnitude[start:stop, None]
        # Sorted first (NumPy's vectorised sort): the percentiles' selection
        # is then cheap, about 2.7 times faster in all, with the same values.
        unit.sort(axis=1)
        quartiles[:, start:stop] = np.percentile(unit, [25, 50, 75], axis=1)
        flat = quartiles[2, start:stop] == quartiles[0, start:stop]
        # A column whose middle half is constant may still vary: use its
        # standard deviation before giving up and using 1.
        if flat.any():
            spread = unit[flat].std(axis=1)
            quartiles[0, start:stop][flat] = 0.0
            quartiles[2, start:stop][flat] = spread

    over_column_blocks(block, X, SCALING_BLOCK_VALUES, dtype=np.float64)
    q25, center, q75 = quartiles
    return center, q75 - q25, magnitude


def chunkwise(function, chunks, device, progress=None):
    """``[function(chunk) for chunk in chunks]``; on a CPU, chunks side by side in threads.

    See :func:`~pyod_aeplus._parallel.map_in_order`: each call runs on one
    torch thread, so its result does not depend on the number of threads. On
    a GPU the calls run one after another in this thread.
    """
    return map_in_order(function, chunks, progress, parallel=device.type == "cpu")


def _module_device(module):
    """The device of a network's parameters (or buffers)."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        return tensor.device
    return torch.device("cpu")


def registered_detectors():
    """Module-qualified class name → class, of every detector built on the engine.

    ``load`` resolves a file's class here, and only here: a file can name no
    other class, and a user's class named like a built-in one (``DenseAE`` in
    the user's own module) gets its own entry instead of replacing it.
    """
    from . import models  # noqa: F401  (importing the detectors registers them)

    return dict(_DETECTORS)


class BaseAutoEncoder(BaseDetector):
    """Engine shared by every autoencoder detector; not used directly.

    Every detector takes the parameters below and sets the attributes below
    when fitted; each detector's own docstring lists them with its own
    defaults (filled in from this text by ``pyod_aeplus._docstrings``).

    Parameters
    ----------
    contamination : float in (0, 0.5] or thresholder, default=0.1
        Expected fraction of anomalies, which sets ``threshold_``; or a
        thresholder object (pythresh, :mod:`pyod_aeplus.thresholds`).
    preprocessing : {'standard', 'minmax', 'robust', 'global', None}, default='standard'
        Scaling fitted on the training rows: per feature ('standard',
        'minmax', 'robust'), or one mean and standard deviation over every
        value ('global'), which keeps the features' relative sizes, as
        images and sequences need (ConvAE's default, one per channel).
    loss : {'mse', 'mae'}, default='mse'
        Squared or absolute reconstruction error, for training and scoring.
    epochs : int or 'auto', default='auto'
        Most passes over the training rows. 'auto': 30, fewer when that would
        take more than about 3000 optimiser steps: longer training memorises
        the anomalies of a contaminated training set, and large sets finish
        fast.
    batch_size : int, default=256
        Rows per step; clipped to the number of training rows.
    lr : float, default=1e-3
        Learning rate of AdamW.
    weight_decay : float, default=0.0
        Decoupled weight decay of AdamW.
    validation_fraction : float in [0, 1), default=0.1
        Rows held out to monitor the loss; 0 monitors the training loss.
    early_stopping : bool, default=True
        Stop after ``patience`` epochs without improvement and restore the
        best weights.
    patience : int, default=10
        Epochs without improvement before stopping.
    gradient_clip : float or None, default=5.0
        Largest gradient norm per step; None disables clipping.
    mixed_precision : bool, default=False
        Train under bfloat16 autocast (matrix products in bf16, the loss in
        float32). Meant for GPUs with bf16 units; on a CPU it is usually
        slower. Scoring stays in float32, so scores remain deterministic.
    compile : bool, default=False
        Train through ``torch.compile`` of the network (needs a C++ compiler
        on a CPU). Compiling costs seconds up front; it is meant for long
        trainings on a GPU. Scoring runs the plain network.
    device : str, default='auto'
        'auto' (CUDA, then MPS, then CPU), 'cpu', 'cuda', 'cuda:N' or 'mps'.
    random_state : int, RandomState or None, default=None
        Seed for weights, shuffling, dropout, noise and sampling; an int makes
        ``fit`` repeatable, also in concurrent threads. Every draw comes from
        local generators: the global torch and NumPy random states are never
        read or moved.
    verbose : int, default=0
        1 shows a progress bar over epochs with the current loss.

    Attributes
    ----------
    decision_scores_ : ndarray of shape (n_samples,)
        Outlier scores of the training rows; higher is more abnormal.
    threshold_ : float
        Score above which a row is labelled an outlier.
    labels_ : ndarray of shape (n_samples,)
        1 for outliers, 0 for inliers, of the training rows.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    center_, scale_ : ndarray of shape (n_features,)
        The fitted scaling: ``(X - center_) / scale_``.
    device_ : torch.device
        Where the network lives.
    module_ : torch.nn.Module
        The trained network, in eval mode.
    history_ : dict
        Per-epoch ``loss``, ``val_loss`` and ``epoch_seconds`` (wall time),
        ``best_epoch``, ``n_epochs``, ``cuda_graphs`` (whether training
        steps were replayed from CUDA graphs, on a GPU), and the wall time
        of the two stages of ``fit``: ``training_seconds`` and
        ``after_training_seconds`` (fitting what the score needs and scoring
        the training rows).
    """

    # Whether batch_size may be 'auto' (the detector sizes it: ``_auto_batch``).
    _auto_batch_size = False
    # About how many optimiser steps epochs='auto' allows on large sets.
    _max_steps = MAX_STEPS
    # Rows a scoring chunk may grow to where CHUNK_BYTES would give fewer
    # (``_chunk_rows``).
    _min_chunk_rows = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("pyod_aeplus."):
            # The engine's parameters and attributes join the detector's docstring.
            cls.__doc__ = complete_docstring(cls)
        if not cls.__name__.startswith("_"):
            _DETECTORS[qualified_name(cls)] = cls

    def _store_init_arguments(self, arguments):
        """Store ``__init__``'s arguments unchanged (``arguments`` is its ``locals()``).

        scikit-learn's rule: ``__init__`` sets each parameter as given and does
        nothing else; validation waits for ``fit``.
        """
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # ------------------------------------------------------------------ hooks
    def _check_params(self):
        """Validate the detector's own parameters (subclasses extend this)."""

    def _build_module(self):
        """Return a new network for ``self.n_features_in_`` inputs."""
        raise NotImplementedError

    def _prepare_fit(self, X, generator):
        """Set detector-specific fitted state from the scaled training tensor."""

    def _auto_batch(self, n_rows):
        """The 'auto' batch size for ``n_rows`` rows (where ``_auto_batch_size``)."""
        raise NotImplementedError

    def _training_sizes(self, n_rows):
        """``(epochs, batch_size)`` for ``n_rows`` training rows, 'auto' resolved."""
        batch = self._auto_batch(n_rows) if self.batch_size == "auto" else self.batch_size
        batch = min(batch, n_rows)
        epochs = (auto_epochs(n_rows, batch, self._max_steps) if self.epochs == "auto"
                  else self.epochs)
        return epochs, batch

    def _after_training(self, module, X, progress):
        """Set fitted state that needs the trained network; return the training rows' scores.

        ``X`` holds the scaled training rows (on the device, or in host memory
        when they did not fit there). Returns None to let the engine score the
        training rows with ``_row_scores``, chunk by chunk as
        ``decision_function`` does; a detector that computes them on the way
        returns them. ``progress.update()`` once per chunk of work, out of
        ``_post_training_chunks``.
        """
        return None

    def _expected_contamination(self):
        """``contamination`` as a share of rows; 0.1 for a thresholder, whose share comes later."""
        if isinstance(self.contamination, numbers.Real):
            return float(self.contamination)
        return 0.1

    def _post_training_chunks(self, n_rows, n_features):
        """Chunks of work after training (the progress bar's length)."""
        return math.ceil(n_rows / self._chunk_rows(n_features))

    def _scoring_row_bytes(self, n_features):
        """Bytes that scoring one row takes at its peak (sets the chunk size).

        By default eight float32 values per feature: the row, its
        reconstruction, errors and temporaries (the dense networks' hidden
        layers are narrower than their input).
        """
        return 4 * 8 * n_features

    def _reconstruct(self, module, x):
        """Scaled reconstruction of the scaled rows ``x``."""
        return module(x)[0]

    def _encode(self, module, x):
        """Code of the scaled rows ``x``."""
        return module(x)[1]

    def _element_errors(self, x, reconstruction):
        diff = reconstruction - x
        return diff.square() if self.loss == "mse" else diff.abs()

    def _feature_errors(self, module, x):
        """Per-feature error ``(rows, features)`` of scaled rows, for scoring."""
        return self._element_errors(x, self._reconstruct(module, x))

    def _row_scores(self, module, x):
        """Outlier score of each scaled row; higher is more abnormal."""
        return self._feature_errors(module, x).mean(dim=1)

    def _training_loss(self, module, x, generator):
        """Per-row training loss of the scaled batch ``x``."""
        return self._element_errors(x, module(x)[0]).mean(dim=1)

    def _reduce_loss(self, row_losses):
        """How a batch's row losses become the minimised loss."""
        return row_losses.mean()

    def _fused_step(self, module, device):
        """A hand-differentiated training step (:func:`~pyod_aeplus.nn.reconstruction_step`)
        where it computes exactly this detector's training loss, else None.

        It needs the engine's own loss (not a detector's variant of it), an
        :class:`~pyod_aeplus.nn.MLPAutoEncoder` with ReLU activations, and a
        CPU, where autograd's per-operation overhead dominates small networks
        (on a GPU the kernels' time does; that path stays with autograd).
        """
        own_loss = (type(self)._training_loss is BaseAutoEncoder._training_loss
                    and type(self)._reduce_loss is BaseAutoEncoder._reduce_loss)
        if not own_loss or self.compile or self.mixed_precision or device.type != "cpu":
            return None
        blocks = relu_blocks(module)
        if blocks is None:
            return None
        return functools.partial(reconstruction_step, blocks, loss=self.loss)

    def _as_rows(self, X):
        """Turn ``X`` into 2-D rows before validation (ConvAE flattens images here)."""
        return X

    # -------------------------------------------------------------- checking
    def _check_common_params(self):
        check_contamination(self.contamination)
        check_choice("preprocessing", self.preprocessing, PREPROCESSING)
        check_choice("loss", self.loss, LOSSES)
        if self.epochs != "auto":
            check_int("epochs", self.epochs, 1)
        if self.batch_size != "auto" or not self._auto_batch_size:
            check_int("batch_size", self.batch_size, 1)
        check_float("lr", self.lr, 0.0, low_open=True)
        check_float("weight_decay", self.weight_decay, 0.0)
        check_float("validation_fraction", self.validation_fraction, 0.0, 1.0, high_open=True)
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise TypeError(f"early_stopping must be True or False, got {self.early_stopping!r}")
        check_int("patience", self.patience, 1)
        if self.gradient_clip is not None:
            check_float("gradient_clip", self.gradient_clip, 0.0, low_open=True)
        for name in ("mixed_precision", "compile"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_int("verbose", self.verbose, 0)
        return resolve_device(self.device)

    def _validate(self, X, reset):
        check_numeric_columns(X)
        X = self._as_rows(X)
        return validate_data(
            self, X, reset=reset, dtype="numeric", accept_sparse=False,
            ensure_all_finite=True, ensure_min_samples=MIN_FIT_ROWS if reset else 1,
        )

    # Parameter-sized tensors alive while training: the weights, their gradients,
    # AdamW's two moments and its work tensor, the flat copy and the best weights.
    _TRAINING_COPIES = 7
    # What to lower when the network is too large (named in the error).
    _size_parameters = "the layer sizes"

    def _build_checked(self, device):
        """``_build_module()``, refused before allocating when it cannot be trained in memory.

        Training holds about ``_TRAINING_COPIES`` float32 copies of the
        parameters; a network whose parameters alone pass the memory free on
        ``device`` divided by that is refused as it is built, tensor by tensor.
        """
        available = available_memory(device)
        if available is None:
            return self._build_module()
        budget = available // (4 * self._TRAINING_COPIES)
        try:
            with AllocationGuard(budget):
                return self._build_module()
        except TooManyValues as exc:
            needed = 4 * self._TRAINING_COPIES * exc.values
            raise ValueError(
                f"{type(self).__name__} on {self.n_features_in_} features builds a network of "
                f"more than {exc.values:,} parameters, which needs more than "
                f"{needed / 2 ** 30:.1f} GiB to train, and {available / 2 ** 30:.1f} GiB of "
                f"memory is free; lower {self._size_parameters}"
            ) from None

    # --------------------------------------------------------------- scaling
    def _fit_scaling(self, X):
        """``(center, scale)`` in float64; a constant column gets scale 1."""
        n_features = X.shape[1]
        if self.preprocessing is None:
            return np.zeros(n_features), np.ones(n_features)
        if self.preprocessing == "global":
            X = np.reshape(X, (-1, 1))  # every value in one column: one center and scale
        if self.preprocessing == "robust":
            center, scale, magnitude = _robust_scaling(X)
        else:
            # Statistics are taken on columns divided by their largest magnitude, so
            # that values near the float64 limit (1e300) cannot overflow in squares.
            magnitude = _magnitude(X)
            unit = np.asarray(X, dtype=np.float64) / magnitude
            if self.preprocessing in ("standard", "global"):
                center, scale = unit.mean(axis=0), unit.std(axis=0)
            else:  # minmax
                center = unit.min(axis=0)
                scale = unit.max(axis=0) - center
        scale = np.where(scale > 0, scale * magnitude, 1.0)
        return (np.broadcast_to(center * magnitude, n_features).copy(),
                np.broadcast_to(scale, n_features).copy())

    @staticmethod
    def _fits_on_device(X, device):
        """Whether the scaled float32 training data fits in half the device's free memory."""
        if device.type != "cuda":
            return True
        free, _ = torch.cuda.mem_get_info(device)
        return X.shape[0] * X.shape[1] * 4 < free // 2

    def _chunk_rows(self, n_features):
        row_bytes = max(1, self._scoring_row_bytes(n_features))
        rows = CHUNK_BYTES // row_bytes
        if rows < self._min_chunk_rows:
            budget = max(CHUNK_BYTES, IN_FLIGHT_BYTES // chunks_in_flight())
            rows = min(self._min_chunk_rows, budget // row_bytes)
        return max(1, rows)

    def _scaled_chunks(self, X, device):
        """Yield ``(lo, hi, tensor)``: scaled float32 chunks of ``X`` on ``device``."""
        for lo, hi in self._chunk_bounds(X):
            yield lo, hi, self._scaled_chunk(X, lo, hi, device)

    def _chunk_bounds(self, X):
        """``(lo, hi)`` of each chunk of ``X``'s rows."""
        step = self._chunk_rows(X.shape[1])
        return [(lo, min(lo + step, X.shape[0])) for lo in range(0, X.shape[0], step)]

    def _scaled_chunk(self, X, lo, hi, device):
        """Rows ``lo:hi`` of ``X``, scaled: a float32 tensor on ``device``."""
        # One float64 copy of the chunk, scaled in place. C order always: a
        # Fortran-ordered block (as from a DataFrame) would change the
        # matmul's summation order and so the scores' last bits.
        block = np.array(X[lo:hi], dtype=np.float64, order="C")
        # Scaled values are capped at ±SCORING_LIMIT before they become float32,
        # for training and scoring alike (so a training row scores the same in
        # fit and in decision_function): beyond about 1e19 a squared error
        # overflows float32, and a value 1e15 scales away from the rest is as
        # abnormal as it gets. Every finite input so gets finite values; values
        # near float64's limit may overflow to ±inf on the way, and the clip
        # bounds them too.
        with np.errstate(over="ignore", invalid="ignore"):
            block -= self.center_
            block /= self.scale_
            np.clip(block, -SCORING_LIMIT, SCORING_LIMIT, out=block)
        return torch.from_numpy(block.astype(np.float32)).to(device)

    @staticmethod
    def _apply(fn, module, chunks, progress=None):
        """``fn(module, chunk)`` over tensor chunks, without gradients; float64 results joined.

        ``chunks`` may also hold zero-argument callables that make the chunk
        (so that on a CPU, making it runs in parallel too: see
        :func:`~pyod_aeplus._parallel.map_in_order`).
        """
        def one(chunk):
            chunk = chunk() if callable(chunk) else chunk
            return _row_padded(fn, module, chunk).float().cpu().numpy().astype(np.float64)

        with torch.no_grad(), deterministic_cudnn():
            return np.concatenate(chunkwise(one, chunks, _module_device(module), progress))

    def _map_rows(self, X, fn):
        """Apply ``fn(module, tensor)`` to scaled chunks of ``X`` (new rows, for scoring)."""
        chunks = [functools.partial(self._scaled_chunk, X, lo, hi, self.device_)
                  for lo, hi in self._chunk_bounds(X)]
        return self._apply(fn, self.module_, chunks)

    # ------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Fit the detector on ``X``; ``y`` is ignored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (at least 10), mostly normal.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted detector.
        """
        # A fit that fails or is interrupted leaves the detector as it was
        # before (unfitted, or fitted on earlier data), never half-fitted.
        before = self.__dict__.copy()
        try:
            with deterministic_cudnn():
                self._fit(X, y)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _fit(self, X, y):
        device = self._check_common_params()
        self._check_params()
        X = self._validate(X, reset=True)
        self._set_n_classes(y)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self.center_, self.scale_ = self._fit_scaling(X)
        if self.preprocessing is None and np.median(np.abs(X)) > SCORING_LIMIT:
            # Values are capped at ±SCORING_LIMIT (as for scoring): with most of
            # them beyond it, the network would learn the cap, not the data.
            raise ValueError(
                f"most values of X are beyond ±{SCORING_LIMIT:g}, where they are capped; "
                "scale the input, or use preprocessing='standard'")
        self.device_ = device
        home = device if self._fits_on_device(X, device) else torch.device("cpu")
        Xt = torch.cat([chunk for _, _, chunk in self._scaled_chunks(X, home)])
        if home != device and device.type == "cuda":
            Xt = Xt.pin_memory()  # streamed to the GPU batch by batch

        # Every draw comes from a local generator seeded from random_state, so a
        # fit repeats in any thread and never reads or moves torch's global
        # generator: weights from their own CPU generator (every device starts
        # from the same weights), shuffles and splits from another, and noise,
        # sampling and dropout masks from one on the device.
        init_generator = torch.Generator().manual_seed(seed + 2)
        cpu_generator = torch.Generator().manual_seed(seed)
        device_generator = torch.Generator(device=device).manual_seed(seed + 1)
        self._prepare_fit(Xt, device_generator)
        with drawing_from(init_generator):
            module = self._build_checked(device)
        module = module.to(device)
        with dropout_generator(module, device_generator):
            epochs, batch_size = self._training_sizes(Xt.shape[0])
            # The compiled wrapper shares the module's parameters; only the
            # plain module is kept (and pickled).
            forward = torch.compile(module) if self.compile else module
            started = time.perf_counter()
            self.history_ = train_module(
                module, Xt,
                row_loss_fn=lambda x: self._training_loss(forward, x, device_generator),
                reduce_fn=self._reduce_loss,
                epochs=epochs, batch_size=batch_size, lr=self.lr,
                weight_decay=self.weight_decay,
                validation_fraction=self.validation_fraction,
                early_stopping=bool(self.early_stopping), patience=self.patience,
                gradient_clip=self.gradient_clip, generator=cpu_generator,
                autocast_dtype=torch.bfloat16 if self.mixed_precision else None,
                fused_step=self._fused_step(module, device),
                # Compiled code is not captured: its first calls compile.
                cuda_graphs=not self.compile,
                graph_generators=(device_generator,) if device.type == "cuda" else (),
                verbose=self.verbose, desc=type(self).__name__,
            )
            self.history_["training_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            # Everything after training gets a progress bar of its own, so a
            # finished training bar is never left on screen while work goes on.
            progress = tqdm(total=self._post_training_chunks(*Xt.shape),
                            desc=f"{type(self).__name__}: scoring the training rows",
                            disable=not self.verbose, leave=False)
            with torch.no_grad(), progress:
                scores = self._after_training(module, Xt, progress)
                if scores is None:
                    # The training rows are scaled already: score them from Xt,
                    # chunk by chunk, as decision_function scores new rows.
                    step = self._chunk_rows(Xt.shape[1])
                    scores = self._apply(self._row_scores, module,
                                         (Xt[lo:lo + step].to(device, non_blocking=True)
                                          for lo in range(0, Xt.shape[0], step)), progress)
            self.history_["after_training_seconds"] = time.perf_counter() - started
        self.module_ = module
        if not np.isfinite(scores).all():
            raise FloatingPointError(
                "the trained network gives non-finite scores; lower lr or check the input scale"
            )
        self.decision_scores_ = scores
        self._process_decision_scores()

    # --------------------------------------------------------------- scoring
    def decision_function(self, X):
        """Outlier score of each row of ``X``; higher is more abnormal.

        Rows are scored in bounded chunks, so ``X`` may be a large memmap.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to score.

        Returns
        -------
        anomaly_scores : ndarray of shape (n_samples,)
            The outlier scores.
        """
        check_is_fitted(self, "module_")
        X = self._validate(X, reset=False)
        return self._map_rows(X, self._row_scores)

    def predict_proba(self, X, method="linear", return_confidence=False):
        """Outlier probability of each row as PyOD computes it (``method='linear'`` or ``'unify'``).

        Returns an array of shape (n_samples, 2): [P(normal), P(outlier)].
        """
        check_is_fitted(self, "module_")
        # PyOD's implementation reads X.shape: give lists and tuples one.
        X = X if hasattr(X, "shape") else np.asarray(X, dtype=object)
        return super().predict_proba(X, method=method, return_confidence=return_confidence)

    def feature_scores(self, X):
        """Per-feature error of each row: which columns made a row abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        errors : ndarray or DataFrame of shape (n_samples, n_features)
            Reconstruction error of every value, in scaled units; for AEPlus
            (``tail_scores=True``) the rarity of each feature's error and
            value on the training rows (−log tail probability). A pandas
            DataFrame when the detector was fitted on one (it has
            ``feature_names_in_``) and ``X`` is one too: its columns are the
            feature names and its index is ``X``'s, so each error stays
            with its row and column. An ndarray otherwise.
        """
        check_is_fitted(self, "module_")
        pandas = sys.modules.get("pandas")  # a DataFrame X has imported it
        index = X.index if pandas is not None and isinstance(X, pandas.DataFrame) else None
        X = self._validate(X, reset=False)
        errors = self._map_rows(X, self._feature_errors)
        if index is not None and hasattr(self, "feature_names_in_"):
            return pandas.DataFrame(errors, index=index, columns=self.feature_names_in_)
        return errors

    def reconstruct(self, X):
        """Reconstruction of ``X`` by the network, in the units of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        reconstruction : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "module_")
        X = self._validate(X, reset=False)
        scaled = self._map_rows(X, self._reconstruct)
        return scaled * self.scale_ + self.center_

    def encode(self, X):
        """The code (latent representation) of each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples, code width)
        """
        check_is_fitted(self, "module_")
        X = self._validate(X, reset=False)
        return self._map_rows(X, self._encode)

    # ----------------------------------------------------------- persistence
    def __getstate__(self):
        # The network travels as CPU tensors so that a model fitted on a GPU
        # unpickles on a machine without one.
        state = self.__dict__.copy()
        module = state.pop("module_", None)
        if module is not None:
            state["_module_state"] = {k: v.detach().cpu() for k, v in module.state_dict().items()}
            state["device_"] = str(state["device_"])
        return state

    def __setstate__(self, state):
        state = dict(state)
        module_state = state.pop("_module_state", None)
        self.__dict__.update(state)
        if module_state is not None:
            self._restore_module(module_state, state["device_"])

    def _restore_module(self, module_state, device, module=None):
        """Set ``module_`` from a state dict, on ``device`` (the CPU when it does not exist here).

        ``module``: a freshly built network to load the state into (``load``
        builds it under its own checks); default: one built here.
        """
        device = torch.device(device)
        mps = getattr(torch.backends, "mps", None)
        if (device.type == "cuda" and not torch.cuda.is_available()) or \
                (device.type == "mps" and not (mps is not None and mps.is_available())):
            device = torch.device("cpu")
        # Building initialises weights from torch's global generator, which
        # the loaded weights then overwrite: leave the caller's state as it was.
        if module is None:
            with torch.random.fork_rng(devices=[]):
                module = self._build_module()
        module.load_state_dict(module_state)
        self.module_ = module.to(device).eval()
        self.device_ = device

    def save(self, path):
        """Save the fitted detector without pickle (format: :mod:`pyod_aeplus.persistence`).

        Parameters and scalar fitted state are stored as JSON, arrays and
        weights as tensors, with a SHA-256 checksum of the whole. The write
        is atomic: a temporary file in the same folder, fsynced, then renamed
        over ``path``, so an existing file survives a failed, interrupted or
        concurrent save. A thresholder given as ``contamination`` (from
        pythresh or :mod:`pyod_aeplus.thresholds`) is stored as its class
        and parameters.

        Load it with :func:`pyod_aeplus.load` (or ``type(self).load``), which
        verifies the checksum and the contents and never executes code from
        the file.

        Parameters
        ----------
        path : str, path-like or writable binary file object
            Where to write.

        Raises
        ------
        ValueError
            When a parameter cannot be stored; the message names it.
        OSError
            When the file cannot be written; the message names the path.
        """
        from .persistence import save_detector

        check_is_fitted(self, "module_")
        save_detector(self, path)

    @classmethod
    def load(cls, path, device=None):
        """Load a detector saved with :meth:`save`; refuses a file of another class.

        See :func:`pyod_aeplus.load` for the checks made on the file.
        """
        from .persistence import _load

        return _load(path, device=device, expected=cls)


class TrimmedLoss:
    """For a detector with a ``trim_fraction`` parameter: a trimmed training loss.

    In every batch the rows with the largest loss, ``trim_fraction`` of them
    ('auto': the expected contamination), are left out of the loss, so the
    anomalies among the training rows are not learned as normal. Listed
    before :class:`BaseAutoEncoder` among a detector's bases.
    """

    def _check_trim_fraction(self):
        if isinstance(self.trim_fraction, str) and self.trim_fraction != "auto":
            raise TypeError("trim_fraction must be 'auto' or a number in [0.0, 0.5), "
                            f"got {self.trim_fraction!r}")
        if self.trim_fraction != "auto":
            check_float("trim_fraction", self.trim_fraction, 0.0, 0.5, high_open=True)

    def _trim(self):
        """The share of each batch's rows left out of the loss."""
        if self.trim_fraction != "auto":
            return float(self.trim_fraction)
        return self._expected_contamination()

    def _reduce_loss(self, row_losses):
        return trimmed_mean(row_losses, self._trim())
