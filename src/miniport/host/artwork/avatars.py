"""Round monogram avatars for people and brand accounts, as SVG."""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from miniport.host.artwork.covers import FONT

# Muted, readable behind white letters.
PEOPLE_COLOURS = ("#e8737f", "#f0a35e", "#5fb08b", "#5b8fd6", "#9a7bd1", "#d67bb0", "#6aa9b8")


def colour_for(key: str) -> str:
    index = hashlib.sha256(key.encode("utf-8")).digest()[0] % len(PEOPLE_COLOURS)
    return PEOPLE_COLOURS[index]


def avatar_svg(*, monogram: str, colour: str) -> str:
    text = escape(monogram[:3])
    size = 44 if len(monogram) <= 1 else 34 if len(monogram) == 2 else 26
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" width="96" height="96">'
        f'<circle cx="48" cy="48" r="48" fill="{escape(colour)}"/>'
        f'<text x="48" y="48" dy="0.35em" text-anchor="middle" font-family="{FONT}" '
        f'font-size="{size}" font-weight="700" fill="#ffffff">{text}</text>'
        "</svg>"
    )
