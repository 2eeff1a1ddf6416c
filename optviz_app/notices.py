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
