"""The step inspector's numbers: what one run did at step k, and arrows to draw there.

Convention (``optviz.descent``): θ_k is the point after k steps; g_k = ``grads[k]`` is the
gradient the optimizer saw there (gradient noise included); the update number
t = k + 1 uses g_k and the state after k steps, and moves θ_k to θ_{k+1}. The inspector
reports θ_k, g_k, the state after k steps (what the update reads), and the quantities of
update t = k + 1 computed from the *same* SymPy assignments the equations panel shows
(:mod:`optviz.equations`): new buffers, m̂, v̂, denominators, and the learning rates.

Two per-coordinate learning rates are reported:

* ``effective_lr = −Δθ / g`` (NaN where g = 0): the plain-SGD learning rate that would
  have made the same move. Negative where the step went uphill in that coordinate
  (momentum carrying the point on); independent of the optimizer.
* ``adaptive_lr``: the optimizer's own factor in front of its direction (η for SGD,
  η/(√v̂ + ε) for Adam, η/a for RMSprop, …; see :func:`optviz.equations.adaptive_lr_expr`),
  or None where its record gives none (a piecewise or sign step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import sympy as sp

from . import equations as eq
from .rules import OWN_SYMBOLS, RULES
from .symbols import SYMBOL_NOTES, SYMBOL_TEXT

DERIVED_LABELS: dict[sp.Symbol, str] = {
    **SYMBOL_NOTES,
    **{symbol: text for symbol, (_, text) in OWN_SYMBOLS.items()},
}
"""Intermediate symbols -> readable names (state rows use :func:`state_label`)."""


def state_label(text: str, field: str) -> str:
    """A state row's name: its symbol's text and the library's variable name,
    ``"m (exp_avg)"``, or the text alone where they agree (the book's ``"h"``)."""
    return text if text == field else f"{text} ({field})"


STATE_LABELS: dict[str, str] = {
    name: state_label(SYMBOL_TEXT.get(symbol) or OWN_SYMBOLS[symbol][1], name)
    for name, symbol in {
        field: symbol
        for record in RULES["pytorch"].values()
        for field, symbol in record.state.items()
    }.items()
}
"""torch's buffer name -> its row name in PyTorch's notation (``"m (exp_avg)"``)."""


def derived_label(symbol: sp.Symbol, texts: dict) -> str:
    """An intermediate quantity's row name, its symbol written as ``texts`` writes it
    (the course's Δw for AdaDelta's Δ)."""
    label = DERIVED_LABELS.get(symbol, str(symbol))
    plain = SYMBOL_TEXT.get(symbol) or SYMBOL_NOTES.get(symbol, "").split(" ")[0]
    text = texts.get(symbol)
    if text and plain and text != plain and label.startswith(plain):
        return text + label[len(plain) :]
    return label


@dataclass(frozen=True, eq=False)
class StepReport:
    """One run at step k (arrays are float64; NaN where undefined).

    Attributes:
        k: the step shown, after clamping to ``[0, T]``; ``requested_k`` as asked.
        steps: T. ``t``: the update number that starts here, k + 1.
        theta: (2,) θ_k. ``grad``: (2,) g_k, the gradient the step used: noise included
            (``noisy``), taken on step k's mini-batch only (``batched``).
        true_grad: (2,) ∇f(θ_k), the full-data gradient without noise, when a surface was
            given, else None.
        batch_grad: (2,) the gradient of the mean over step k's mini-batch without noise,
            for a mini-batch run with noise on a surface with data (else None; without
            noise it is ``grad`` itself).
        delta: (2,) θ_{k+1} − θ_k; NaN at k = T or when the path has diverged by k + 1.
        loss: f(θ_k). ``lr``: the learning rate update t uses (a schedule at step k).
        state: readable name -> value of the state after k steps (what update t reads).
        derived: readable name -> value computed by update t (new buffers, m̂, v̂, ...);
            empty at k = T and once the path has diverged.
        tex: readable name -> LaTeX symbol, for every key of ``state`` and ``derived``.
        effective_lr: (2,) −Δθ/g_k per coordinate (NaN where g = 0 or no step).
        adaptive_lr: (2,) the optimizer's own factor (see the module doc) or None.
        diverged: θ_k is no longer finite (k ≥ ``diverged_at``).
        diverged_at: the step the path diverged at, or None.
        last: k = T, so there is no next step.
        notation: the names of the symbols (:data:`optviz.symbols.NOTATIONS`).
        words: row name of a state (and its new value) -> ``(field, meaning)``: the
            library's variable name and a key of what it holds (the page's words).
    """

    k: int
    requested_k: int
    steps: int
    path: int
    theta: np.ndarray
    grad: np.ndarray
    delta: np.ndarray
    loss: float
    lr: float | None
    state: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)
    tex: dict = field(default_factory=dict)
    effective_lr: np.ndarray | None = None
    adaptive_lr: np.ndarray | None = None
    true_grad: np.ndarray | None = None
    batch_grad: np.ndarray | None = None
    noisy: bool = False
    batched: bool = False
    diverged: bool = False
    diverged_at: int | None = None
    last: bool = False
    notation: str = "pytorch"
    words: dict = field(default_factory=dict)

    @property
    def t(self) -> int:
        """The update number that starts at θ_k (t = k + 1)."""
        return self.k + 1

    def _grad_name(self) -> str:
        """g_k's row name: what the gradient the step used was taken on."""
        if not self.batched:
            return "g"
        if self.noisy:
            return "g (mini-batch gradient + noise, used for the step)"
        return "g (mini-batch gradient, used for the step)"

    def rows(self) -> list[tuple[str, str, np.ndarray]]:
        """Table rows ``(latex, name, value)``: θ_k, g_k, Δθ, the lrs, state, derived."""
        if self.notation == "course":
            theta, grad, delta = "W_k", r"\left(\frac{\partial L}{\partial W}\right)_k", r"\Delta W"
            names, ratio = ("W", "∂L/∂W", "ΔW"), r"-\Delta W \,/\, \frac{\partial L}{\partial W}"
            batch_grad, true_grad = r"\nabla L_B(W_k)", r"\nabla L(W_k)"
        else:
            theta, grad, delta = r"\theta_k", "g_k", r"\Delta\theta"
            names, ratio = ("θ", "g", "Δθ"), r"-\Delta\theta / g"
            batch_grad, true_grad = r"\nabla f_B(\theta_k)", r"\nabla f(\theta_k)"
        grad_name = self._grad_name() if self.batched else names[1]
        rows = [(theta, names[0], self.theta), (grad, grad_name, self.grad)]
        if self.batch_grad is not None:
            rows.append((batch_grad, "∇f_B (mini-batch gradient, no noise)", self.batch_grad))
        if self.true_grad is not None:
            name = "∇f (full-data gradient)" if self.batched else "∇f (no noise)"
            rows.append((true_grad, name, self.true_grad))
        rows.append((delta, names[2], self.delta))
        if self.effective_lr is not None:
            rows.append((ratio, "effective lr", self.effective_lr))
        if self.adaptive_lr is not None:
            rows.append((r"\eta_{\text{eff}}", "adaptive lr", self.adaptive_lr))
        rows += [(self.tex[name], name, value) for name, value in self.state.items()]
        rows += [(self.tex[name], name, value) for name, value in self.derived.items()]
        return rows


