"""A small multilayer perceptron in NumPy, trained by the optimizers that step the 2-D paths.

The network is ``inputs → hidden… → classes``: fully connected layers ``h ↦ h·W + b``, ReLU
between them, softmax cross-entropy averaged over the batch as the loss. Backpropagation is
written out by hand. The weights of a network are one flat float64 vector (per layer ``W``
then ``b``, ``W`` stored as ``(fan_in, fan_out)``), and an :class:`optviz.optimizers.Optimizer`
steps that vector with the same ``init``/``update`` that it applies to a point on a surface.

Initialisation is torch's default for ``nn.Linear``: every weight and bias uniform in
``(−1/√fan_in, 1/√fan_in)``. An epoch is one pass over the training set: one step with the
full batch, or a fresh random permutation cut into mini-batches (the last one may be
smaller), one step per batch. Each batch takes its samples in data order, so a single batch
of all ``n`` samples is the full batch to the bit.

Several networks train together (:func:`train_many`): their weights are a ``(R, P)`` array,
each forward and backward pass is one batched matrix product per layer, and each network's
own optimizer steps its row. The matrix products may run in float32 (``dtype``) for speed;
the weights and the optimizers' state stay float64 throughout.

Data: scikit-learn's 8×8 digits (shipped in ``optviz/data``; see the README there) by
default, or MNIST from the standard IDX files the user already has (:func:`load_mnist`).
"""

from __future__ import annotations

import gzip
import itertools
import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .optimizers import Optimizer

DATA_DIR = Path(__file__).resolve().parent / "data"
DIGITS_FILE = DATA_DIR / "digits.npz"


class Dataset(NamedTuple):
    """A classification training set.

    x: (n, d) float64 inputs, pixels scaled to [0, 1]; read-only.
    y: (n,) int64 labels in ``0 .. classes − 1``; read-only.
    classes: the number of classes (the width of the output layer).
    name: a short name for tables and captions.
    """

    x: np.ndarray
    y: np.ndarray
    classes: int
    name: str

    @property
    def size(self) -> int:
        """n, the number of samples."""
        return self.x.shape[0]


class TrainingHistory(NamedTuple):
    """What one network's training produced.

    loss: (epochs + 1,) mean cross-entropy over the whole training set after k epochs
        (k = 0 is the initialisation); inf or NaN where the weights overflowed.
    accuracy: (epochs + 1,) fraction of the training set classified correctly, likewise.
    weights: (P,) float64, the flat weights after the last epoch.
    steps: the number of optimizer steps taken (epochs × batches per epoch).
    """

    loss: np.ndarray
    accuracy: np.ndarray
    weights: np.ndarray
    steps: int


# ---------------------------------------------------------------------------------------
# data


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@lru_cache(maxsize=1)
def load_digits() -> Dataset:
    """scikit-learn's 8×8 digits: 1,797 images of 64 pixels (0..16, divided by 16), 10 classes."""
    with np.load(DIGITS_FILE) as stored:
        images, labels = stored["images"], stored["labels"]
    x = _frozen(images.astype(np.float64) / 16.0)
    y = _frozen(labels.astype(np.int64))
    return Dataset(x, y, 10, "digits 8×8")


_IDX_TYPES = {0x08: np.uint8}
_MNIST_SPLITS = {"train": "train", "test": "t10k"}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (the MNIST format; gzip-compressed if the name ends in ``.gz``) as an array.

    The header is two zero bytes, a type code (0x08: unsigned bytes, the only one MNIST uses),
    the number of dimensions, then each dimension as a big-endian uint32; the values follow.
    FileNotFoundError if missing; ValueError if the header or the length is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no IDX file at {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        raw = stream.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (bad header)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path} ends inside its IDX header")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    values = np.frombuffer(raw, dtype=_IDX_TYPES[raw[2]], offset=header)
    if values.size != math.prod(shape):
        raise ValueError(
            f"{path} holds {values.size} values; its header says {shape} "
            f"({math.prod(shape)} values)"
        )
    return values.reshape(shape)


def _idx_file(folder: Path, kind: str, suffix: str) -> Path:
    """``folder/kind-suffix`` or ``kind.suffix``, plain or ``.gz``; FileNotFoundError."""
    names = [f"{kind}-{suffix}", f"{kind}.{suffix}"]
    candidates = [folder / name for name in names] + [folder / f"{name}.gz" for name in names]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(c.name for c in candidates)
    raise FileNotFoundError(f"MNIST file not found in {folder}: looked for {tried}")


