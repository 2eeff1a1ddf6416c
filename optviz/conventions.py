"""The three conventions students meet: PyTorch, Keras 3 and 「ゼロから作るDeep Learning」.

The same optimizer name means slightly different update rules, defaults and keyword names
in each: ``CONVENTIONS[convention][key]`` is the factory, and every factory returns the
:class:`optviz.optimizers.Optimizer` that :func:`optviz.run` takes, its ``convention``
field set to the registry's name.

* ``"pytorch"``: :data:`optviz.catalog.OPTIMIZERS` (``torch.optim``, Lion from
  lion-pytorch).
* ``"keras"``: :data:`optviz.keras_optimizers.KERAS` (``keras.optimizers`` of Keras 3).
* ``"textbook"``: :data:`optviz.textbook_optimizers.TEXTBOOK` (the book's
  ``common/optimizer.py``).
"""

from __future__ import annotations

import functools
import inspect
from types import MappingProxyType

from .catalog import OPTIMIZERS
from .keras_optimizers import KERAS
from .textbook_optimizers import TEXTBOOK

CONVENTIONS = MappingProxyType({"pytorch": OPTIMIZERS, "keras": KERAS, "textbook": TEXTBOOK})
"""Convention name -> {registry key -> factory}."""

LR_KEYWORDS = ("lr", "learning_rate")
"""The learning-rate keyword of a factory: ``lr`` (PyTorch, the book) or
``learning_rate`` (Keras)."""


def factory(optimizer: str, convention: str = "pytorch"):
    """``CONVENTIONS[convention][optimizer]``; ValueError naming what is unknown."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    registry = CONVENTIONS[convention]
    if optimizer not in registry:
        known = ", ".join(registry)
        raise ValueError(f"unknown optimizer {optimizer!r} in {convention}; known: {known}")
    return registry[optimizer]


@functools.lru_cache(maxsize=256)
def signature(fn) -> inspect.Signature:
    """``inspect.signature(fn)``, remembered per function (a factory's keywords are read
    several times on every script run of the page; ``inspect.signature`` takes tens of
    microseconds, a lookup here well under one). Signatures are immutable."""
    return inspect.signature(fn)


def lr_keyword(optimizer: str, convention: str = "pytorch") -> str:
    """The learning rate's name in ``CONVENTIONS[convention][optimizer]``'s signature
    (``lr`` for PyTorch and the book, ``learning_rate`` for Keras); ValueError for an
    unknown convention or optimizer."""
    params = signature(factory(optimizer, convention)).parameters
    return next(name for name in LR_KEYWORDS if name in params)


CONVENTION_NAMES = MappingProxyType(
    {
        "pytorch": {"en": "PyTorch", "ja": "PyTorch 流"},
        "keras": {"en": "Keras", "ja": "Keras 流"},
        "textbook": {"en": "Deep Learning from Scratch", "ja": "ゼロから作る流"},
    }
)
"""Convention name -> display name in English and Japanese (glossary: 流儀 -> 「… 流」)."""
