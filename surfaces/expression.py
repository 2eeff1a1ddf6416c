"""Typed formulas -> `Surface`, safely: text -> AST allow-list -> SymPy -> NumPy.

A student types ``f(x, y)``; `from_expression` returns a `Surface` whose ``f`` and
``grad`` are the formula and its *exact* symbolic gradient, vectorized with NumPy.

Grammar (after normalization, see below)::

    expr   := expr ('+' | '-' | '*' | '/' | '**' | '^') expr
            | ('-' | '+') expr  |  '(' expr ')'  |  number  |  name  |  func '(' expr ')'
    name   := x | y | pi | e
    func   := sin cos tan exp log ln log10 log2 sqrt abs sinh cosh tanh
              asin arcsin acos arccos atan arctan          (one positional argument)
    number := a decimal int or float literal (3, 0.5, 2e-3), |number| <= MAX_LITERAL

``^`` is power (``x^2``, right-associative like ``**``); ``log``/``ln`` is natural.
Nothing else is accepted: no attributes, subscripts, keywords, strings, comparisons,
lambdas, other names or calls.  The text is only ever parsed with `ast.parse` (which
does not run it) and the SymPy expression is built node by node from the allow-list;
no ``eval``/``exec``/``sympify``/``parse_expr`` on user text.  (`sympy.lambdify`
generates code from the *built* expression, whose atoms are x, y, numbers, pi, e and
the functions above.)

Normalization (so IME and copy-paste input works): Unicode NFKC (full-width
``ｘ＾２＋（ｙ）`` -> ``x^2+(y)``), superscripts ``x²`` / ``x⁻¹`` -> ``x**2`` /
``x**(-1)``, ``− – ‐ ー`` -> ``-``, ``× · ⋅ ∙`` -> ``*``, ``÷`` -> ``/``, ``π`` -> ``pi``,
any whitespace -> space, invisible format characters (zero-width space)
dropped, and a leading ``f(x, y) =``, ``f =`` or ``z =`` is dropped.

Every refusal is a `FormulaError` (a `ValueError`) with an English message naming the
offending piece and its column in the text as typed, a stable ``code`` for
translations (see `FormulaError`) and the offending text as ``detail``.

Caps (all inputs finish in well under a second): `MAX_LENGTH` characters,
`MAX_NODES` syntax nodes, `MAX_DEPTH` nesting levels (a chain ``a + b - c + ...`` or
``a * b / c ...`` is one level), literals up to `MAX_LITERAL`, constant exponents up
to `MAX_EXPONENT` in magnitude, exact numbers the formula computes up to
`MAX_CONSTANT`, and `MAX_OPS` operations in each partial derivative.

Shapes: ``f`` maps points ``(..., 2)`` to ``(...)`` and ``grad`` maps
them to ``(..., 2)``, float64, broadcasting over leading axes.  Where the formula has
no real value (``log`` of a negative number, ``sqrt(-1)``, overflow) the result is NaN
or ±inf and no RuntimeWarning escapes.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
from collections.abc import Callable
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter

from ._points import split
from .base import Bounds, Point, Surface

MAX_LENGTH = 300
MAX_NODES = 200
MAX_DEPTH = 30
MAX_LITERAL = 1e6
MAX_EXPONENT = 100
MAX_CONSTANT = 1e300
MAX_OPS = 3000
DEFAULT_BOUNDS: Bounds = ((-3.0, 3.0), (-3.0, 3.0))

GRID_N = 201  # grid for the minimum search, the start and the log-scale rule
N_CANDIDATES = 12  # best grid local minima that get polished
MAX_MINIMA = 8
POLISH_STEPS = 60  # damped Newton iterations per candidate (all candidates at once)

X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)

_VARIABLES = MappingProxyType({"x": X, "y": Y})
_CONSTANTS = MappingProxyType({"pi": sympy.pi, "e": sympy.E})


def _log10(u):
    return sympy.log(u, 10)


def _log2(u):
    return sympy.log(u, 2)


# name -> SymPy builder; every function takes exactly one positional argument.
_FUNCTIONS = MappingProxyType(
    {
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "exp": sympy.exp,
        "log": sympy.log,
        "ln": sympy.log,
        "log10": _log10,
        "log2": _log2,
        "sqrt": sympy.sqrt,
        "abs": sympy.Abs,
        "sinh": sympy.sinh,
        "cosh": sympy.cosh,
        "tanh": sympy.tanh,
        "asin": sympy.asin,
        "arcsin": sympy.asin,
        "acos": sympy.acos,
        "arccos": sympy.acos,
        "atan": sympy.atan,
        "arctan": sympy.atan,
    }
)
FUNCTION_NAMES: tuple[str, ...] = tuple(_FUNCTIONS)

# SymPy function class -> float function, for the numeric value of constant pieces.
_MATH = MappingProxyType(
    {
        sympy.sin: math.sin,
        sympy.cos: math.cos,
        sympy.tan: math.tan,
        sympy.exp: math.exp,
        sympy.log: math.log,
        sympy.Abs: abs,
        sympy.sinh: math.sinh,
        sympy.cosh: math.cosh,
        sympy.tanh: math.tanh,
        sympy.asin: math.asin,
        sympy.acos: math.acos,
        sympy.atan: math.atan,
        sympy.sign: lambda v: math.copysign(1.0, v) if v else 0.0,
    }
)

_BINARY_OPS = MappingProxyType(
    {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
)
_CHAIN_CLASS = MappingProxyType({ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2})
_OPERATOR_TEXT = MappingProxyType(
    {
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Not: "not",
        ast.Invert: "~",
    }
)
_NODE_KIND = MappingProxyType(
    {
        ast.Attribute: "attribute access with '.'",
        ast.Subscript: "indexing with [ ]",
        ast.Compare: "comparisons",
        ast.BoolOp: "'and' / 'or'",
        ast.IfExp: "'if ... else'",
        ast.Lambda: "lambda",
        ast.ListComp: "comprehensions",
        ast.SetComp: "comprehensions",
        ast.DictComp: "comprehensions",
        ast.GeneratorExp: "comprehensions",
        ast.JoinedStr: "text in quotes",
        ast.FormattedValue: "text in quotes",
        ast.Tuple: "lists of values (commas)",
        ast.List: "lists of values",
        ast.Set: "sets",
        ast.Dict: "dictionaries",
        ast.NamedExpr: "assignment ':='",
        ast.Starred: "'*' before a value",
        ast.Await: "await",
        ast.Yield: "yield",
        ast.YieldFrom: "yield",
        ast.Slice: "slices",
    }
)

_SUPERSCRIPTS = MappingProxyType(
    {
        "⁰": "0",
        "¹": "1",
        "²": "2",
        "³": "3",
        "⁴": "4",
        "⁵": "5",
        "⁶": "6",
        "⁷": "7",
        "⁸": "8",
        "⁹": "9",
        "⁺": "+",
        "⁻": "-",
    }
)
_REPLACEMENTS = MappingProxyType(
    {
        "^": "**",
        "−": "-",
        "–": "-",
        "‐": "-",
        "‑": "-",
        "ー": "-",
        "×": "*",
        "·": "*",
        "⋅": "*",
        "∙": "*",
        "÷": "/",
        "π": "pi",
    }
)
_LHS = re.compile(r"\s*(?:f\s*\(\s*x\s*,\s*y\s*\)|f|z)\s*=(?!=)")
_NUMBER_THEN_NAME = re.compile(r"(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?([A-Za-z_]\w*)")
_WORD = re.compile(r"\w+")
_BAD_VALUE = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)
_DERIVATIVE_FUNCS = frozenset({*_MATH, sympy.sign})


class FormulaError(ValueError):
    """A refused formula.  ``str(err)`` is an English message for the student.

    Attributes:
        code: stable machine-readable reason, for translations:
            ``"empty"`` nothing typed; ``"too_long"`` over `MAX_LENGTH` characters;
            ``"syntax"`` not a formula (unbalanced brackets, ``2x``, missing operator);
            ``"unknown_name"`` a name other than x, y, pi, e or a function;
            ``"not_allowed"`` a construct outside the grammar (``x.a``, ``'s'``,
            ``x < y``, ``__import__``, ``%``, ``True``); ``"bad_call"`` a call of
            something that is not an allowed function, a wrong number of arguments,
            keywords, or a function name without brackets; ``"too_complex"`` too many
            nodes, too deeply nested, or a derivative that blows up; ``"exponent"`` a
            constant exponent over `MAX_EXPONENT`; ``"number"`` a literal over
            `MAX_LITERAL` or a complex literal; ``"constant"`` a constant piece with no
            finite real value (``1/0``, ``log(0)``, ``sqrt(-1)``, ``exp(1000)``);
            ``"derivative"`` no exact derivative could be formed; ``"undefined"`` no
            finite value anywhere on the plotted window; ``"bounds"`` a bad window.
        detail: the offending text as typed (``"z"``, ``"__import__"``), or ``""``.
        column: 1-based column of the offending piece in the text as typed, or None.
    """

    def __init__(self, code: str, message: str, detail: str = "", column: int | None = None):
        super().__init__(message)
        self.code = code
        self.detail = detail
        self.column = column


class Formula(NamedTuple):
    """A parsed formula: canonical ASCII text (``^`` for power) and its SymPy tree."""

    text: str
    expr: sympy.Expr


# --------------------------------------------------------------------------- text


class _Source(NamedTuple):
    """Normalized text and, for each of its characters, the 0-based index typed."""

    original: str
    text: str
    cols: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[str, int]:
        """Normalized ``[start, end)`` -> (original text of that piece, 1-based column)."""
        if not self.cols:
            return "", 1
        start = min(max(start, 0), len(self.cols) - 1)
        end = min(max(end, start + 1), len(self.cols))
        lo, hi = self.cols[start], self.cols[end - 1] + 1
        return self.original[lo:hi], lo + 1

    def node(self, node: ast.AST) -> tuple[str, int]:
        """An AST node -> (its original text, 1-based column)."""
        encoded = self.text.encode("utf-8")
        start = len(encoded[: node.col_offset].decode("utf-8", errors="ignore"))
        end = len(encoded[: node.end_col_offset].decode("utf-8", errors="ignore"))
        return self.span(start, end)


def _normalize(text: str) -> _Source:
    """Map typed text to the ASCII-ish text that is parsed, keeping a column map."""
    out: list[str] = []
    cols: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SUPERSCRIPTS:
            j = i
            while j < len(text) and text[j] in _SUPERSCRIPTS:
                j += 1
            power = "".join(_SUPERSCRIPTS[c] for c in text[i:j])
            piece = "**" + power if power.isdigit() else "**(" + power + ")"
            if j < len(text) and (text[j].isalnum() or text[j] in "_(."):
                piece += " "  # x²y must not read as x**2y
            out.append(piece)
            cols.extend([i] * len(piece))
            i = j
            continue
        if unicodedata.category(ch) == "Cf":  # zero-width space, BOM, ...: invisible
            i += 1
            continue
        piece = unicodedata.normalize("NFKC", ch)
        piece = "".join(" " if c.isspace() else _REPLACEMENTS.get(c, c) for c in piece)
        out.append(piece)
        cols.extend([i] * len(piece))
        i += 1
    norm = "".join(out)
    lhs = _LHS.match(norm)
    start = lhs.end() if lhs else 0
    # strip surrounding spaces (a leading space is an IndentationError for ast.parse)
    while start < len(norm) and norm[start] == " ":
        start += 1
    end = len(norm)
    while end > start and norm[end - 1] == " ":
        end -= 1
    return _Source(text, norm[start:end], tuple(cols[start:end]))


def _syntax_error(src: _Source, err: SyntaxError) -> FormulaError:
    """Turn Python's SyntaxError into a message about the student's formula."""
    text = src.text
    pos = (err.offset or 0) - 1  # 0-based in the normalized text
    if "=" in text and "==" not in text:
        at = text.index("=")
        piece, col = src.span(at, at + 1)
        msg = f"'=' at column {col} is not allowed: type only the right-hand side, e.g. x^2 + y^2"
        return FormulaError("syntax", msg, piece, col)
    if err.msg.startswith("invalid decimal literal"):
        for m in _NUMBER_THEN_NAME.finditer(text):
            if m.start() <= max(pos, 0) < m.end() or m.start() == pos + 1:
                piece, col = src.span(m.start(), m.end())
                number = text[m.start() : m.start(1)]
                msg = (
                    f"syntax error at column {col}: write {number}*{m.group(1)}, "
                    f"not {number}{m.group(1)} (multiplication needs *)"
                )
                return FormulaError("syntax", msg, piece, col)
    if err.msg.startswith("invalid character"):
        piece, col = src.span(pos, pos + 1)
        msg = f"the character '{piece}' at column {col} cannot be used in a formula"
        return FormulaError("syntax", msg, piece, col)
    if "never closed" in err.msg:
        piece, col = src.span(pos, pos + 1)
        msg = f"syntax error: the bracket '{piece}' at column {col} is never closed"
        return FormulaError("syntax", msg, piece, col)
    if "unmatched" in err.msg:
        piece, col = src.span(pos, pos + 1)
        msg = f"syntax error at column {col}: '{piece}' has no matching opening bracket"
        return FormulaError("syntax", msg, piece, col)
    if pos < 0 or pos >= len(text):
        _, col = src.span(len(text) - 1, len(text))
        msg = f"syntax error at column {col + 1}: the formula ends too early"
        return FormulaError("syntax", msg, "", col + 1)
    before = text[:pos].rstrip()
    word = _WORD.match(text, pos)
    piece, col = src.span(pos, word.end() if word else pos + 1)
    if word and keyword.iskeyword(word.group()):
        msg = f"'{piece}' at column {col} is not allowed: Python statements are not formulas"
        return FormulaError("not_allowed", msg, piece, col)
    if before and (before[-1].isalnum() or before[-1] in "_.)") and (text[pos].isalnum()):
        msg = f"syntax error at column {col}: missing operator before '{piece}' (use * to multiply)"
        return FormulaError("syntax", msg, piece, col)
    msg = f"syntax error at column {col}: unexpected '{piece}'"
    return FormulaError("syntax", msg, piece, col)


def _parse(src: _Source) -> ast.Expression:
    try:
        return ast.parse(src.text, mode="eval")
    except SyntaxError as err:  # includes IndentationError
        raise _syntax_error(src, err) from None
    except (ValueError, MemoryError, RecursionError) as err:  # null bytes, pathological
        raise FormulaError("syntax", f"syntax error: {err}") from None


# --------------------------------------------------------------------------- allow-list


def _name_error(src: _Source, node: ast.Name) -> FormulaError:
    name = node.id
    piece, col = src.node(node)
    known = (*_VARIABLES, *_CONSTANTS, *_FUNCTIONS)
    if name.lower() in known:
        hint = f"names are case-sensitive: write '{name.lower()}'"
    elif len(name) > 1 and set(name) <= {"x", "y"}:
        hint = f"write {'*'.join(name)} to multiply"
    else:
        func = next((f for f in _FUNCTIONS if name.startswith(f) and len(name) > len(f)), None)
        rest = name[len(func) :] if func else ""
        if func and rest in (*_VARIABLES, *_CONSTANTS):
            hint = f"write {func}({rest})"
        else:
            hint = "use x and y (and the constants pi, e)"
    msg = f"unknown name '{piece}' at column {col}: {hint}"
    return FormulaError("unknown_name", msg, piece, col)


def _check_call(src: _Source, node: ast.Call) -> None:
    """Refuse calls other than ``allowed_function(one_positional_argument)``."""
    func = node.func
    piece, col = src.node(node)
    if not isinstance(func, ast.Name):
        if isinstance(func, ast.Attribute):
            raise _not_allowed(src, func)
        end = len(src.text.encode("utf-8")[: func.end_col_offset].decode("utf-8", "ignore"))
        paren = src.text.find("(", end)
        ppiece, pcol = src.span(paren, paren + 1)
        msg = f"missing operator before '{ppiece}' at column {pcol} (use * to multiply)"
        raise FormulaError("bad_call", msg, piece, pcol)
    name = func.id
    if name in _VARIABLES or name in _CONSTANTS:
        msg = f"'{name}' at column {col} is not a function: write {name}*(...) to multiply"
        raise FormulaError("bad_call", msg, piece, col)
    if name not in _FUNCTIONS:
        fpiece, _ = src.node(func)
        msg = f"'{fpiece}' at column {col} is not allowed; only these functions are allowed: "
        raise FormulaError("bad_call", msg + ", ".join(FUNCTION_NAMES), fpiece, col)
    if node.keywords:
        msg = f"{name}(...) at column {col}: keyword arguments are not allowed"
        raise FormulaError("bad_call", msg, piece, col)
    if any(isinstance(a, ast.Starred) for a in node.args):
        msg = f"{name}(...) at column {col}: '*' before an argument is not allowed"
        raise FormulaError("bad_call", msg, piece, col)
    if len(node.args) != 1:
        hint = " (for base 10 use log10(x))" if name in ("log", "ln") else ""
        msg = f"{name} at column {col} takes exactly one argument, got {len(node.args)}{hint}"
        raise FormulaError("bad_call", msg, piece, col)


def _not_allowed(src: _Source, node: ast.AST) -> FormulaError:
    piece, col = src.node(node)
    kind = _NODE_KIND.get(type(node), type(node).__name__)
    if isinstance(node, ast.Attribute):
        piece = "." + node.attr
        _, col = src.node(node.value)
        col += len(src.node(node.value)[0])
    msg = f"'{piece}' at column {col} is not allowed: {kind} cannot be used in a formula"
    return FormulaError("not_allowed", msg, piece, col)


def _check_dunders(src: _Source, tree: ast.Expression) -> None:
    """Refuse any name or attribute starting with ``_`` or holding ``__``
    (``__import__``, ``.__class__``), before anything else is looked at."""
    for node in ast.walk(tree):
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
        if isinstance(name, str) and (name.startswith("_") or "__" in name):
            piece, col = src.node(node)
            if isinstance(node, ast.Attribute):
                piece, col = name, col + piece.rfind(name)
            msg = f"'{piece}' at column {col} is not allowed"
            raise FormulaError("not_allowed", msg, piece, col)


def _check_constant_literal(src: _Source, node: ast.Constant) -> None:
    value = node.value
    piece, col = src.node(node)
    if type(value) is complex:
        msg = f"the number '{piece}' at column {col} is complex; only real numbers are allowed"
        raise FormulaError("number", msg, piece, col)
    if type(value) not in (int, float):
        what = "text in quotes" if isinstance(value, str | bytes) else f"'{piece}'"
        msg = f"'{piece}' at column {col} is not allowed: {what} cannot be used in a formula"
        raise FormulaError("not_allowed", msg, piece, col)
    if not abs(value) <= MAX_LITERAL:  # also catches inf (1e999)
        msg = f"the number '{piece}' at column {col} is too large (the limit is {MAX_LITERAL:g})"
        raise FormulaError("number", msg, piece, col)


def _check_nodes(src: _Source, tree: ast.Expression) -> None:
    """Walk the tree in reading order; refuse anything outside the grammar."""
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        children: list[ast.AST] = []
        if isinstance(node, ast.Constant):
            _check_constant_literal(src, node)
        elif isinstance(node, ast.Name):
            if node.id in _FUNCTIONS:
                piece, col = src.node(node)
                msg = f"'{piece}' at column {col} is a function: write {node.id}(x), with brackets"
                raise FormulaError("bad_call", msg, piece, col)
            if node.id not in _VARIABLES and node.id not in _CONSTANTS:
                raise _name_error(src, node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY_OPS:
                raise _operator_error(src, node, node.op, node.left)
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise _operator_error(src, node, node.op, None)
            children = [node.operand]
        elif isinstance(node, ast.Call):
            _check_call(src, node)
            children = list(node.args)
        else:
            raise _not_allowed(src, node)
        stack.extend(reversed(children))


def _operator_error(src: _Source, node, op, left) -> FormulaError:
    symbol = _OPERATOR_TEXT.get(type(op), type(op).__name__)
    _, col = src.node(node)
    if left is not None:
        lpiece, lcol = src.node(left)
        rest = src.original[lcol - 1 + len(lpiece) :]
        col = lcol + len(lpiece) + len(rest) - len(rest.lstrip())
    msg = f"the operator '{symbol}' at column {col} is not allowed (use + - * / ^)"
    return FormulaError("not_allowed", msg, symbol, col)


def _check_size(src: _Source, tree: ast.Expression) -> None:
    """Refuse more than `MAX_NODES` nodes or nesting deeper than `MAX_DEPTH`.

    A chain of the same kind of operator (``a + b - c``, ``a * b / c``) is one level.
    """
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            msg = f"the formula is too complex (more than {MAX_NODES} parts)"
            raise FormulaError("too_complex", msg)
        if depth > MAX_DEPTH:
            piece, col = src.node(node)
            msg = f"the formula is nested too deeply at column {col} (max {MAX_DEPTH} levels)"
            raise FormulaError("too_complex", msg, piece, col)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.operator | ast.unaryop | ast.expr_context):
                continue
            same = (
                isinstance(node, ast.BinOp)
                and isinstance(child, ast.BinOp)
                and _CHAIN_CLASS.get(type(node.op), 0) == _CHAIN_CLASS.get(type(child.op), -1)
            )
            stack.append((child, depth if same else depth + 1))


# --------------------------------------------------------------------------- SymPy


def _approx(expr: sympy.Expr) -> float:
    """Float value of a constant SymPy expression (NaN if not real, inf on overflow).

    Uses `math` only, so no SymPy evaluation of, say, ``exp(exp(exp(1000)))``.
    """
    try:
        if expr.is_Rational:
            return expr.p / expr.q
        if expr.is_Float:
            return float(expr)
        if expr is sympy.pi:
            return math.pi
        if expr is sympy.E:
            return math.e
        if expr.is_Add:
            return math.fsum(_approx(a) for a in expr.args)
        if expr.is_Mul:
            return math.prod(_approx(a) for a in expr.args)
        if expr.is_Pow:
            return math.pow(_approx(expr.base), _approx(expr.exp))
        func = _MATH.get(expr.func)
        if func is not None and len(expr.args) == 1:
            return func(_approx(expr.args[0]))
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan
    return math.nan  # I, zoo, nan, oo, anything unexpected


def _too_big(number: sympy.Number) -> bool:
    if number.is_Rational:
        limit = 10**300
        return abs(number.p) > limit or number.q > limit
    return not abs(float(number)) <= MAX_CONSTANT


def _check_value(src: _Source, node: ast.AST, expr: sympy.Expr) -> None:
    """Refuse a built piece that is not a finite real (``1/0``, ``sqrt(-1)``, huge)."""
    piece, col = src.node(node)
    if expr.has(sympy.I):
        msg = f"'{piece}' at column {col} is not a real number"
        raise FormulaError("constant", msg, piece, col)
    if expr.has(*_BAD_VALUE):
        msg = f"'{piece}' at column {col} has no finite value (division by zero or log(0)?)"
        raise FormulaError("constant", msg, piece, col)
    if any(_too_big(n) for n in expr.atoms(sympy.Number)):
        msg = f"'{piece}' at column {col} produces a number that is too large"
        raise FormulaError("constant", msg, piece, col)
    if not expr.free_symbols:
        value = _approx(expr)
        if math.isnan(value):
            msg = f"'{piece}' at column {col} has no real value"
            raise FormulaError("constant", msg, piece, col)
        if not abs(value) <= MAX_CONSTANT:
            msg = f"'{piece}' at column {col} is too large (over {MAX_CONSTANT:g})"
            raise FormulaError("constant", msg, piece, col)


def _number(value: int | float) -> sympy.Number:
    if type(value) is int:
        return sympy.Integer(value)
    return sympy.Float(repr(value), 17)  # 17 digits: lambdify prints the exact double


def _build(src: _Source, node: ast.AST) -> sympy.Expr:
    """Checked AST node -> SymPy expression, checking every piece as it is built."""
    if isinstance(node, ast.Constant):
        expr = _number(node.value)
    elif isinstance(node, ast.Name):
        expr = _VARIABLES.get(node.id) or _CONSTANTS[node.id]
    elif isinstance(node, ast.UnaryOp):
        operand = _build(src, node.operand)
        expr = -operand if isinstance(node.op, ast.USub) else operand
    elif isinstance(node, ast.Call):
        expr = _FUNCTIONS[node.func.id](_build(src, node.args[0]))
    else:  # BinOp, checked by _check_nodes
        left = _build(src, node.left)
        right = _build(src, node.right)
        if isinstance(node.op, ast.Pow):
            _check_exponent(src, node.right, right)
            expr = left**right
        elif isinstance(node.op, ast.Add):
            expr = left + right
        elif isinstance(node.op, ast.Sub):
            expr = left - right
        elif isinstance(node.op, ast.Mult):
            expr = left * right
        else:
            expr = left / right
    _check_value(src, node, expr)
    return expr


def _check_exponent(src: _Source, node: ast.AST, exponent: sympy.Expr) -> None:
    """A constant exponent must be at most `MAX_EXPONENT` in magnitude."""
    if exponent.free_symbols:
        return
    if not abs(_approx(exponent)) <= MAX_EXPONENT:
        piece, col = src.node(node)
        msg = f"the exponent '{piece}' at column {col} is too large (the limit is {MAX_EXPONENT})"
        raise FormulaError("exponent", msg, piece, col)


def parse_formula(text: str) -> Formula:
    """Parse a typed formula into a `Formula` (canonical text, SymPy expression).

    Raises `FormulaError` (a `ValueError`) for anything outside the grammar in the
    module docstring or over a cap; `TypeError` if ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"the formula must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        msg = f"the formula is too long ({len(text)} characters; the maximum is {MAX_LENGTH})"
        raise FormulaError("too_long", msg)
    src = _normalize(text)
    if not src.text:
        raise FormulaError("empty", "the formula is empty: type something like x^2 + y^2")
    if len(src.text) > 4 * MAX_LENGTH:
        msg = f"the formula is too long (the maximum is {MAX_LENGTH} characters)"
        raise FormulaError("too_long", msg)
    bad = next((i for i, ch in enumerate(src.text) if not ch.isprintable()), None)
    if bad is not None:
        _, col = src.span(bad, bad + 1)
        msg = f"the invisible character U+{ord(src.text[bad]):04X} at column {col} is not allowed"
        raise FormulaError("syntax", msg, src.text[bad], col)
    tree = _parse(src)
    _check_dunders(src, tree)
    _check_nodes(src, tree)
    _check_size(src, tree)
    expr = _build(src, tree.body)
    return Formula(_canonical(src.text), expr)


