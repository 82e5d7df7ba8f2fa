"""Note covers drawn as SVG: a soft gradient, a line drawing of the product, a caption.

Generated from the note's own fields on request, so the demo ships no image files and
fetches none.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH = 300
HEIGHT = 400
FONT = "'PingFang SC','Noto Sans CJK SC','WenQuanYi Micro Hei','Helvetica Neue',Arial,sans-serif"


@dataclass(frozen=True, slots=True)
class Palette:
    top: str
    bottom: str
    ink: str
    accent: str


PALETTES: tuple[Palette, ...] = (
    Palette("#fde7ea", "#f8cdd6", "#8a2a3b", "#ffffff"),  # blush
    Palette("#f7ecdf", "#ead3b8", "#6b4a2b", "#fff8ef"),  # sand
    Palette("#e6f0e4", "#c9dec9", "#2f5d3a", "#f7fbf6"),  # sage
    Palette("#e4edf8", "#c6d7ef", "#23456e", "#f6f9fd"),  # sky
    Palette("#eee7f8", "#d8c9ee", "#4d3a78", "#faf7fe"),  # lilac
    Palette("#3b3a3e", "#1d1d20", "#f1e3c6", "#55535a"),  # charcoal
    Palette("#fbf4e2", "#f0dcaa", "#7a5a12", "#fffaf0"),  # champagne
    Palette("#ffe1dc", "#ffbdb3", "#8c1c1c", "#fff5f3"),  # coral
)

# Line drawings centred around (150, 180), drawn with the palette's ink.
SHAPES: dict[str, str] = {
    "bag": (
        '<path d="M112 150 Q112 96 150 96 Q188 96 188 150" fill="none" stroke-width="9"/>'
        '<path d="M78 150 H222 L236 262 Q237 274 225 274 H75 Q63 274 64 262 Z"/>'
        '<path d="M78 150 L150 200 L222 150" fill="none"/>'
        '<circle cx="150" cy="200" r="8"/>'
    ),
    "watch": (
        '<rect x="128" y="78" width="44" height="52" rx="6"/>'
        '<rect x="128" y="230" width="44" height="52" rx="6"/>'
        '<circle cx="150" cy="180" r="58"/>'
        '<circle cx="150" cy="180" r="46" fill="none"/>'
        '<path d="M150 180 V146 M150 180 L174 192" fill="none" stroke-linecap="round"/>'
        '<rect x="206" y="172" width="12" height="16" rx="3"/>'
    ),
    "ring": (
        '<circle cx="150" cy="205" r="52" fill="none" stroke-width="12"/>'
        '<path d="M122 142 L134 122 H166 L178 142 L150 164 Z"/>'
        '<path d="M122 142 H178 M134 122 L150 164 L166 122" fill="none"/>'
    ),
    "perfume": (
        '<rect x="122" y="84" width="56" height="32" rx="6"/>'
        '<rect x="136" y="116" width="28" height="22"/>'
        '<rect x="92" y="138" width="116" height="136" rx="18"/>'
        '<rect x="116" y="178" width="68" height="44" rx="4" fill="none"/>'
    ),
    "sunglasses": (
        '<path d="M66 160 H132 Q134 214 100 216 Q66 216 66 180 Z"/>'
        '<path d="M168 160 H234 V180 Q234 216 200 216 Q166 214 168 160 Z"/>'
        '<path d="M132 168 Q150 156 168 168 M66 164 L46 150 M234 164 L254 150" fill="none"/>'
    ),
    "heel": (
        '<path d="M70 250 Q74 196 112 190 Q150 186 176 214 L224 256 Q232 266 220 268 '
        'H180 Q164 268 150 246 Q132 226 108 236 L100 270 H86 Z"/>'
        '<path d="M214 238 L230 180" fill="none" stroke-width="8" stroke-linecap="round"/>'
    ),
    "scarf": (
        '<path d="M74 104 Q150 146 226 104 Q222 138 150 170 Q78 138 74 104 Z"/>'
        '<path d="M140 176 L108 270 L134 278 L156 184 Z"/>'
        '<path d="M160 178 L196 262 L220 250 L170 172 Z"/>'
        '<circle cx="150" cy="172" r="15"/>'
        '<path d="M110 278 L106 292 M122 281 L118 295 M134 284 L130 298 '
        'M200 262 L206 276 M210 257 L216 271 M220 252 L226 266" fill="none" '
        'stroke-linecap="round" stroke-width="4"/>'
    ),
}


def palette(index: int) -> Palette:
    return PALETTES[index % len(PALETTES)]


def cover_svg(*, caption: str, palette_index: int, shape: str) -> str:
    colours = palette(palette_index)
    drawing = SHAPES.get(shape, SHAPES["bag"])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}">'
        '<defs><linearGradient id="g" x1="0" y1="0" x2="0.4" y2="1">'
        f'<stop offset="0" stop-color="{colours.top}"/>'
        f'<stop offset="1" stop-color="{colours.bottom}"/>'
        "</linearGradient></defs>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#g)"/>'
        f'<circle cx="246" cy="58" r="70" fill="{colours.accent}" opacity="0.35"/>'
        f'<circle cx="40" cy="300" r="46" fill="{colours.accent}" opacity="0.25"/>'
        f'<g fill="{colours.accent}" fill-opacity="0.55" stroke="{colours.ink}" '
        'stroke-width="6" stroke-linejoin="round">'
        f"{drawing}</g>"
        f'<text x="150" y="342" text-anchor="middle" font-family="{FONT}" font-size="30" '
        f'font-weight="700" letter-spacing="1" fill="{colours.ink}">{escape(caption)}</text>'
        "</svg>"
    )
