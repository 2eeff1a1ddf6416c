""" "Copy as NumPy": a plain NumPy script that reproduces runs, in the style of the course's code.

:func:`numpy_script` writes the surface as ``f(W)`` and its analytic ``gradient(W)``
(``W`` of shape ``(N, 2)``, one row per start), then one block per run: the run's
hyperparameters under its convention's names, its state arrays (zeros, as the libraries
start them) and one loop with the update rule written out line by line, in the order and
with the operations of :data:`optviz.CONVENTIONS` (so the printed final points equal
:func:`optviz.run`'s to rounding). Only the branches a run uses are written (no Nesterov
line for plain momentum, no weight-decay line without weight decay).

Nothing typed by a user becomes code except a typed formula, and that only through the
allow-list parser (:func:`surfaces.expression.parse_formula`) and SymPy's printer, as for
the PyTorch script. Labels appear only as string literals (``repr``) and in comments with
every line break removed; hyperparameters only as numeric literals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

import numpy as np

from .conventions import lr_keyword
from .exports import ExportRun, _formula_expr
from .exports import _py as _torch_py

# ---------------------------------------------------------------------------------------
# the surface

_CATALOG = {
    "rosenbrock": (
        ["return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2"],
        [
            "r = y - x * x",
            "return np.stack((-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r), axis=-1)",
        ],
    ),
    "saddle": (
        ["return x * x - y * y"],
        ["return np.stack((2.0 * x, -2.0 * y), axis=-1)"],
    ),
    "monkey_saddle": (
        ["return x * (x * x - 3.0 * y * y)"],
        ["return np.stack((3.0 * (x * x - y * y), -6.0 * x * y), axis=-1)"],
    ),
    "himmelblau": (
        ["return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2"],
        [
            "u = x * x + y - 11.0",
            "v = x + y * y - 7.0",
            "return np.stack((4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v), axis=-1)",
        ],
    ),
    "beale": (
        [
            "y2 = y * y",
            "return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y2) ** 2 "
            "+ (2.625 - x + x * y2 * y) ** 2",
        ],
        [
            "y2 = y * y",
            "y3 = y2 * y",
            "t1 = 1.5 - x + x * y",
            "t2 = 2.25 - x + x * y2",
            "t3 = 2.625 - x + x * y3",
            "gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))",
            "gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)",
            "return np.stack((gx, gy), axis=-1)",
        ],
    ),
    "booth": (
        ["return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2"],
        [
            "a = x + 2.0 * y - 7.0",
            "b = 2.0 * x + y - 5.0",
            "return np.stack((2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b), axis=-1)",
        ],
    ),
    "six_hump_camel": (
        [
            "x2, y2 = x * x, y * y",
            "return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2",
        ],
        [
            "x2 = x * x",
            "gx = x * (8.0 - 8.4 * x2 + 2.0 * x2 * x2) + y",
            "gy = x - 8.0 * y + 16.0 * y * y * y",
            "return np.stack((gx, gy), axis=-1)",
        ],
    ),
    "styblinski_tang": (
        [
            "x2, y2 = x * x, y * y",
            "return 0.5 * ((x2 * x2 - 16.0 * x2 + 5.0 * x) + (y2 * y2 - 16.0 * y2 + 5.0 * y))",
        ],
        [
            "gx = 0.5 * (4.0 * x**3 - 32.0 * x + 5.0)",
            "gy = 0.5 * (4.0 * y**3 - 32.0 * y + 5.0)",
            "return np.stack((gx, gy), axis=-1)",
        ],
    ),
    "rastrigin": (
        [
            "tau = 2.0 * np.pi",
            "return 20.0 + (x * x - 10.0 * np.cos(tau * x)) + (y * y - 10.0 * np.cos(tau * y))",
        ],
        [
            "tau = 2.0 * np.pi",
            "k = 10.0 * tau",
            "gx = 2.0 * x + k * np.sin(tau * x)",
            "gy = 2.0 * y + k * np.sin(tau * y)",
            "return np.stack((gx, gy), axis=-1)",
        ],
    ),
    "ackley": (
        [
            "tau = 2.0 * np.pi",
            "rho = np.hypot(x, y) * np.sqrt(0.5)",
            "wave = np.exp(0.5 * (np.cos(tau * x) + np.cos(tau * y)))",
            "return -20.0 * np.exp(-0.2 * rho) - wave + np.e + 20.0",
        ],
        [
            "#@ackley_origin",
            "tau = 2.0 * np.pi",
            "r = np.hypot(x, y)",
            "safe = np.where(r > 0.0, r, 1.0)",
            "radial = 2.0 * np.sqrt(2.0) * np.exp(-0.2 * np.sqrt(0.5) * r)",
            "ux = np.where(r > 0.0, x / safe, 0.0)",
            "uy = np.where(r > 0.0, y / safe, 0.0)",
            "wave = np.pi * np.exp(0.5 * (np.cos(tau * x) + np.cos(tau * y)))",
            "gx = radial * ux + wave * np.sin(tau * x)",
            "gy = radial * uy + wave * np.sin(tau * y)",
            "return np.stack((gx, gy), axis=-1)",
        ],
    ),
    "goldstein_price": (
        [
            "a, b = x + y + 1.0, 2.0 * x - 3.0 * y",
            "p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y",
            "q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y",
            "return (1.0 + a * a * p) * (30.0 + b * b * q)",
        ],
        [
            "a, b = x + y + 1.0, 2.0 * x - 3.0 * y",
            "p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y",
            "q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y",
            "big_a, big_b = 1.0 + a * a * p, 30.0 + b * b * q",
            "da = 2.0 * a * p + a * a * (-14.0 + 6.0 * x + 6.0 * y)  #@gp_same",
            "db_dx = 4.0 * b * q + b * b * (-32.0 + 24.0 * x - 36.0 * y)",
            "db_dy = -6.0 * b * q + b * b * (48.0 - 36.0 * x + 54.0 * y)",
            "return np.stack((da * big_b + big_a * db_dx, da * big_b + big_a * db_dy), axis=-1)",
        ],
    ),
}
"""``SURFACES`` key -> (body of ``f``, body of ``gradient``) in x, y, with the operations of
the ``surfaces`` package (the same rounding)."""


def _py(value) -> str:
    """A Python literal for a number, a bool or a tuple of numbers (floats with repr)."""
    try:
        return _torch_py(value)
    except ValueError:
        raise ValueError(
            f"cannot write {value!r} as a NumPy constant (an array-valued hyperparameter "
            "of a batched sweep?)"
        ) from None


def _one_line(text) -> str:
    """``text`` on one line (every line break and tab a space): safe inside a comment."""
    return " ".join(str(text).split())


def _function(name: str, doc: str, body: list[str]) -> list[str]:
    return [
        f"def {name}(W):",
        f'    """{doc}"""',
        "    x, y = W[..., 0], W[..., 1]",
        *[f"    {line}" for line in body],
    ]


_F_DOC = "@f_doc"
_GRAD_DOC = "@gradient_doc"


def _formula_lines(surface) -> list[str]:
    from sympy.printing.numpy import NumPyPrinter

    from surfaces.expression import _float_ints, gradient_exprs

    expr = _formula_expr(surface)  # the allow-list parser's SymPy expression
    printer = NumPyPrinter({"fully_qualified_modules": True, "inline": True, "order": "none"})

    def code(e):
        names = {s.name for s in e.free_symbols}
        if not names <= {"x", "y"}:
            raise ValueError(f"a formula may use only x and y, got {sorted(names)}")
        text = printer.doprint(_float_ints(e)).replace("numpy.", "np.")
        if "functools" in text or "\n" in text:
            raise ValueError("this formula cannot be written as a NumPy expression")
        return text

    fx, fy = gradient_exprs(expr)
    text = dict(surface.params or {}).get("expression")
    comment = [f"# f(x, y) = {_one_line(text)}"] if text else []
    return [
        *_function("f", _F_DOC, [*comment, f"return {code(expr)} + np.zeros_like(x)"]),
        "",
        "",
        *_function(
            "gradient",
            _GRAD_DOC,
            [
                f"gx = {code(fx)}",
                f"gy = {code(fy)}",
                "gx, gy, _ = np.broadcast_arrays(gx, gy, x)  #@constant_parts",
                "return np.stack((gx, gy), axis=-1).astype(float)",
            ],
        ),
    ]


def surface_numpy(surface) -> list[str]:
    """Lines defining ``f(W)`` and ``gradient(W)`` (and their constants) for ``surface``.

    Raises:
        ValueError: a surface with no NumPy version here.
    """
    name = surface.name
    params = dict(surface.params or {})
    if name in _CATALOG:
        f_body, grad_body = _CATALOG[name]
        return [
            *_function("f", _F_DOC, f_body),
            "",
            "",
            *_function("gradient", _GRAD_DOC, grad_body),
        ]
    if name == "bowl":
        from surfaces.quadratic import bowl_hessian

        h11, h12, h22 = bowl_hessian(params["condition"], params["angle_deg"], params["scale"])
        return [
            f"H11, H12, H22 = {h11!r}, {h12!r}, {h22!r}  #@bowl_hessian",
            "",
            "",
            *_function(
                "f", _F_DOC, ["return 0.5 * (H11 * x * x + 2.0 * H12 * x * y + H22 * y * y)"]
            ),
            "",
            "",
            *_function(
                "gradient",
                _GRAD_DOC,
                ["return np.stack((H11 * x + H12 * y, H12 * x + H22 * y), axis=-1)"],
            ),
        ]
    if name == "linear_regression":
        xs = ", ".join(repr(float(v)) for v in params["x"])
        ys = ", ".join(repr(float(v)) for v in params["y"])
        return [
            "#@regression_data",
            f"X = np.array([{xs}])",
            f"Y = np.array([{ys}])",
            "#@regression_solution",
            "design = np.stack((X, np.ones_like(X)), axis=-1)",
            "(W_STAR, B_STAR), *_ = np.linalg.lstsq(design, Y, rcond=None)",
            "L_STAR = float(np.mean((W_STAR * X + B_STAR - Y) ** 2))",
            "MXX, MX = float(np.mean(X * X)), float(np.mean(X))",
            "",
            "",
            *_function(
                "f",
                "@regression_f_doc",
                [
                    "dw, db = x - W_STAR, y - B_STAR",
                    "return L_STAR + (MXX * dw * dw + 2.0 * MX * dw * db + db * db)",
                ],
            ),
            "",
            "",
            *_function(
                "gradient",
                _GRAD_DOC,
                [
                    "dw, db = x - W_STAR, y - B_STAR",
                    "return np.stack((2.0 * (MXX * dw + MX * db), 2.0 * (MX * dw + db)), axis=-1)",
                ],
            ),
        ]
    if name == "formula" or "expression" in params:
        return _formula_lines(surface)
    raise ValueError(f"no NumPy version of the surface {name!r}")


# ---------------------------------------------------------------------------------------
# the update rules


class _Rule:
    """One run's update in code: constants, state arrays, loop body (after ``grad``)."""

    def __init__(self, first_lr: str = "lr"):
        self.first_lr = first_lr  # the learning rate of step 1, as code
        self.constants: list[tuple[str, object]] = []
        self.state: list[str] = []
        self.body: list[str] = []

    def const(self, name: str, value) -> None:
        self.constants.append((name, value))

    def zeros(self, *names: str) -> None:
        self.state += [f"{name} = np.zeros_like(W)" for name in names]


