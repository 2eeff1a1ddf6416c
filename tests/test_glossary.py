"""Every Japanese string of the project follows docs/glossary-ja.md.

The glossary's tables name, for each concept, the word to use and the words never to use
(its "not" column). This test reads those words from the glossary itself and looks for them
in every Japanese string: the string tables of optviz.strings and every string literal of the
packages (records such as optimizers, surfaces and presets carry their own Japanese names).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from optviz.strings import TABLES

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary-ja.md"
PACKAGES = ("optviz", "optviz_app", "surfaces")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def banned_words(markdown: str) -> dict[str, str]:
    """``{banned word: the glossary's word}`` from every table row with a "not" column."""
    banned: dict[str, str] = {}
    header: list[str] | None = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= set("-: ") or "not" not in header:
            continue
        chosen = cells[header.index("日本語")]
        for word in cells[header.index("not")].split(","):
            if word.strip():
                banned[word.strip()] = chosen
    return banned


def japanese_literals() -> list[tuple[str, str]]:
    """``(where, text)`` for every string literal with Japanese in the packages."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
                if is_text and JAPANESE.search(node.value):
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


BANNED = banned_words(GLOSSARY.read_text(encoding="utf-8"))


def test_glossary_is_read():
    """The parser finds the rows (a glossary change that breaks the table fails here)."""
    assert BANNED["地図"] == "等高線図"
    assert BANNED["実行"] == "試行"
    assert BANNED["出発点"] == "初期点"
    assert len(BANNED) >= 20


def test_banned_words_are_found():
    """The check itself can fail: a string with a banned word is reported."""
    offending = [w for w in BANNED if w in "地図をクリックすると出発点が移動します"]
    assert offending == ["地図", "出発点"]


@pytest.mark.parametrize("lang", ["ja"])
def test_string_table_follows_glossary(lang):
    bad = [
        f"{key}: {word!r} (use {BANNED[word]!r})"
        for key, value in TABLES[lang].items()
        for word in BANNED
        if word in value
    ]
    assert not bad, "\n".join(bad)


def test_japanese_literals_follow_glossary():
    bad = [
        f"{where}: {word!r} (use {BANNED[word]!r})"
        for where, value in japanese_literals()
        for word in BANNED
        if word in value
    ]
    assert not bad, "\n".join(bad)