def _canonical(text: str) -> str:
    """Parsed text with ``^`` for power and single spaces (re-parses identically)."""
    return re.sub(r" +", " ", text.replace("**", "^"))


# --------------------------------------------------------------------------- derivatives


class _RealAbs(sympy.Function):
    """|u| for a real u; SymPy's Abs differentiates as if u could be complex."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sympy.sign(self.args[0])


def gradient_exprs(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """Exact partial derivatives ``(df/dx, df/dy)``, real-variable rules for abs.

    Raises `FormulaError` ``"too_complex"`` if either has more than `MAX_OPS`
    operations, ``"derivative"`` if it contains anything but the allowed functions.
    """
    real = expr.replace(sympy.Abs, _RealAbs)
    parts = []
    for var in (X, Y):
        d = sympy.diff(real, var).replace(_RealAbs, sympy.Abs)
        if sympy.count_ops(d) > MAX_OPS:
            msg = f"the formula is too complex: its derivative has over {MAX_OPS} operations"
            raise FormulaError("too_complex", msg)
        funcs = {type(f) for f in d.atoms(sympy.Function)}
        if d.has(sympy.I):
            msg = (
                f"the derivative with respect to {var} is not real "
                "(a negative number raised to a power that depends on x or y?)"
            )
            raise FormulaError("derivative", msg)
        if d.has(*_BAD_VALUE, sympy.Derivative) or not funcs <= _DERIVATIVE_FUNCS:
            msg = f"could not form an exact derivative of the formula with respect to {var}"
            raise FormulaError("derivative", msg)
        parts.append(d)
    return parts[0], parts[1]


# --------------------------------------------------------------------------- numerics


def _real(value, shape: tuple[int, ...]) -> np.ndarray:
    """Any lambdify result -> float64 array of ``shape``; non-real values become NaN."""
    a = np.asarray(value)
    if np.iscomplexobj(a):
        a = np.where(a.imag == 0, a.real, np.nan)
    return np.array(np.broadcast_to(a, shape), dtype=np.float64)


def _printer() -> NumPyPrinter:
    """lambdify's own NumPy printer settings, but terms left unsorted (5x faster)."""
    settings = {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True}
    return NumPyPrinter({**settings, "order": "none"})