RuleWriter = Callable[[_Rule, dict], None]
"""Writes one optimizer's constants, state and loop body into a :class:`_Rule`."""


def _on(value) -> bool:
    """A weight decay / momentum that changes something (not None, not 0)."""
    return value is not None and not (np.ndim(value) == 0 and float(value) == 0.0)


def _torch_prelude(rule: _Rule, hp: dict, *, decoupled: bool = False) -> None:
    """maximize, then coupled ``g + λθ`` or decoupled ``θ(1 − ηλ)`` weight decay."""
    if hp.get("maximize"):
        rule.body.append("grad = -grad  #@maximize")
    if _on(hp.get("weight_decay")):
        rule.const("weight_decay", hp["weight_decay"])
        if decoupled:
            rule.body.append("W = W * (1 - lr * weight_decay)  #@decoupled_weight_decay")
        else:
            rule.body.append("grad = grad + weight_decay * W  #@coupled_weight_decay")


def _torch_sgd(rule: _Rule, hp: dict) -> None:
    _torch_prelude(rule, hp)
    if not _on(hp["momentum"]):
        rule.body.append("W = W - lr * grad")
        return
    rule.const("momentum", hp["momentum"])
    rule.zeros("b")
    if _on(hp["dampening"]):
        rule.const("dampening", hp["dampening"])
        later = "b * momentum + (1 - dampening) * grad"
    else:
        later = "b * momentum + grad"
    rule.body.append(f"b = grad if t == 1 else {later}")
    if hp["nesterov"]:
        rule.body.append("W = W - lr * (grad + momentum * b)")
    else:
        rule.body.append("W = W - lr * b")


