"""The project's strings: one table per language (``en.toml``, ``ja.toml`` beside this file).

Every table has the same keys. A string may hold ``{name}`` placeholders, filled in by
:func:`text`. Japanese strings follow ``docs/glossary-ja.md``. Names owned by a record (an
optimizer's display name, a surface's title, a preset's explanation) live in that record, not
here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

LANGS = ("en", "ja")


def _load(lang: str) -> Mapping[str, str]:
    with (Path(__file__).parent / f"{lang}.toml").open("rb") as f:
        return MappingProxyType(tomllib.load(f))


TABLES: Mapping[str, Mapping[str, str]] = MappingProxyType({lang: _load(lang) for lang in LANGS})


def text(key: str, lang: str = "en", **kwargs) -> str:
    """The string ``key`` in ``lang`` (fallback: English, then the key itself), with its
    ``{name}`` placeholders filled from ``kwargs``; a string whose placeholders do not match
    ``kwargs`` is returned unformatted rather than raising."""
    table = TABLES.get(lang, TABLES["en"])
    raw = table.get(key) or TABLES["en"].get(key, key)
    if not kwargs:
        return raw
    try:
        return raw.format(**kwargs)
    except (KeyError, IndexError, ValueError):
        return raw