def _as_row(value) -> np.ndarray:
    """A 0-d array for a single number, else the value broadcast to (2,)."""
    arr = np.asarray(value, dtype=float)
    if arr.size == 1:
        return arr.reshape(())
    return np.broadcast_to(arr, (1, 2))[0].copy()


def _pick(value, path: int, n: int):
    """One path's value out of an (N, ...) array; scalars and other shapes unchanged."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim >= 1 and arr.shape[0] == n:
        arr = arr[path]
    if arr.ndim >= 1 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return arr


def _pick_hyperparams(hyperparams: dict, path: int, n: int) -> dict:
    """Array hyperparameters of a batched sweep (shape (N, 1)) reduced to one path."""
    picked = {}
    for name, value in hyperparams.items():
        if isinstance(value, np.ndarray):
            value = _pick(value, path, n)
            value = float(value) if value.ndim == 0 else value
        picked[name] = value
    return picked


def _state_row(states, k: int, path: int, n: int):
    """The state after k steps for one path, as the optimizer's NamedTuple."""
    values = []
    for name, column in zip(states._fields, states, strict=True):
        row = np.asarray(column)[k]
        values.append(int(row) if name == "count" else _pick(row, path, n)[None])
    return type(states)(*values)


def _scalar_lr(lr, k: int) -> float | None:
    value = np.asarray(eq.lr_at(lr, k), dtype=float)
    return float(value) if value.size == 1 else None