def _torch_adagrad(rule: _Rule, hp: dict) -> None:
    rule.const("eps", hp["eps"])
    if _on(hp["initial_accumulator_value"]):
        rule.const("initial_accumulator_value", hp["initial_accumulator_value"])
        rule.state.append("s = np.zeros_like(W) + initial_accumulator_value")
    else:
        rule.zeros("s")
    _torch_prelude(rule, hp)
    rate = "lr"
    if _on(hp["lr_decay"]):
        rule.const("lr_decay", hp["lr_decay"])
        rule.body.append("clr = lr / (1 + (t - 1) * lr_decay)")
        rate = "clr"
    rule.body += ["s = s + grad * grad", f"W = W - {rate} * (grad / (np.sqrt(s) + eps))"]


def _torch_betas(rule: _Rule, hp: dict) -> None:
    beta1, beta2 = hp["betas"]
    rule.const("beta1", beta1)
    rule.const("beta2", beta2)


def _torch_adam(rule: _Rule, hp: dict) -> None:
    _torch_betas(rule, hp)
    rule.const("eps", hp["eps"])
    rule.zeros("m", "v")
    _torch_prelude(rule, hp, decoupled=hp.get("decoupled_weight_decay", False))
    rule.body += [
        "m = m + (1 - beta1) * (grad - m)",
        "v = v * beta2 + (1 - beta2) * grad * grad",
    ]
    second = "v"
    if hp["amsgrad"]:
        rule.zeros("vmax")
        rule.body.append("vmax = np.maximum(vmax, v)")
        second = "vmax"
    rule.body += [
        "step_size = lr / (1 - beta1**t)",
        f"denom = np.sqrt({second}) / np.sqrt(1 - beta2**t) + eps",
        "W = W - step_size * (m / denom)",
    ]


def _torch_adamax(rule: _Rule, hp: dict) -> None:
    _torch_betas(rule, hp)
    rule.const("eps", hp["eps"])
    rule.zeros("m", "u")
    _torch_prelude(rule, hp)
    rule.body += [
        "m = m + (1 - beta1) * (grad - m)",
        "u = np.maximum(u * beta2, np.abs(grad) + eps)",
        "W = W - lr / (1 - beta1**t) * (m / u)",
    ]


def _torch_nadam(rule: _Rule, hp: dict) -> None:
    _torch_betas(rule, hp)
    rule.const("eps", hp["eps"])
    rule.const("momentum_decay", hp["momentum_decay"])
    rule.state.append("mu_product = 1.0")
    rule.zeros("m", "v")
    _torch_prelude(rule, hp, decoupled=hp["decoupled_weight_decay"])
    rule.body += [
        "mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))",
        "mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))",
        "mu_product = mu_product * mu",
        "m = m + (1 - beta1) * (grad - m)",
        "v = v * beta2 + (1 - beta2) * grad * grad",
        "denom = np.sqrt(v / (1 - beta2**t)) + eps",
        "W = W + (-lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)",
        "W = W + (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)",
    ]


