"""The optimizer records agree with their factories and with torch, and every table the app
uses is a view of them."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from optviz import OPTIMIZERS, catalog
from optviz import equations as eq
from optviz.drawing.studies import PARAM_NAMES
from optviz.explore import SWEEP_PARAMS, sweepable

KEYS = list(OPTIMIZERS)


def _numbers(spec):
    """``(keyword, index or None, record)`` for every number the user can set."""
    for kw in spec.keywords:
        if kw.parts:
            yield from ((kw, j, part) for j, part in enumerate(kw.parts))
        elif not kw.switch:
            yield kw, None, kw


def _with(spec, kw, index, value) -> dict:
    """The factory's defaults with one keyword (or one entry of a pair) set to ``value``."""
    if index is None:
        return {kw.name: value}
    entries = list(spec.defaults[kw.name])
    entries[index] = value
    return {kw.name: tuple(entries)}


def _accepts(spec, kwargs) -> bool:
    try:
        spec.factory(**kwargs)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("key", KEYS)
def test_record_lists_the_factory_keywords_in_order(key):
    spec = catalog.SPEC[key]
    assert spec.key == key and OPTIMIZERS[key] is spec.factory
    assert [kw.name for kw in spec.keywords] == list(inspect.signature(spec.factory).parameters)
    assert spec.keywords[0].name == "lr"
    for kw in spec.keywords:
        default = spec.defaults[kw.name]
        assert kw.switch == isinstance(default, bool), kw.name
        assert bool(kw.parts) == isinstance(default, tuple), kw.name
        if kw.parts:
            assert len(kw.parts) == len(default)
    assert spec.taught is None or not spec.keyword(spec.taught).switch
    assert spec.factory().name == key


@pytest.mark.parametrize("key", KEYS)
def test_valid_ranges_are_the_factory_checks(key):
    """Inside the record's range the factory accepts, just outside it raises, like torch."""
    spec = catalog.SPEC[key]
    for kw, index, record in _numbers(spec):
        valid = record.valid
        assert valid is not None, record.name
        for bound, closed, outward in (
            (valid.low, valid.low_closed, -math.inf),
            (valid.high, valid.high_closed, math.inf),
        ):
            if not math.isfinite(bound):
                continue
            outside = bound if not closed else float(np.nextafter(bound, outward))
            assert not _accepts(spec, _with(spec, kw, index, outside)), (record.name, outside)
            inside = bound if closed else float(np.nextafter(bound, -outward))
            if key == "nesterov" and record.name == "momentum":
                continue  # Nesterov needs a momentum: its own rule, not the range's
            assert _accepts(spec, _with(spec, kw, index, inside)), (record.name, inside)


@pytest.mark.parametrize("key", KEYS)
def test_defaults_are_torchs(key):
    """Each record's torch class takes the factory's keywords with the same defaults (the
    momentum/nesterov entries are SGD with a preset momentum)."""
    torch = pytest.importorskip("torch")
    spec = catalog.SPEC[key]
    path = spec.torch.path
    if not path.startswith("torch.optim."):
        assert spec.torch.source, "a class torch does not ship must come with its source"
        return
    cls = getattr(torch.optim, path.rsplit(".", 1)[1])
    theirs = inspect.signature(cls.__init__).parameters
    for name, default in spec.defaults.items():
        assert name in theirs, (key, name)
        if key not in ("momentum", "nesterov"):
            assert theirs[name].default == default, (key, name)


def test_tables_are_views_of_the_records():
    specs = catalog.SPECS
    assert list(OPTIMIZERS) == [s.key for s in specs]
    assert {s.key: s.names["en"] for s in specs} == eq.NAMES
    assert {s.key: s.family for s in specs} == eq.FAMILY
    assert set(eq.DESCRIPTIONS) == set(eq.NOTES) == set(OPTIMIZERS)
    labels = catalog.keyword_labels()
    for spec in specs:
        for kw in spec.keywords:
            names = [f"{kw.name}:{j}" for j in range(len(kw.parts))] if kw.parts else [kw.name]
            for name in names:
                assert labels[name]["en"] and labels[name]["ja"], name
        expected = {r.name for _, _, r in _numbers(spec) if r.sweepable} | {"steps"}
        assert set(sweepable(spec.key)) == expected
    for name, spec in SWEEP_PARAMS.items():
        assert name in PARAM_NAMES
        assert spec.low < spec.high and (spec.low > 0 or not spec.log), name
    assert set(catalog.taught_keywords()) == {"momentum", "betas", "alpha", "rho"} | {
        s.taught for s in specs if s.taught
    }


def test_a_name_has_one_label_and_one_range():
    """Two records may share a name only with the same label and sweep range."""
    labels = catalog.keyword_labels()
    for kw in catalog.all_keywords():
        if not kw.parts:
            assert labels[kw.name] == dict(kw.label)
    ranges = catalog.sweep_ranges()
    for kw in catalog.all_keywords():
        for part in kw.parts or (kw,):
            if part.sweepable:
                assert ranges[part.name] == (part.low, part.high, part.log)
