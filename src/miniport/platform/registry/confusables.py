"""Unicode TR39 §4 — confusable detection: names that look like another entry's are refused.

A brand registered as ``Guссi`` (two Cyrillic ``с``) with Gucci's Chinese name would show
users a consent screen and brand cards indistinguishable from Gucci's. Two names are
confusable here when they share a *key*. A key is the TR39 skeleton of the name after what
people do not see either:

1. NFKC, so full-width ``ＧＵＣＣＩ``, ligatures and compatibility forms become what they
   look like;
2. format characters (zero-width spaces and joiners, bidi marks) and whitespace removed:
   ``Gu\u200bcci`` and ``GUCCI 古驰`` are not new names;
3. each character replaced by the prototype of its confusable class (``с`` → ``c``,
   ``0`` → ``O``; ``1``, ``I`` and ``l``), then NFD: the skeleton proper.

TR39 skeletons are case-sensitive, but ``GUCCI`` passes for ``Gucci`` on any card. A name
has three keys: the skeletons of the name as written, in lower case, and in upper case.
Folding case *before* the mapping, not after it, matters: after it, ``l`` (mapped to the
class of ``I``) would fold to ``i`` and ``Chanei`` would pass for ``Chanel``; as it is,
``GUCCl`` still matches ``Gucci`` through the upper-case key (``GUCCI``).

Chinese names need no mapping of their own: an identical name has an identical key, and
TR39's few CJK look-alikes (``〇`` and ``O``, ``一`` and the long vowel mark) are in its
data. Traditional and simplified forms (``古馳``, ``古驰``) are different characters, not
confusables, and are not refused.

The classes come from the ``confusable-homoglyphs`` package, which ships TR39's
``confusables.txt`` as a symmetric character → look-alikes table but computes no skeletons.
Its single-character pairs are joined into classes once; each class's prototype is its
ASCII letter when it has one, else its lowest code point (any fixed choice would do).
Entries mapping a character to a sequence are left out: NFKC already decomposes the
compatibility forms among them.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from confusable_homoglyphs import confusables

_MARKS = frozenset({"\u200e", "\u200f"})  # the package wraps right-to-left look-alikes in these


def _rank(char: str) -> tuple[int, int]:
    if char.isascii() and char.isalpha():
        return (0, ord(char))
    if char.isascii():
        return (1, ord(char))
    return (2, ord(char))


@cache
def _prototypes() -> dict[str, str]:
    """Character → the prototype of its confusable class (only characters with a class)."""
    parent: dict[str, str] = {}

    def find(char: str) -> str:
        parent.setdefault(char, char)
        while parent[char] != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    def union(a: str, b: str) -> None:
        first, second = find(a), find(b)
        if first != second:
            keep, drop = sorted((first, second), key=_rank)
            parent[drop] = keep

    table: dict[str, list[dict[str, str]]] = confusables.confusables_data
    for char, look_alikes in table.items():
        if len(char) != 1:
            continue
        for look_alike in look_alikes:
            other = "".join(c for c in look_alike["c"] if c not in _MARKS)
            if len(other) == 1:
                union(char, other)
    return {char: find(char) for char in parent}


def _visible(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    return "".join(
        char for char in text if not char.isspace() and unicodedata.category(char) != "Cf"
    )


def _skeleton(text: str) -> str:
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def name_keys(name: str) -> frozenset[str]:
    """The keys under which ``name`` is compared; two names sharing one are confusable."""
    visible = _visible(name)
    return frozenset(_skeleton(form) for form in (visible, visible.casefold(), visible.upper()))


def confusable(first: str, second: str) -> bool:
    """Whether ``first`` and ``second`` can be mistaken for each other (TR39 skeletons)."""
    return not name_keys(first).isdisjoint(name_keys(second))