def _torch_radam(rule: _Rule, hp: dict) -> None:
    _torch_betas(rule, hp)
    rule.const("eps", hp["eps"])
    rule.state.append("rho_inf = 2 / (1 - beta2) - 1")
    rule.zeros("m", "v")
    _torch_prelude(rule, hp, decoupled=hp["decoupled_weight_decay"])
    rule.body += [
        "m = m + (1 - beta1) * (grad - m)",
        "v = v * beta2 + (1 - beta2) * grad * grad",
        "m_hat = m / (1 - beta1**t)",
        "bias_correction2 = 1 - beta2**t",
        "rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2",
        "if rho_t > 5.0:  #@radam_rectified",
        "    r = ((rho_t - 4) * (rho_t - 2) * rho_inf"
        " / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5",
        "    W = W - m_hat * lr * (bias_correction2**0.5 / (np.sqrt(v) + eps)) * r",
        "else:  #@radam_plain",
        "    W = W - m_hat * lr",
    ]


def _torch_lion(rule: _Rule, hp: dict) -> None:
    _torch_betas(rule, hp)
    rule.zeros("m")
    if hp.get("maximize"):
        rule.body.append("grad = -grad  #@maximize")
    if _on(hp["weight_decay"]):
        rule.const("weight_decay", hp["weight_decay"])
        rule.body.append("W = W * (1 - lr * weight_decay)  #@decoupled_weight_decay")
    rule.body += [
        "W = W - lr * np.sign(m * beta1 + (1 - beta1) * grad)",
        "m = m * beta2 + (1 - beta2) * grad",
    ]


def _torch_rprop(rule: _Rule, hp: dict) -> None:
    eta_minus, eta_plus = hp["etas"]
    step_min, step_max = hp["step_sizes"]
    rule.const("eta_minus", eta_minus)
    rule.const("eta_plus", eta_plus)
    rule.const("step_min", step_min)
    rule.const("step_max", step_max)
    rule.zeros("prev")
    rule.state.append(f"step_size = np.zeros_like(W) + {rule.first_lr}  #@rprop_start")
    if hp.get("maximize"):
        rule.body.append("grad = -grad  #@maximize")
    rule.body += [
        "q = np.sign(grad * prev)",
        "factor = np.where(q > 0, eta_plus, np.where(q < 0, eta_minus, np.where(q == 0, 1.0, q)))",
        "step_size = np.minimum(np.maximum(step_size * factor, step_min), step_max)",
        "grad = np.where(q < 0, 0.0, grad)  #@rprop_flip",
        "W = W - np.sign(grad) * step_size",
        "prev = grad",
    ]


def _torch_adafactor(rule: _Rule, hp: dict) -> None:
    eps1, eps2 = hp["eps"]
    rule.const("beta2_decay", hp["beta2_decay"])
    rule.const("eps1", eps1)
    rule.const("eps2", eps2)
    rule.const("d", hp["d"])
    rule.zeros("variance")
    rms = "np.sqrt(np.sum({0} * {0}, axis=-1, keepdims=True)) / 2**0.5"
    if hp.get("maximize"):
        rule.body.append("grad = -grad  #@maximize")
    rule.body += [
        "w = np.power(float(t), beta2_decay)  #@adafactor_weight",
        "rho = np.minimum(lr, 1 / float(t) ** 0.5)",
        f"alpha = np.fmax(eps2, {rms.format('W')}) * rho  #@adafactor_rms",
    ]
    if _on(hp["weight_decay"]):
        rule.const("weight_decay", hp["weight_decay"])
        rule.body.append("W = W * (1 - lr * weight_decay)  #@decoupled_weight_decay")
    rule.body += [
        "g2 = grad * grad",
        "variance = np.where(",
        "    np.abs(w) < 0.5, variance + w * (g2 - variance), g2 - (g2 - variance) * (1 - w)",
        ")",
        "u = 1 / np.sqrt(np.maximum(variance, eps1 * eps1)) * grad",
        f"denom = np.fmax(1.0, {rms.format('u')} / d)",
        "W = W + (-alpha / denom) * u",
    ]


def _keras_prelude(rule: _Rule, hp: dict) -> None:
    if _on(hp.get("weight_decay")):
        rule.const("weight_decay", hp["weight_decay"])
        rule.body.append("W = W - W * weight_decay * learning_rate  #@weight_decay")


def _keras_sgd(rule: _Rule, hp: dict) -> None:
    _keras_prelude(rule, hp)
    if not _on(hp["momentum"]):
        rule.body.append("W = W - grad * learning_rate")
        return
    rule.const("momentum", hp["momentum"])
    rule.zeros("v")
    rule.body.append("v = v * momentum - grad * learning_rate")
    if hp["nesterov"]:
        rule.body.append("W = W + (v * momentum - grad * learning_rate)")
    else:
        rule.body.append("W = W + v")


def _keras_adagrad(rule: _Rule, hp: dict) -> None:
    rule.const("initial_accumulator_value", hp["initial_accumulator_value"])
    rule.const("epsilon", hp["epsilon"])
    rule.state.append("s = np.zeros_like(W) + initial_accumulator_value")
    _keras_prelude(rule, hp)
    rule.body += [
        "s = s + grad * grad",
        "W = W - (learning_rate * grad) / np.sqrt(s + epsilon)",
    ]


def _keras_betas(rule: _Rule, hp: dict, *, epsilon: bool = True) -> None:
    rule.const("beta_1", hp["beta_1"])
    rule.const("beta_2", hp["beta_2"])
    if epsilon:
        rule.const("epsilon", hp["epsilon"])


def _keras_adam(rule: _Rule, hp: dict) -> None:
    _keras_betas(rule, hp)
    rule.zeros("m", "v")
    _keras_prelude(rule, hp)
    rule.body += [
        "alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)",
        "m = m + (grad - m) * (1 - beta_1)",
        "v = v + (grad * grad - v) * (1 - beta_2)",
    ]
    second = "v"
    if hp["amsgrad"]:
        rule.zeros("v_hat")
        rule.body.append("v_hat = np.maximum(v_hat, v)")
        second = "v_hat"
    rule.body.append(f"W = W - (m * alpha) / (np.sqrt({second}) + epsilon)")