def _float_ints(expr: sympy.Expr) -> sympy.Expr:
    """Integers beyond 2**53 as Floats: NumPy ufuncs refuse Python ints beyond int64."""
    big = {n: sympy.Float(n) for n in expr.atoms(sympy.Integer) if abs(n) > 2**53}
    return expr.xreplace(big) if big else expr


class _Compiled:
    """Vectorized float64 evaluation of SymPy expressions in x, y.

    Pickles as its expressions (re-lambdified on load), so a Surface can be cached.
    """

    __slots__ = ("_exprs", "_fn")

    def __init__(self, exprs: tuple[sympy.Expr, ...]):
        self._exprs = exprs
        exprs_ = [_float_ints(e) for e in exprs]
        self._fn = sympy.lambdify((X, Y), exprs_, modules="numpy", printer=_printer())

    def __reduce__(self):
        return (type(self), (self._exprs,))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(str, self._exprs))})"

    def _columns(self, xy) -> list[np.ndarray]:
        x, y = split(xy)
        with np.errstate(all="ignore"):
            return [_real(v, x.shape) for v in self._fn(x, y)]


class _Value(_Compiled):
    """f: ``(..., 2) -> (...)``."""

    __slots__ = ()

    def __call__(self, xy) -> np.ndarray:
        return self._columns(xy)[0]