def load_mnist(path: str | Path, *, split: str = "train", limit: int | None = None) -> Dataset:
    """MNIST from the standard IDX files in the folder ``path``; nothing is downloaded.

    Reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``t10k-…`` for
    ``split="test"``; ``.gz`` or not; ``…images.idx3-ubyte`` naming too). Pixels are
    divided by 255 and each 28×28 image flattened to 784 inputs. ``limit`` keeps the first
    ``limit`` images. FileNotFoundError for a missing folder or file; ValueError for a
    malformed file or images and labels that do not match.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder not found: {folder}")
    if split not in _MNIST_SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = _MNIST_SPLITS[split]
    images = read_idx(_idx_file(folder, f"{prefix}-images", "idx3-ubyte"))
    labels = read_idx(_idx_file(folder, f"{prefix}-labels", "idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST images {images.shape} and labels {labels.shape} do not match "
            "(expected (n, rows, cols) and (n,))"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"MNIST labels must be digits 0..9, found {int(labels.max())}")
    if limit is not None:
        limit = _whole_number("limit", limit, low=1)
        images, labels = images[:limit], labels[:limit]
    x = _frozen(images.reshape(images.shape[0], -1).astype(np.float64) / 255.0)
    y = _frozen(labels.astype(np.int64))
    return Dataset(x, y, 10, f"MNIST {split}")


# ---------------------------------------------------------------------------------------
# the network


def layer_sizes(data: Dataset, hidden: Sequence[int]) -> tuple[int, ...]:
    """``(inputs, *hidden, classes)`` for ``data``; ValueError for a width below 1."""
    widths = tuple(hidden)
    for width in widths:
        _whole_number("each hidden width", width, low=1)
    return (data.x.shape[1], *(int(w) for w in widths), data.classes)


def parameter_count(sizes: Sequence[int]) -> int:
    """P, the number of weights and biases of a network with layer widths ``sizes``."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in itertools.pairwise(sizes))