def _keras_nadam(rule: _Rule, hp: dict) -> None:
    _keras_betas(rule, hp)
    rule.state.append("u_product = 1.0")
    rule.zeros("m", "v")
    _keras_prelude(rule, hp)
    rule.body += [
        "u_product = u_product * beta_1 * (1.0 - 0.5 * 0.96**t)",
        "u_t = beta_1 * (1.0 - 0.5 * 0.96**t)",
        "u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))",
        "m = m + (grad - m) * (1 - beta_1)",
        "v = v + (grad * grad - v) * (1 - beta_2)",
        "m_hat = (u_next * m) / (1 - u_product * u_next) + ((1 - u_t) * grad) / (1 - u_product)",
        "v_hat = v / (1 - beta_2**t)",
        "W = W - (m_hat * learning_rate) / (np.sqrt(v_hat) + epsilon)",
    ]


def _keras_adamax(rule: _Rule, hp: dict) -> None:
    _keras_betas(rule, hp)
    rule.zeros("m", "u")
    _keras_prelude(rule, hp)
    rule.body += [
        "m = m + (grad - m) * (1 - beta_1)",
        "u = np.maximum(beta_2 * u, np.abs(grad))",
        "W = W - (learning_rate * m) / ((1 - beta_1**t) * (u + epsilon))",
    ]


def _keras_lion(rule: _Rule, hp: dict) -> None:
    _keras_betas(rule, hp, epsilon=False)
    rule.zeros("m")
    _keras_prelude(rule, hp)
    rule.body += [
        "W = W - learning_rate * np.sign(m * beta_1 + grad * (1.0 - beta_1))",
        "m = m * beta_2 + grad * (1.0 - beta_2)",
    ]


class _RmspropForm(NamedTuple):
    """How a convention writes RMSprop: the names of its decay and ε, its weight-decay
    prelude, and its lines: the average of g², the denominator (``centered``: the update
    of ḡ and the denominator with it), the step without and with momentum."""

    decay: str
    eps: str
    prelude: Callable[[_Rule, dict], None]
    average: str
    plain: str
    centered: tuple[str, str]
    step: str
    momentum: tuple[str, str]


def _rmsprop(form: _RmspropForm, rule: _Rule, hp: dict) -> None:
    """RMSprop in ``form``: only the branches the run uses (centered, momentum)."""
    rule.const(form.decay, hp[form.decay])
    rule.const(form.eps, hp[form.eps])
    rule.zeros("v")
    form.prelude(rule, hp)
    rule.body.append(form.average)
    if hp["centered"]:
        rule.zeros("gbar")
        rule.body += form.centered
    else:
        rule.body.append(form.plain)
    if _on(hp["momentum"]):
        rule.const("momentum", hp["momentum"])
        rule.zeros("b")
        rule.body += form.momentum
    else:
        rule.body.append(form.step)


def _straight(constants, state, prelude, lines) -> RuleWriter:
    """The writer of a rule without branches: its ``constants`` (hyperparameter names),
    its ``state`` arrays from zero, the ``prelude`` (weight decay), then ``lines``."""

    def write(rule: _Rule, hp: dict) -> None:
        for name in constants:
            rule.const(name, hp[name])
        rule.zeros(*state)
        prelude(rule, hp)
        rule.body += lines

    return write


_TORCH_RMSPROP = _RmspropForm(
    decay="alpha",
    eps="eps",
    prelude=_torch_prelude,
    average="v = v * alpha + (1 - alpha) * grad * grad",
    plain="a = np.sqrt(v) + eps",
    centered=("gbar = gbar + (1 - alpha) * (grad - gbar)", "a = np.sqrt(v - gbar * gbar) + eps"),
    step="W = W - lr * (grad / a)",
    momentum=("b = b * momentum + grad / a", "W = W - lr * b"),
)
"""PyTorch's ``torch.optim.RMSprop`` (ε added after the root)."""

_KERAS_RMSPROP = _RmspropForm(
    decay="rho",
    eps="epsilon",
    prelude=_keras_prelude,
    average="v = rho * v + (1 - rho) * (grad * grad)",
    plain="increment = (learning_rate * grad) / np.sqrt(v + epsilon)",
    centered=(
        "gbar = rho * gbar + (1 - rho) * grad",
        "increment = (learning_rate * grad) / np.sqrt(v - gbar * gbar + epsilon)",
    ),
    step="W = W - increment",
    momentum=("b = momentum * b + increment", "W = W - b"),
)
"""Keras 3's ``RMSprop`` (ε inside the root)."""

_TORCH_ADADELTA = _straight(
    ("rho", "eps"),
    ("v", "u"),
    _torch_prelude,
    [
        "v = v * rho + (1 - rho) * grad * grad",
        "delta = np.sqrt(u + eps) / np.sqrt(v + eps) * grad",
        "u = u * rho + (1 - rho) * delta * delta",
        "W = W - lr * delta",
    ],
)
_KERAS_ADADELTA = _straight(
    ("rho", "epsilon"),
    ("Eg2", "Edx2"),
    _keras_prelude,
    [
        "Eg2 = rho * Eg2 + (1 - rho) * (grad * grad)",
        "delta = -(np.sqrt(Edx2 + epsilon) * grad) / np.sqrt(Eg2 + epsilon)",
        "Edx2 = rho * Edx2 + (1 - rho) * (delta * delta)",
        "W = W + learning_rate * delta",
    ],
)


