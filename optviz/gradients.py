"""Gradient sources: what the optimizer sees at each step of :func:`optviz.descent.step_paths`.

A gradient source is a function ``source(params, k) -> g``: the gradient the optimizer
uses on step k + 1, at the points ``params`` ``(..., 2)`` = θ_k, shape ``(..., 2)``
float64. Three kinds compose:

* :func:`exact_gradient`: the surface's analytic gradient ∇f(θ_k);
* :func:`minibatch_gradient`: for a loss that is a mean over n data points
  (``surface.data``), the gradient of the mean over the batch :meth:`MiniBatches.indices`
  ``(k)`` only (a batch of all n points is ``surface.grad`` itself);
* :func:`with_noise`: any source plus Gaussian noise, one independent draw per step,
  path and coordinate.

:func:`gradient_source` builds the one a run asks for.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

GradientSource = Callable[[np.ndarray, int], np.ndarray]
"""``source(params (..., 2), k) -> (..., 2)``: the gradient used on step k + 1."""


def exact_gradient(surface) -> GradientSource:
    """``∇f(θ_k)`` from ``surface.grad`` (``k`` is not used)."""
    grad = surface.grad
    return lambda params, k: grad(params)


def noise_draws(noise, seed, shape) -> Callable[[], np.ndarray] | None:
    """Function of nothing returning one draw of gradient noise of ``shape``, or None
    when ``noise`` is 0 everywhere.

    ``noise`` is a standard deviation (scalar or broadcasting against ``shape``); the
    draws are ``noise · ξ`` with ξ standard normal from ``np.random.default_rng(seed)``.
    ValueError unless ``noise`` is finite and ≥ 0.
    """
    noise = np.asarray(noise, dtype=np.float64)
    if not np.all(np.isfinite(noise) & (noise >= 0)):
        raise ValueError(f"noise must be a finite standard deviation ≥ 0, got {noise}")
    if not np.any(noise > 0):
        return None
    rng = np.random.default_rng(seed)
    return lambda: noise * rng.standard_normal(shape)


def with_noise(source: GradientSource, noise, seed, shape) -> GradientSource:
    """``source(θ_k, k) + noise·ξ_k`` (see :func:`noise_draws`); ``source`` itself when
    there is no noise. Every call draws once, so the k-th call gets ξ_k."""
    draw = noise_draws(noise, seed, shape)
    if draw is None:
        return source
    return lambda params, k: source(params, k) + draw()


def _whole(name: str, value, low: int) -> int:
    """``value`` as an int if it is a whole number ≥ ``low`` (not a bool); ValueError."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or int(value) != value or value < low:
        raise ValueError(f"{name} must be a whole number ≥ {low}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class MiniBatches:
    """Which of ``n`` data points each step's gradient is taken on.

    Epoch e is a fresh permutation π_e of the n points,
    ``np.random.default_rng((seed, e)).permutation(n)``, cut into
    ``per_epoch = ⌈n / size⌉`` consecutive batches: batch j is ``π_e[j·size : (j+1)·size]``,
    so when ``size`` does not divide n the last batch of every epoch holds the remaining
    ``n − (per_epoch − 1)·size`` points (as torch's ``DataLoader(shuffle=True)``). Step k
    (k = 0, 1, ...; the step from θ_k to θ_{k+1}) uses batch ``k mod per_epoch`` of epoch
    ``k // per_epoch``. Each epoch's permutation depends only on ``(seed, e)``, so the
    batch of any step can be looked up on its own.

    Attributes:
        n: number of data points (≥ 1).
        size: points per batch, 1 ≤ size ≤ n (size = n: every step sees all points).
        seed: whole number ≥ 0.

    Raises:
        ValueError: ``size`` not a whole number, < 1 or > n; ``seed`` not a whole number ≥ 0.
    """

    n: int
    size: int
    seed: int = 0

    def __post_init__(self):
        n = _whole("the number of data points", self.n, 1)
        size = _whole("batch size", self.size, 1)
        if size > n:
            raise ValueError(
                f"batch size must be at most the number of data points {n}, got {size}"
            )
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "seed", _whole("batch seed", self.seed, 0))

    @property
    def per_epoch(self) -> int:
        """Batches per epoch, ⌈n / size⌉."""
        return -(-self.n // self.size)

    def epoch(self, k: int) -> int:
        """The epoch step k falls in."""
        return _whole("step", k, 0) // self.per_epoch

    def permutation(self, epoch: int) -> np.ndarray:
        """``(n,)`` int: the order of the points in ``epoch``."""
        rng = np.random.default_rng((self.seed, _whole("epoch", epoch, 0)))
        return rng.permutation(self.n)

    def indices(self, k: int, permutation: np.ndarray | None = None) -> np.ndarray:
        """``(b,)`` int: the points whose gradient step k takes (b = size, or fewer for
        the last batch of an epoch). ``permutation`` is epoch ``self.epoch(k)``'s, if the
        caller already has it."""
        e, j = divmod(_whole("step", k, 0), self.per_epoch)
        order = self.permutation(e) if permutation is None else permutation
        return order[j * self.size : (j + 1) * self.size]


def minibatch_gradient(surface, batches: MiniBatches) -> GradientSource:
    """The gradient of the mean over step k's batch, ``surface.data.grad(θ_k, idx_k)``.

    A batch of all n points is the full data: its gradient is ``surface.grad`` itself, so
    ``size = n`` gives the full-batch path to the last bit.
    """
    data = _data(surface)
    if batches.n != data.n:
        raise ValueError(f"batches are over {batches.n} points, the surface has {data.n}")
    if batches.size == data.n:
        return exact_gradient(surface)
    cache = {}  # the current epoch's permutation: one draw per epoch, not per step

    def source(params, k):
        e = k // batches.per_epoch
        if e not in cache:
            cache.clear()
            cache[e] = batches.permutation(e)
        return data.grad(params, batches.indices(k, cache[e]))

    return source


def _data(surface):
    data = getattr(surface, "data", None)
    if data is None:
        name = getattr(surface, "name", type(surface).__name__)
        raise ValueError(f"mini-batches need a loss over data points; {name} has none")
    return data


def gradient_source(
    surface, shape, *, noise=0.0, seed=None, batch_size=None, batch_seed=0
) -> tuple[GradientSource, MiniBatches | None]:
    """The source a run asks for and its :class:`MiniBatches` (None for full batch).

    ``batch_size=None``: the exact gradient; a whole number b with 1 ≤ b ≤ n: mini-batches
    of ``surface.data`` (:func:`minibatch_gradient`, order from ``batch_seed``). Noise
    (standard deviation ``noise``, generator ``seed``, draws of ``shape``) adds on top.

    Raises:
        ValueError: bad noise, bad batch size or seed, a batch size on a surface with no data.
    """
    if batch_size is None:
        source, batches = exact_gradient(surface), None
    else:
        batches = MiniBatches(_data(surface).n, batch_size, batch_seed)
        source = minibatch_gradient(surface, batches)
    return with_noise(source, noise, seed, shape), batches
