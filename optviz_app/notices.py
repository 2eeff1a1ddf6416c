"""Messages for the page as plain values: an i18n key and its format arguments.

A :class:`Notice` says what was wrong with a value (a link, a widget, a typed formula)
and what the page did instead; the page translates it (``optviz_app.i18n.t``) when it
shows it. Plain values only, so notices can be compared, cached and stored in the
session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notice:
    """A message for the page: an i18n key and its format arguments (plain values)."""

    key: str
    args: tuple[tuple[str, Any], ...] = ()

    def kwargs(self) -> dict:
        return dict(self.args)


def shown(value, limit: int = 40) -> str:
    """A value from a link or a widget as a person would type it, at most ``limit``
    characters: numbers with ``:g`` (1e+09), lists and tuples as comma-separated items,
    a missing item as "?", anything else as its text (never Python's ``repr``)."""
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, int | float):
        text = f"{value:g}"
    elif value is None:
        text = "?"
    elif isinstance(value, list | tuple):
        text = ", ".join(shown(item, limit) for item in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={shown(v, limit)}" for k, v in value.items())
    else:
        text = str(value)
    return text[:limit]


def notice(key: str, **kwargs) -> Notice:
    """``Notice(key, ((name, value), ...))`` from keyword arguments, in their order."""
    return Notice(key, tuple(kwargs.items()))


def formula_notice(error) -> Notice:
    """The notice of a refused formula (a ``surfaces.FormulaError``): key
    ``formula.<code>``, the piece and its 1-based column (``"—"`` when unknown)."""
    column = getattr(error, "column", None)
    return notice(
        f"formula.{getattr(error, 'code', 'syntax')}",
        detail=str(getattr(error, "detail", ""))[:40],
        column=column if column is not None else "—",
    )