def _book_sgd(rule: _Rule, hp: dict) -> None:
    rule.body.append("W = W - lr * grad")


def _book_momentum(rule: _Rule, hp: dict) -> None:
    rule.const("momentum", hp["momentum"])
    rule.zeros("v")
    rule.body += ["v = momentum * v - lr * grad", "W = W + v"]


def _book_nesterov(rule: _Rule, hp: dict) -> None:
    rule.const("momentum", hp["momentum"])
    rule.zeros("v")
    rule.body += [
        "W = W + momentum * momentum * v",
        "W = W - (1 + momentum) * lr * grad",
        "v = v * momentum - lr * grad",
    ]


def _book_adagrad(rule: _Rule, hp: dict) -> None:
    rule.zeros("h")
    rule.body += ["h = h + grad * grad", "W = W - lr * grad / (np.sqrt(h) + 1e-7)"]


def _book_rmsprop(rule: _Rule, hp: dict) -> None:
    rule.const("decay_rate", hp["decay_rate"])
    rule.zeros("h")
    rule.body += [
        "h = h * decay_rate + (1 - decay_rate) * grad * grad",
        "W = W - lr * grad / (np.sqrt(h) + 1e-7)",
    ]


def _book_adam(rule: _Rule, hp: dict) -> None:
    rule.const("beta1", hp["beta1"])
    rule.const("beta2", hp["beta2"])
    rule.zeros("m", "v")
    rule.body += [
        "lr_t = lr * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)",
        "m = m + (1 - beta1) * (grad - m)",
        "v = v + (1 - beta2) * (grad**2 - v)",
        "W = W - lr_t * m / (np.sqrt(v) + 1e-7)",
    ]


RULES: dict[str, dict[str, RuleWriter]] = {
    "pytorch": {
        "sgd": _torch_sgd,
        "momentum": _torch_sgd,
        "nesterov": _torch_sgd,
        "adagrad": _torch_adagrad,
        "rmsprop": partial(_rmsprop, _TORCH_RMSPROP),
        "adadelta": _TORCH_ADADELTA,
        "adam": _torch_adam,
        "adamw": _torch_adam,
        "nadam": _torch_nadam,
        "radam": _torch_radam,
        "adamax": _torch_adamax,
        "lion": _torch_lion,
        "rprop": _torch_rprop,
        "adafactor": _torch_adafactor,
    },
    "keras": {
        "sgd": _keras_sgd,
        "adagrad": _keras_adagrad,
        "rmsprop": partial(_rmsprop, _KERAS_RMSPROP),
        "adadelta": _KERAS_ADADELTA,
        "adam": _keras_adam,
        "adamw": _keras_adam,
        "nadam": _keras_nadam,
        "adamax": _keras_adamax,
        "lion": _keras_lion,
    },
    "textbook": {
        "sgd": _book_sgd,
        "momentum": _book_momentum,
        "nesterov": _book_nesterov,
        "adagrad": _book_adagrad,
        "rmsprop": _book_rmsprop,
        "adam": _book_adam,
    },
}
"""Convention -> registry key -> writer of the update rule as NumPy lines."""

SOURCES = {
    "pytorch": "torch.optim",
    "keras": "keras.optimizers (Keras 3)",
    "textbook": "「ゼロから作るDeep Learning」 common/optimizer.py",
}
"""Convention -> where its update rules come from (for the comment above each run)."""


def _schedule_lines(lr, name: str) -> tuple[object, list[str]]:
    """``(constant lr or None, lines defining lr_at(k))`` for a number or a schedule."""
    if not callable(lr):
        return lr, []
    spec = lr.to_dict()
    kind, base = spec["kind"], spec["lr"]
    if kind == "constant":
        return base, []
    if kind == "step":
        expr = f"{_py(base)} * {_py(spec['gamma'])} ** (k // {int(spec['step_size'])})"
    elif kind == "exponential":
        expr = f"{_py(base)} * {_py(spec['gamma'])} ** float(k)"
    elif kind == "cosine":
        eta_min = _py(spec["eta_min"])
        expr = (
            f"{eta_min} + ({_py(base)} - {eta_min})"
            f" * (1 + np.cos(np.pi * float(k) / {int(spec['T_max'])})) / 2"
        )
    elif kind == "warmup":
        factor, steps = _py(spec["start_factor"]), int(spec["warmup_steps"])
        expr = f"{_py(base)} * ({factor} + (1.0 - {factor}) * min(float(k), {steps}) / {steps})"
    else:
        raise ValueError(f"no NumPy version of the {kind!r} schedule")
    return None, [
        f"def lr_at(k):  #@schedule {name} {kind}",
        f"    return {expr}",
        "",
    ]


def _mini_batches(run: ExportRun):
    """The run's :class:`optviz.gradients.MiniBatches` if it takes mini-batches smaller than
    the data (a batch of all n points is the full gradient), else None."""
    batches = getattr(run.trajectory, "batches", None)
    return batches if batches is not None and batches.size < batches.n else None


_BATCH_GRADIENT = [
    "def batch_gradient(W, idx):",
    '    """@batch_gradient_doc"""',
    "    w, b = W[..., 0], W[..., 1]",
    "    xb, yb = X[idx], Y[idx]",
    "    r = w[..., None] * xb + b[..., None] - yb",
    "    return np.stack((2.0 * np.mean(r * xb, axis=-1), 2.0 * np.mean(r, axis=-1)), axis=-1)",
]
"""The gradient of the mean over some data points of the line fit (``X``, ``Y``), with the
operations of :func:`surfaces.regression.batch_grad`."""