class _Gradient(_Compiled):
    """grad f: ``(..., 2) -> (..., 2)`` (constant components broadcast)."""

    __slots__ = ()

    def __call__(self, xy) -> np.ndarray:
        return np.stack(self._columns(xy), axis=-1)


def _check_bounds(bounds) -> Bounds:
    """``((xmin, xmax), (ymin, ymax))`` of finite reals with min < max, as floats."""
    try:
        (x0, x1), (y0, y1) = bounds
        values = [float(v) for v in (x0, x1, y0, y1)]
    except (TypeError, ValueError):
        msg = f"bounds must be ((xmin, xmax), (ymin, ymax)), got {bounds!r}"
        raise FormulaError("bounds", msg) from None
    x0, x1, y0, y1 = values
    if not all(math.isfinite(v) for v in values) or not (x0 < x1 and y0 < y1):
        msg = f"bounds must be finite with xmin < xmax and ymin < ymax, got {bounds!r}"
        raise FormulaError("bounds", msg)
    return ((x0, x1), (y0, y1))


def _grid(bounds: Bounds, n: int = GRID_N) -> np.ndarray:
    (x0, x1), (y0, y1) = bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    return np.stack(np.meshgrid(xs, ys), axis=-1)  # (n, n, 2), [j, i] = (xs[i], ys[j])