def training_work(
    sizes: Sequence[int], n: int, epochs: int, runs: int = 1, *, batch_size: int | None = None
) -> int:
    """A measure of the cost of training ``runs`` networks for ``epochs`` epochs on ``n``
    samples, in multiply-adds.

    About 3 per weight per sample per epoch (forward, and backward through weights and
    activations); one more with mini-batches (the loss and accuracy are measured on the
    whole training set after each epoch); and about 100 per weight per optimizer step,
    what the update and the per-batch overhead cost in time, which dominates small batches.
    """
    weights = parameter_count(sizes)
    passes = 3 if batch_size is None else 4
    steps = 1 if batch_size is None else -(-n // batch_size)
    return runs * epochs * weights * (n * passes + 100 * steps)


def init_weights(sizes: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """torch's ``nn.Linear`` default: each W and b uniform in ``(−1/√fan_in, 1/√fan_in)``.

    Returns the flat ``(P,)`` float64 vector (per layer W as ``(fan_in, fan_out)``, then b).
    """
    parts = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = 1.0 / math.sqrt(fan_in)
        parts.append(rng.uniform(-bound, bound, size=fan_in * fan_out))
        parts.append(rng.uniform(-bound, bound, size=fan_out))
    return np.concatenate(parts)


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from ``seed``: initial weights, then batch order."""
    init, order = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init), np.random.default_rng(order)


def initial_weights(sizes: Sequence[int], seed: int = 0) -> np.ndarray:
    """The ``(P,)`` weights that :func:`train` starts from for ``seed``."""
    return init_weights(sizes, _streams(seed)[0])


def unpack(sizes: Sequence[int], weights: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Views ``[(W, b), …]`` into ``weights`` (R, P).

    W is (R, fan_in, fan_out) and b is (R, 1, fan_out), layer by layer.
    """
    layers, start = [], 0
    runs = weights.shape[0]
    for fan_in, fan_out in itertools.pairwise(sizes):
        w = weights[:, start : start + fan_in * fan_out].reshape(runs, fan_in, fan_out)
        start += fan_in * fan_out
        b = weights[:, start : start + fan_out].reshape(runs, 1, fan_out)
        start += fan_out
        layers.append((w, b))
    return layers


def loss_and_gradient(
    sizes: Sequence[int],
    weights: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    gradient: bool = True,
    dtype=np.float64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Mean cross-entropy, correct count and gradient of R networks on one batch.

    weights: (R, P) float64; x: (m, d); y: (m,) int labels. The products run in ``dtype``.
    Returns ``loss`` (R,), ``correct`` (R,) int (argmax of the logits equal to the label)
    and the gradient of ``loss`` with respect to ``weights``, (R, P) float64 (None unless
    ``gradient``). ReLU's derivative at 0 is taken as 0, as in torch.
    """
    m = x.shape[0]
    rows = np.arange(m)
    layers = unpack(sizes, weights.astype(dtype, copy=False))
    inputs = [x.astype(dtype, copy=False)]
    for w, b in layers[:-1]:
        hidden = np.matmul(inputs[-1], w)
        hidden += b
        inputs.append(np.maximum(hidden, 0, out=hidden))
    w, b = layers[-1]
    logits = np.matmul(inputs[-1], w)  # (R, m, classes)
    logits += b
    correct = (logits.argmax(axis=-1) == y).sum(axis=1)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1)
    loss = (np.log(total) - shifted[:, rows, y]).mean(axis=1)
    if not gradient:
        return loss.astype(np.float64), correct, None

    grad = np.empty(weights.shape, dtype=np.float64)
    grad_layers = unpack(sizes, grad)
    delta = np.divide(exp, total[..., None], out=exp)  # softmax
    delta[:, rows, y] -= 1
    delta /= m  # d loss / d logits
    for index in range(len(layers) - 1, -1, -1):
        grad_w, grad_b = grad_layers[index]
        below = inputs[index]
        grad_w[...] = np.matmul(np.swapaxes(below, -1, -2), delta)
        grad_b[...] = delta.sum(axis=1, keepdims=True)
        if index:
            delta = np.matmul(delta, np.swapaxes(layers[index][0], -1, -2))
            delta *= below > 0  # ReLU's derivative
    return loss.astype(np.float64), correct, grad


# ---------------------------------------------------------------------------------------
# training


def _whole_number(name: str, value, *, low: int, high: int | None = None, extra: str = "") -> int:
    """``value`` as an int in ``[low, high]``; ValueError naming ``name`` otherwise."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    bound = f"between {low} and {high}{extra}" if high is not None else f"at least {low}"
    raise ValueError(f"{name} must be a whole number {bound}, got {value!r}")


def _batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: a fresh permutation cut into pieces, each sorted (data order)."""
    order = rng.permutation(n)
    return [np.sort(order[i : i + batch_size]) for i in range(0, n, batch_size)]


def train_many(
    optimizers: Sequence[Optimizer],
    epochs: int,
    *,
    hidden: Sequence[int] = (100, 100),
    seed: int = 0,
    batch_size: int | None = None,
    data: Dataset | None = None,
    dtype=np.float64,
    progress: Callable[[int, int], None] | None = None,
) -> list[TrainingHistory]:
    """Train one network per optimizer, all from the same initial weights, together.

    Each network sees the same batches in the same order; ``seed`` fixes the initial
    weights and the batch order (two independent streams, so the initial weights do not
    depend on ``batch_size``). ``batch_size=None`` is full batch. ``dtype`` is the type of
    the matrix products (float32 is about twice as fast; weights and optimizer state stay
    float64). ``progress(done, epochs)`` is called after every epoch. Arithmetic that
    overflows gives inf/NaN losses silently; training goes on and shows them.
    ValueError for zero or negative epochs, a batch size outside ``1..n``, bad widths.
    """
    optimizers = list(optimizers)
    if not optimizers:
        raise ValueError("train_many needs at least one optimizer")
    for optimizer in optimizers:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"expected an optviz Optimizer, got {type(optimizer).__name__}")
    epochs = _whole_number("epochs", epochs, low=1)
    data = load_digits() if data is None else data
    n = data.size
    full_batch = batch_size is None
    if not full_batch:
        batch_size = _whole_number(
            "batch_size", batch_size, low=1, high=n, extra=f" (the training set has {n})"
        )
    sizes = layer_sizes(data, hidden)
    init_rng, order_rng = _streams(seed)
    weights = np.tile(init_weights(sizes, init_rng), (len(optimizers), 1))
    states = [optimizer.init(row) for optimizer, row in zip(optimizers, weights, strict=True)]
    loss = np.empty((len(optimizers), epochs + 1))
    correct = np.empty((len(optimizers), epochs + 1), dtype=np.int64)
    x, y = data.x.astype(dtype), data.y
    steps = 0

    def step(grad):
        for r, optimizer in enumerate(optimizers):
            delta, states[r] = optimizer.update(grad[r], states[r], weights[r])
            weights[r] = weights[r] + delta

    with np.errstate(all="ignore"):
        if not full_batch:
            loss[:, 0], correct[:, 0], _ = loss_and_gradient(
                sizes, weights, x, y, gradient=False, dtype=dtype
            )
        for epoch in range(epochs):
            if full_batch:
                loss[:, epoch], correct[:, epoch], grad = loss_and_gradient(
                    sizes, weights, x, y, dtype=dtype
                )
                step(grad)
                steps += 1
            else:
                for batch in _batches(n, batch_size, order_rng):
                    _, _, grad = loss_and_gradient(sizes, weights, x[batch], y[batch], dtype=dtype)
                    step(grad)
                    steps += 1
                loss[:, epoch + 1], correct[:, epoch + 1], _ = loss_and_gradient(
                    sizes, weights, x, y, gradient=False, dtype=dtype
                )
            if progress is not None:
                progress(epoch + 1, epochs)
        if full_batch:
            loss[:, epochs], correct[:, epochs], _ = loss_and_gradient(
                sizes, weights, x, y, gradient=False, dtype=dtype
            )
    accuracy = correct / n
    return [
        TrainingHistory(loss[r], accuracy[r], weights[r].copy(), steps)
        for r in range(len(optimizers))
    ]


def train(
    optimizer: Optimizer,
    epochs: int,
    *,
    hidden: Sequence[int] = (100, 100),
    seed: int = 0,
    batch_size: int | None = None,
    data: Dataset | None = None,
    dtype=np.float64,
) -> TrainingHistory:
    """Train one network with ``optimizer`` for ``epochs`` passes over ``data`` (digits).

    ``loss[k]`` and ``accuracy[k]`` are measured on the whole training set after k epochs,
    k = 0 .. epochs. See :func:`train_many` for the other arguments and the errors.
    """
    return train_many(
        [optimizer],
        epochs,
        hidden=hidden,
        seed=seed,
        batch_size=batch_size,
        data=data,
        dtype=dtype,
    )[0]
