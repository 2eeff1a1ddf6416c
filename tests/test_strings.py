"""The string tables of optviz.strings: one per language, the same keys and placeholders."""

from __future__ import annotations

import string

import pytest

from optviz import strings


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key():
    keys = {lang: set(table) for lang, table in strings.TABLES.items()}
    assert keys["en"] == keys["ja"]
    assert len(keys["en"]) > 200


@pytest.mark.parametrize("key", sorted(strings.TABLES["en"]))
def test_same_placeholders_and_no_empty_string(key):
    en, ja = strings.TABLES["en"][key], strings.TABLES["ja"][key]
    assert en.strip() and ja.strip()
    assert placeholders(en) == placeholders(ja)


def test_text_formats_and_falls_back():
    assert strings.text("fig.every", "ja", s=3, n=201) == "201×201 のうち 3 個おきに表示"
    assert strings.text("fig.every", "xx", s=3, n=201) == "showing every 3th start of 201×201"
    assert strings.text("no such key", "ja") == "no such key"
    assert strings.text("fig.every", "en", wrong=1) == strings.TABLES["en"]["fig.every"]