def _candidates(points: np.ndarray, zs: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` lowest grid points that are <= their 8 neighbours: ``(m, 2)``, m <= k."""
    z = np.where(np.isfinite(zs), zs, np.inf)
    pad = np.pad(z, 1, constant_values=np.inf)
    n0, n1 = z.shape
    local = np.isfinite(z)
    for dj in (-1, 0, 1):
        for di in (-1, 0, 1):
            if dj or di:
                local &= z <= pad[1 + dj : 1 + dj + n0, 1 + di : 1 + di + n1]
    order = np.argsort(np.where(local, z, np.inf), axis=None, kind="stable")[:k]
    order = order[local.ravel()[order]]
    return points.reshape(-1, 2)[order]


def _slope(grad: Callable, p: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact gradient ``(m, 2)`` and Hessian ``(m, 2, 2)`` (central differences of the
    gradient, symmetrized) at points ``p (m, 2)``, in one gradient call."""
    steps = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]) * h
    g = grad(p[:, None, :] + steps)  # (m, 5, 2)
    hx = (g[:, 1] - g[:, 2]) / (2 * h[0])
    hy = (g[:, 3] - g[:, 4]) / (2 * h[1])
    hess = np.stack([hx, hy], axis=1)  # rows: d/dx grad, d/dy grad
    return g[:, 0], 0.5 * (hess + np.swapaxes(hess, 1, 2))


def _newton_direction(g: np.ndarray, hess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton step where the Hessian is positive definite: ``(step (m, 2), ok (m,))``."""
    a, b, d = hess[:, 0, 0], hess[:, 0, 1], hess[:, 1, 1]
    det = a * d - b * b
    ok = (a > 0) & (det > 0) & np.isfinite(det)
    safe = np.where(ok, det, 1.0)
    step = -np.stack([(d * g[:, 0] - b * g[:, 1]), (a * g[:, 1] - b * g[:, 0])], -1)
    return np.where(ok[:, None], step / safe[:, None], 0.0), ok


def _polish(f: Callable, grad: Callable, p: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Damped Newton (steepest descent where the Hessian is not positive definite).

    Line search: the best of a geometric range of step lengths, all evaluated in one
    call; then plain Newton steps while the gradient norm keeps shrinking (below the
    resolution of f).  ``p (m, 2) -> (m, 2)``.
    """
    h = 1e-6 * scale
    ts = 2.0 ** np.arange(2, -41, -1.0)  # (T,)
    fp = f(p)
    fp = np.where(np.isfinite(fp), fp, np.inf)
    rows = np.arange(len(p))
    for _ in range(POLISH_STEPS):
        g, hess = _slope(grad, p, h)
        newton, ok = _newton_direction(g, hess)
        norm = np.hypot(g[:, 0], g[:, 1])
        descent = -g / np.where(norm > 0, norm, 1.0)[:, None] * np.hypot(*scale)
        d = np.where(ok[:, None], newton, descent)
        d = np.where(np.isfinite(d), d, 0.0)
        trial = p[:, None, :] + ts[None, :, None] * d[:, None, :]
        ft = f(trial)
        ft = np.where(np.isfinite(ft), ft, np.inf)
        best = np.argmin(ft, axis=1)
        fb = ft[rows, best]
        better = fb < fp
        if not better.any():
            break
        p = np.where(better[:, None], trial[rows, best], p)
        fp = np.where(better, fb, fp)
    g, hess = _slope(grad, p, h)
    for _ in range(10):
        newton, ok = _newton_direction(g, hess)
        q = p + newton
        gq, hq = _slope(grad, q, h)
        shrink = ok & (np.hypot(*gq.T) < np.hypot(*g.T))
        if not shrink.any():
            break
        p = np.where(shrink[:, None], q, p)
        g = np.where(shrink[:, None], gq, g)
        hess = np.where(shrink[:, None, None], hq, hess)
    return p


def _ring(n: int = 16) -> np.ndarray:
    angles = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.stack([np.cos(angles), np.sin(angles)], axis=-1)  # (n, 2)


def _accept(
    f: Callable, grad: Callable, p: np.ndarray, bounds: Bounds, spacing: np.ndarray
) -> np.ndarray:
    """Which polished points are isolated interior minima: ``(m, 2) -> (m,) bool``.

    Kept: inside the (closed) window; gradient norm below 1e-6 of the local slope
    (the largest change of f over one grid spacing, divided by the spacing); and f
    rising, by more than 1e-9 of that change, at a quarter spacing in 16 directions
    and along the flattest Hessian direction (this drops saddles and valley floors).
    """
    (x0, x1), (y0, y1) = bounds
    scale = np.array([x1 - x0, y1 - y0])
    slack = 1e-9 * scale
    lo, hi = np.array([x0, y0]) - slack, np.array([x1, y1]) + slack
    inside = np.all((p >= lo) & (p <= hi), axis=1)
    fp, g = f(p), grad(p)
    ring = _ring()
    near = f(p[:, None, :] + spacing * ring)  # (m, 16)
    local = np.max(np.abs(near - fp[:, None]), axis=1, initial=0.0, where=np.isfinite(near))
    gnorm = np.hypot(g[:, 0], g[:, 1])
    flat = np.isfinite(gnorm) & (gnorm <= 1e-6 * local / spacing.min())
    _, hess = _slope(grad, p, 1e-6 * scale)
    _, vecs = np.linalg.eigh(np.where(np.isfinite(hess), hess, 0.0))
    soft = vecs[:, :, 0]  # eigenvector of the smallest eigenvalue, (m, 2)
    dirs = np.concatenate(
        [np.broadcast_to(ring, (len(p), 16, 2)), soft[:, None], -soft[:, None]], 1
    )
    around = f(p[:, None, :] + 0.25 * spacing.min() * dirs)
    margin = 1e-9 * local + 64 * np.finfo(float).eps * np.abs(fp)
    rises = np.all(around > (fp + margin)[:, None], axis=1)
    return inside & np.isfinite(fp) & flat & rises


class _Minima(NamedTuple):
    minima: tuple[Point, ...]
    f_min: float | None


def estimate_minima(f: Callable, grad: Callable, bounds: Bounds, zs: np.ndarray) -> _Minima:
    """Interior isolated local minima on the window, global first, and f_min.

    ``zs`` is f on the n x n grid of ``bounds`` (``zs[j, i]``, as `_grid`).  The
    `N_CANDIDATES` lowest grid local minima are polished with damped Newton steps and
    kept if `_accept` says so; points closer than half a grid spacing merge; at most
    `MAX_MINIMA` are returned.  ``f_min`` is the lowest kept value unless some grid
    value is lower (then f falls towards an edge of the window: None).
    """
    (x0, x1), (y0, y1) = bounds
    scale = np.array([x1 - x0, y1 - y0])
    spacing = scale / (zs.shape[0] - 1)
    finite = zs[np.isfinite(zs)]
    with np.errstate(all="ignore"):
        start = _candidates(_grid(bounds, zs.shape[0]), zs, N_CANDIDATES)
        if not len(start):
            return _Minima((), None)
        p = _polish(f, grad, start, scale)
        keep = _accept(f, grad, p, bounds, spacing)
        fp = f(p)
    chosen: list[tuple[float, Point]] = []
    for i in np.argsort(np.where(keep, fp, np.inf), kind="stable"):
        if not keep[i] or len(chosen) == MAX_MINIMA:
            break
        point = (float(p[i, 0]), float(p[i, 1]))
        if all(np.hypot(*((np.subtract(point, q)) / spacing)) > 0.5 for _, q in chosen):
            chosen.append((float(fp[i]), point))
    if not chosen:
        return _Minima((), None)
    best = chosen[0][0]
    frange = float(finite.max() - finite.min())
    f_min = best if finite.min() >= best - 1e-9 * max(frange, abs(best)) else None
    return _Minima(tuple(q for _, q in chosen), f_min)


def default_start(f: Callable, grad: Callable, bounds: Bounds, zs: np.ndarray) -> Point:
    """A deterministic start with something to descend.

    Of the 8 points 75% of the way from the window's centre to its corners and edge
    midpoints (corners first, upper-left first), the one with the highest finite f
    and finite gradient; if none qualifies, the highest finite grid point.
    """
    (x0, x1), (y0, y1) = bounds
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, 0.75 * (x1 - x0) / 2, 0.75 * (y1 - y0) / 2
    unit = [(-1, 1), (1, 1), (-1, -1), (1, -1), (0, 1), (-1, 0), (1, 0), (0, -1)]
    pts = np.array([(cx + ux * hx, cy + uy * hy) for ux, uy in unit])
    with np.errstate(all="ignore"):
        values = f(pts)
        ok = np.isfinite(values) & np.all(np.isfinite(grad(pts)), axis=1)
    if ok.any():
        i = int(np.argmax(np.where(ok, values, -np.inf)))
        return (float(pts[i, 0]), float(pts[i, 1]))
    highest = np.where(np.isfinite(zs), zs, -np.inf)  # the caller ensures a finite value
    j, i = np.unravel_index(np.argmax(highest), zs.shape)
    points = _grid(bounds, zs.shape[0])
    return (float(points[j, i, 0]), float(points[j, i, 1]))


def use_log_scale(zs: np.ndarray, f_min: float | None) -> bool:
    """Log contours when the window's minimum is known and f - f_min spans decades.

    Rule: ``f_min`` is not None and the 95th percentile of ``f - f_min`` on the grid
    is over 200 times its 5th percentile (the low region would otherwise be one
    flat colour, as in Rosenbrock's valley).
    """
    if f_min is None:
        return False
    d = zs[np.isfinite(zs)] - f_min
    lo, hi = np.percentile(d, [5, 95])
    return bool(hi > 200 * lo) if lo > 0 else bool(hi > 0)


def from_expression(text: str, bounds: Bounds = DEFAULT_BOUNDS) -> Surface:
    """A typed formula f(x, y) -> `Surface` with its exact gradient.

    Args:
        text: the formula, e.g. ``"x^2 + 3*y^2 - x*y"`` (grammar: module docstring).
        bounds: plot window ``((xmin, xmax), (ymin, ymax))``, finite, min < max.

    Returns:
        ``Surface(name="formula", ...)``: ``f`` ``(..., 2) -> (...)`` and ``grad``
        ``(..., 2) -> (..., 2)`` (float64, NaN where undefined); ``minima``/``f_min``
        estimated numerically on the window (`estimate_minima`), ``start`` from
        `default_start`, ``log_scale`` from `use_log_scale`, ``formula_tex`` from
        SymPy, ``params = {"expression": canonical text, "bounds": bounds}``.

    Raises:
        FormulaError: (a ValueError) with ``.code``, ``.detail`` and ``.column``.
    """
    box = _check_bounds(bounds)
    formula = parse_formula(text)
    fx, fy = gradient_exprs(formula.expr)
    f = _Value((formula.expr,))
    grad = _Gradient((fx, fy))
    zs = f(_grid(box))
    if not np.isfinite(zs).any():
        msg = f"the formula has no finite value anywhere on the window {box}"
        raise FormulaError("undefined", msg, formula.text)
    minima, f_min = estimate_minima(f, grad, box, zs)
    title = f"f(x, y) = {formula.text}"
    return Surface(
        name="formula",
        f=f,
        grad=grad,
        bounds=box,
        minima=minima,
        start=default_start(f, grad, box, zs),
        f_min=f_min,
        log_scale=use_log_scale(zs, f_min),
        title_en=title,
        title_ja=title,
        formula_tex="f(x, y) = " + sympy.latex(formula.expr),
        params={"expression": formula.text, "bounds": box},
    )