def inspect_step(
    trajectory, optimizer, k: int, path: int = 0, *, surface=None, noise=0.0, notation="pytorch"
):
    """The :class:`StepReport` of run ``path`` at step ``k`` (clamped to ``[0, T]``).

    The optimizer's own convention (``optimizer.convention``: PyTorch, Keras or the book)
    gives the rule and the state's names; ``notation`` the symbols they are written with.

    Args:
        trajectory: :class:`optviz.descent.Trajectory` (points ``(T+1, N, 2)``, ...).
        optimizer: the :class:`optviz.optimizers.Optimizer` that produced it.
        k: the step (synced with the animation); out of range is clamped.
        path: which of the N starts.
        surface: optional; gives the full-data, noise-free gradient ∇f(θ_k) for
            comparison (and, for a noisy mini-batch run, the batch's gradient without noise).
        noise: the run's gradient-noise level (only flags that g_k is noisy).

    A mini-batch run (``trajectory.batches`` set) is ``batched``: g_k is the gradient of
    the mean over step k's batch, ``batches.indices(k)``.
    """
    n_steps = trajectory.points.shape[0] - 1
    n = trajectory.points.shape[1]
    if not 0 <= path < n:
        raise ValueError(f"path must be in [0, {n - 1}], got {path}")
    requested = int(k)
    k = min(max(requested, 0), n_steps)
    key = optimizer.name
    convention = getattr(optimizer, "convention", "pytorch")
    record = eq.rule_record(key, convention)
    names = eq.symbol_names(key, convention, notation)
    texts = eq.symbol_texts(key, convention, notation)
    hp = _pick_hyperparams(dict(optimizer.hyperparams or {}), path, n)
    theta = trajectory.points[k, path].copy()
    grad = trajectory.grads[k, path].copy()
    diverged_at = int(trajectory.diverged_at[path])
    diverged = diverged_at >= 0 and k >= diverged_at
    last = k == n_steps
    delta = np.full(2, np.nan)
    if not last:
        delta = trajectory.points[k + 1, path] - theta
    noisy = bool(np.any(np.asarray(noise) > 0))
    batches = getattr(trajectory, "batches", None)
    true_grad = batch_grad = None
    if surface is not None:
        with np.errstate(all="ignore"):
            true_grad = np.asarray(surface.grad(theta), dtype=float)
            if batches is not None and noisy and getattr(surface, "data", None) is not None:
                batch_grad = np.asarray(surface.data.grad(theta, batches.indices(k)), dtype=float)
    state_row = _state_row(trajectory.states, k, path, n)
    used = set()
    for lhs, rhs in eq.update_steps(key, hp, convention):
        used |= {lhs} | rhs.free_symbols
    state, tex, words = {}, {}, {}
    for name in state_row._fields:
        symbol = record.state.get(name)
        if symbol in used:
            label = state_label(texts[symbol], name)
            state[label] = _as_row(getattr(state_row, name))
            tex[label] = names[symbol]
            words[label] = words["new " + label] = (name, record.meanings.get(name, name))
    derived, adaptive, effective = {}, None, None
    if not last and not diverged:
        before = eq.initial_env(key, hp, grad[None], state_row, theta[None], convention)
        after = eq.evaluate_update(key, hp, grad[None], state_row, theta[None], convention)
        derived, derived_tex = _derived(key, hp, after, convention, names, texts)
        tex.update(derived_tex)
        value = eq.adaptive_lr(key, hp, before, after, convention)
        adaptive = None if value is None else np.broadcast_to(value, (1, 2))[0].copy()
        with np.errstate(all="ignore"):
            effective = np.where(grad != 0, -delta / np.where(grad != 0, grad, 1.0), np.nan)
    return StepReport(
        k=k,
        requested_k=requested,
        steps=n_steps,
        path=path,
        theta=theta,
        grad=grad,
        delta=delta,
        loss=float(trajectory.values[k, path]),
        lr=_scalar_lr(hp.get(record.lr_keyword), k),
        state=state,
        derived=derived,
        tex=tex,
        effective_lr=effective,
        adaptive_lr=adaptive,
        true_grad=true_grad,
        batch_grad=batch_grad,
        noisy=noisy,
        batched=batches is not None,
        diverged=diverged,
        diverged_at=diverged_at if diverged_at >= 0 else None,
        last=last,
        notation=notation,
        words=words,
    )