def _batch_lines(batches) -> tuple[list[str], list[str]]:
    """``(setup, loop)`` lines of a mini-batch run: epoch e visits the data points in the
    order ``np.random.default_rng((seed, e)).permutation(n)``, cut into consecutive batches
    of ``batch_size`` (the last one of an epoch may be smaller), as
    :class:`optviz.gradients.MiniBatches` does; ``grad`` is the batch's gradient."""
    setup = [
        f"batch_size = {int(batches.size)}  #@minibatch",
        f"batch_seed = {int(batches.seed)}",
        "per_epoch = -(-len(X) // batch_size)",
    ]
    loop = [
        "epoch, j = divmod(t - 1, per_epoch)",
        "if j == 0:  #@new_epoch",
        "    order = np.random.default_rng((batch_seed, epoch)).permutation(len(X))",
        "grad = batch_gradient(W, order[j * batch_size : (j + 1) * batch_size])",
    ]
    return setup, loop


def _run_lines(index: int, run: ExportRun) -> list[str]:
    optimizer = run.optimizer
    convention, key = optimizer.convention, optimizer.name
    writers = RULES.get(convention, {})
    if key not in writers:
        raise ValueError(f"no NumPy version of the {convention} optimizer {key!r}")
    hp = dict(optimizer.hyperparams or {})
    lr_name = lr_keyword(key, convention)
    fixed, schedule = _schedule_lines(hp[lr_name], lr_name)
    rule = _Rule(lr_name if fixed is not None else "lr_at(0)")
    writers[key](rule, hp)
    noise = np.asarray(run.noise, dtype=float)
    if noise.size and not np.all(noise == noise.flat[0]):
        raise ValueError("a different gradient noise per path cannot be written as one loop")
    level = float(noise.flat[0]) if noise.size else 0.0
    lines = [
        f"# --- {index + 1} · {_one_line(run.label)} · {SOURCES[convention]}, {key}",
        *schedule,
    ]
    if fixed is not None:
        lines.append(f"{lr_name} = {_py(fixed)}")
    lines += [f"{name} = {_py(value)}" for name, value in rule.constants]
    lines += ["W = START.copy()", *rule.state]
    batches = _mini_batches(run)
    batch_setup, batch_loop = _batch_lines(batches) if batches is not None else ([], [])
    lines += batch_setup
    if level > 0:
        lines.append(f"rng = np.random.default_rng({_py_seed(run.seed)})  #@noise")
    lines.append("for t in range(1, STEPS + 1):  #@step_number")
    lines += [f"    {line}" for line in batch_loop]
    grad = "gradient(W)" if batches is None else "grad"
    if level > 0:
        grad += f" + {level!r} * rng.standard_normal(W.shape)"
    if grad != "grad":
        lines.append(f"    grad = {grad}")
    if fixed is None:
        lines.append(f"    {lr_name} = lr_at(t - 1)")
    lines += [f"    {line}" for line in rule.body]
    label = f"final[{index}] {run.label}:"
    lines += [f"print({label!r}, W.tolist())", ""]
    return lines


def _py_seed(seed) -> str:
    if seed is None:
        return "None"
    return repr(int(seed))