def _derived(key, hyperparams, env, convention, names, texts) -> tuple[dict, dict]:
    """Readable name -> value (and -> LaTeX) for every quantity update t assigned."""
    field_of = {symbol: name for name, symbol in eq.rule_record(key, convention).state.items()}
    values, tex = {}, {}
    for lhs, _ in eq.update_steps(key, hyperparams, convention):
        if lhs == eq.THETA:
            continue
        if lhs in field_of:
            label = "new " + state_label(texts[lhs], field_of[lhs])
        else:
            label = derived_label(lhs, texts)
        values[label] = _as_row(env[lhs])
        tex[label] = names[lhs]
    return values, tex


class Arrows(NamedTuple):
    """Arrows at step k for every run, each ``(N, 2, 2)``: ``[i, 0]`` start, ``[i, 1]`` end.

    ``gradient``: −g_k, drawn from θ_k, scaled by the common factor ``scale`` (so the
    longest arrow has the requested length and the runs keep their relative sizes).
    ``step``: the actual move θ_k → θ_{k+1}, unscaled. Rows are NaN where undefined
    (diverged, or no next step at k = T).
    """

    gradient: np.ndarray
    step: np.ndarray
    scale: float


def gradient_scale(trajectories, bounds, fraction: float = 0.12) -> float:
    """One drawing scale for the −g arrows of a whole animation: the longest gradient of any
    run at any step is drawn ``fraction`` of the window's diagonal long, every other one in
    proportion, so a small gradient always looks small. ``trajectories``: objects with
    ``grads (T+1, N, 2)``; ``bounds``: ``((x0, x1), (y0, y1))``. 0 when every gradient is
    zero or undefined."""
    top = 0.0
    for trajectory in trajectories:
        with np.errstate(all="ignore"):
            norms = np.hypot(trajectory.grads[..., 0], trajectory.grads[..., 1])
        finite = norms[np.isfinite(norms)]
        if finite.size:
            top = max(top, float(finite.max()))
    (x0, x1), (y0, y1) = bounds
    return fraction * math.hypot(x1 - x0, y1 - y0) / top if top > 0 else 0.0


def step_arrows(trajectory, k: int, *, length: float | None = None) -> Arrows:
    """Arrows of −g_k (scaled for visibility) and Δθ_k for all N runs at step k.

    ``length`` is the drawn length of the longest −g arrow, in plot units; by default
    one tenth of the diagonal of the box holding all finite points of the paths.
    ``scale`` = length / max_i ‖g_k,i‖ (0 if every gradient is zero or undefined).
    """
    points = trajectory.points
    n_steps = points.shape[0] - 1
    k = min(max(int(k), 0), n_steps)
    theta = points[k]
    grad = trajectory.grads[k]
    if length is None:
        finite = points[np.all(np.isfinite(points), axis=-1)]
        span = np.ptp(finite, axis=0) if finite.size else np.zeros(2)
        length = 0.1 * float(np.hypot(*span)) or 1.0
    with np.errstate(all="ignore"):
        norms = np.hypot(grad[:, 0], grad[:, 1])
    finite_norms = norms[np.isfinite(norms)]
    top = float(finite_norms.max()) if finite_norms.size else 0.0
    scale = length / top if top > 0 else 0.0
    gradient = np.stack((theta, theta - scale * grad), axis=1)
    after = points[k + 1] if k < n_steps else np.full_like(theta, np.nan)
    step = np.stack((theta, after), axis=1)
    return Arrows(gradient=gradient, step=step, scale=scale)