WORDS = {
    "en": {
        "title": ": the runs of an optviz view in plain NumPy. Run: python this_file.py",
        "intro": [
            "W holds one row (x, y) per start point. Each run below sets its hyperparameters,",
            "starts its state at zero and repeats its update rule STEPS times; the last line",
            "prints where it ended. float64 throughout, as on the page.",
        ],
        "f_doc": "The loss L at W = (x, y): shape (..., 2) -> (...).",
        "gradient_doc": "∂L/∂W, the analytic gradient: shape (..., 2) -> (..., 2).",
        "regression_f_doc": (
            "The mean squared error (1/n) Σ (w·xᵢ + b − yᵢ)², written about (w*, b*)."
        ),
        "ackley_origin": "not differentiable at the origin: the radial term is taken as 0 there",
        "gp_same": "∂A/∂x = ∂A/∂y",
        "constant_parts": "constant parts as arrays",
        "bowl_hessian": "the Hessian H of the bowl",
        "regression_data": "the data: the line Y ≈ w·X + b is fitted, W = (w, b)",
        "regression_solution": "the least-squares line (w*, b*) and its loss L*; mean(X²), mean(X)",
        "maximize": "maximize",
        "weight_decay": "weight decay",
        "coupled_weight_decay": "weight decay (L2)",
        "decoupled_weight_decay": "decoupled weight decay",
        "radam_rectified": "the variance is tractable: rectified adaptive step",
        "radam_plain": "the first steps: un-normalised momentum",
        "schedule": "{0} of step k + 1 ({1} schedule)",
        "noise": "gradient noise",
        "step_number": "t: the step number",
        "rprop_start": "each coordinate's step length δ starts at the learning rate",
        "rprop_flip": "after a sign flip: no step, and no flip test next time",
        "adafactor_weight": "1 − β̂₂ = t^τ (τ = beta2_decay)",
        "adafactor_rms": "RMS over one start's two coordinates",
        "batch_gradient_doc": (
            "∂L/∂W of the mean over the data points idx only: (..., 2), (b,) -> (..., 2)."
        ),
        "minibatch": "mini-batches: each epoch visits the data points in a fresh order",
        "new_epoch": "a new epoch: a fresh order of the data points",
    },
    "ja": {
        "title": "：optviz の試行を NumPy だけで再現します（python this_file.py で動きます）。",
        "intro": [
            "W は初期点ごとに 1 行 (x, y) を持ちます。以下の試行はそれぞれハイパーパラメータを",
            "設定し、状態を 0 から始め、更新式を STEPS 回くり返し、最後に到達点を表示します。",
            "計算はページと同じくすべて float64 です。",
        ],
        "f_doc": "W = (x, y) での損失 L：形状 (..., 2) -> (...)。",
        "gradient_doc": "勾配 ∂L/∂W（解析的に求めたもの）：形状 (..., 2) -> (..., 2)。",
        "regression_f_doc": (
            "平均二乗誤差 (1/n) Σ (w·xᵢ + b − yᵢ)² を (w*, b*) のまわりで書いたもの。"
        ),
        "ackley_origin": "原点では微分できないので、そこでは動径方向の項を 0 とします",
        "gp_same": "∂A/∂x = ∂A/∂y",
        "constant_parts": "定数の成分も配列にします",
        "bowl_hessian": "お椀型の谷のヘッセ行列 H",
        "regression_data": "データ：直線 Y ≈ w·X + b を当てはめます。W = (w, b)",
        "regression_solution": "最小二乗法の直線 (w*, b*) とその損失 L*、mean(X²)、mean(X)",
        "maximize": "最大化",
        "weight_decay": "荷重減衰",
        "coupled_weight_decay": "荷重減衰（L2）",
        "decoupled_weight_decay": "荷重減衰（勾配と切り離したもの）",
        "radam_rectified": "分散が扱える：補正付きの適応的なステップ",
        "radam_plain": "最初のステップ：正規化しないモメンタム",
        "schedule": "ステップ k + 1 の {0}（{1} スケジュール）",
        "noise": "勾配ノイズ",
        "step_number": "t：ステップ数",
        "rprop_start": "座標ごとの歩み δ は学習率から始めます",
        "rprop_flip": "符号が反転したら進まず、次の判定にも使いません",
        "adafactor_weight": "1 − β̂₂ = t^τ（τ = beta2_decay）",
        "adafactor_rms": "RMS は 1 つの初期点の 2 座標でとります",
        "batch_gradient_doc": (
            "データ点 idx だけの平均の勾配 ∂L/∂W：形状 (..., 2), (b,) -> (..., 2)。"
        ),
        "minibatch": "ミニバッチ：エポックごとにデータ点を新しい順番でたどります",
        "new_epoch": "新しいエポック：データ点を並べ替えます",
    },
}
"""Language -> the words of the script's docstrings and comments (glossary-ja.md)."""


def _translate(script: str, words: dict) -> str:
    """Replace the markers ``#@key [arg ...]`` (comments) and ``"@key"`` (docstrings)."""

    def comment(match):
        key, *args = match.group(1).split(" ")
        return "# " + words[key].format(*args) if key in words else match.group(0)

    def docstring(match):
        key = match.group(2)
        return f'{match.group(1)}"""{words[key]}"""' if key in words else match.group(0)

    script = re.sub(r"#@([\w ]+)$", comment, script, flags=re.M)
    return re.sub(r'^( *)"""@(\w+)"""$', docstring, script, flags=re.M)


def numpy_script(surface, start, steps: int, runs: Sequence[ExportRun], *, lang: str = "en") -> str:
    """A short runnable NumPy script that reproduces ``runs`` on ``surface``.

    The same surface (catalog formula, the bowl's Hessian, the regression data, or a typed
    formula printed from SymPy), start (``(2,)`` or ``(N, 2)``), steps, hyperparameters,
    learning-rate schedule, gradient noise (``np.random.default_rng(seed)`` draws, in
    :func:`optviz.run`'s order) and mini-batches on the line fit (a run whose trajectory
    has ``batches``: the same batch at every step, :func:`_batch_lines`), for runs of any
    convention. float64 throughout. Prints
    one line per run: ``final[i] <label>: [[x, y], ...]`` (repr precision). A path that
    diverges keeps going in the script (inf or nan) where the page stops drawing it.
    ``lang`` ("en" or "ja") is the language of the docstrings and comments.

    Raises:
        ValueError: a surface, optimizer or schedule without a NumPy version here,
            mini-batches on a surface other than ``linear_regression``, or array-valued
            hyperparameters (batched sweeps).
    """
    start = np.asarray(start, dtype=float)
    start = start[None] if start.ndim == 1 else start
    start_text = "[" + ", ".join(f"[{x!r}, {y!r}]" for x, y in start.tolist()) + "]"
    if lang not in WORDS:
        raise ValueError(f"lang must be one of {sorted(WORDS)}, got {lang!r}")
    words = WORDS[lang]
    mini = any(_mini_batches(run) is not None for run in runs)
    if mini and surface.name != "linear_regression":
        raise ValueError(f"no NumPy version of mini-batches on the surface {surface.name!r}")
    title = getattr(surface, f"title_{lang}", "") or getattr(surface, "title_en", "")
    lines = [
        f'"""{_one_line(title or surface.name)}{words["title"]}',
        "",
        *words["intro"],
        '"""',
        "",
        "import numpy as np",
        "",
        "",
        *surface_numpy(surface),
        *(["", "", *_BATCH_GRADIENT] if mini else []),
        "",
        "",
        f"START = np.array({start_text})",
        f"STEPS = {int(steps)}",
        "",
    ]
    for index, run in enumerate(runs):
        lines += _run_lines(index, run)
    return _translate("\n".join(lines).rstrip() + "\n", words)
