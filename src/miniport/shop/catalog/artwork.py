"""Product pictures, the store's icon and its home banner, drawn as SVG from data.

Nothing is fetched or shipped as an image file: a product row says which silhouette to draw
(``art_shape``), its two colours and a surface pattern, and the picture follows. Every value
that reaches the markup is either checked against a fixed set or a ``#rrggbb`` colour, or
escaped, so a product row cannot inject markup into the SVG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

SIZE = 600
SERIF = "'Bodoni 72','Didot','Liberation Serif','Times New Roman',serif"
SANS = "'Futura','Century Gothic','Avenir Next','Liberation Sans','Helvetica Neue',Arial,sans-serif"
CJK = "'PingFang SC','Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, slots=True)
class Shape:
    """A silhouette: ``body`` is one path (filled, and patterned), ``details`` drawn on top.

    Detail markup uses ``{trim}``, ``{body}`` and ``{shade}`` placeholders for colours.
    """

    body: str
    details: str
    under: str = ""


SHAPES: dict[str, Shape] = {
    "shoulder": Shape(
        under='<path d="M196 262 Q300 70 404 262" fill="none" stroke="{trim}" stroke-width="7" '
        'stroke-dasharray="12 7" stroke-linecap="round"/>',
        body="M150 270 Q150 250 172 250 H428 Q450 250 450 272 V446 Q450 468 428 468 H172 "
        "Q150 468 150 446 Z",
        details='<path d="M150 272 Q150 250 172 250 H428 Q450 250 450 272 V352 Q300 404 150 352 Z" '
        'fill="{shade}" opacity=".35"/>'
        '<path d="M150 352 Q300 404 450 352" fill="none" stroke="{trim}" stroke-width="2" '
        'opacity=".7"/>'
        '<circle cx="300" cy="376" r="17" fill="none" stroke="{trim}" stroke-width="6"/>'
        '<circle cx="300" cy="376" r="5" fill="{trim}"/>',
    ),
    "tote": Shape(
        under='<path d="M196 236 Q196 128 233 128 Q270 128 270 236" fill="none" stroke="{trim}" '
        'stroke-width="12" stroke-linecap="round"/>'
        '<path d="M330 236 Q330 128 367 128 Q404 128 404 236" fill="none" stroke="{trim}" '
        'stroke-width="12" stroke-linecap="round"/>',
        body="M132 236 H468 L440 478 Q438 492 424 492 H176 Q162 492 160 478 Z",
        details='<path d="M132 236 H468 L466 254 H134 Z" fill="{trim}"/>'
        '<path d="M196 254 L206 492 M404 254 L394 492" stroke="{trim}" stroke-width="8"/>'
        '<rect x="270" y="300" width="60" height="34" rx="4" fill="{trim}"/>',
    ),
    "hobo": Shape(
        under='<path d="M184 268 Q300 96 416 268" fill="none" stroke="{trim}" stroke-width="14" '
        'stroke-linecap="round"/>',
        body="M160 262 Q300 222 440 262 Q478 382 404 478 H196 Q122 382 160 262 Z",
        details='<path d="M172 300 Q300 268 428 300" fill="none" stroke="{shade}" '
        'stroke-width="3" opacity=".5"/>'
        '<circle cx="272" cy="334" r="15" fill="none" stroke="{trim}" stroke-width="6"/>'
        '<circle cx="328" cy="334" r="15" fill="none" stroke="{trim}" stroke-width="6"/>'
        '<path d="M287 334 H313" stroke="{trim}" stroke-width="6"/>',
    ),
    "duffle": Shape(
        under='<path d="M236 262 Q236 172 300 172 Q364 172 364 262" fill="none" stroke="{trim}" '
        'stroke-width="14" stroke-linecap="round"/>',
        body="M104 312 Q104 260 156 260 H444 Q496 260 496 312 V418 Q496 466 448 466 H152 "
        "Q104 466 104 418 Z",
        details='<path d="M104 312 Q104 260 156 260 H176 V466 H152 Q104 466 104 418 Z" '
        'fill="{trim}"/>'
        '<path d="M496 312 Q496 260 444 260 H424 V466 H448 Q496 466 496 418 Z" fill="{trim}"/>'
        '<path d="M176 282 H424" stroke="{shade}" stroke-width="4" stroke-dasharray="10 6"/>'
        '<rect x="282" y="300" width="36" height="26" rx="4" fill="{trim}"/>',
    ),
    "loafer": Shape(
        body="M96 420 Q96 356 158 346 L300 326 Q390 312 440 350 Q504 390 504 424 Q504 440 486 440 "
        "H114 Q96 440 96 420 Z",
        details='<path d="M92 436 H508 V456 Q508 466 496 466 H104 Q92 466 92 456 Z" '
        'fill="{shade}"/>'
        '<path d="M300 330 Q330 372 404 364" fill="none" stroke="{shade}" stroke-width="4" '
        'opacity=".6"/>'
        '<circle cx="338" cy="350" r="12" fill="none" stroke="{trim}" stroke-width="6"/>'
        '<circle cx="392" cy="346" r="12" fill="none" stroke="{trim}" stroke-width="6"/>'
        '<path d="M350 349 H380" stroke="{trim}" stroke-width="6"/>',
    ),
    "sneaker": Shape(
        body="M100 428 Q100 338 168 326 Q222 318 262 292 L334 292 Q364 346 426 356 "
        "Q504 370 504 416 V428 Z",
        details='<path d="M94 428 H508 Q508 466 472 466 H128 Q94 466 94 428 Z" fill="#fbfaf7" '
        'stroke="{shade}" stroke-width="2"/>'
        '<path d="M190 396 L300 322" stroke="{trim}" stroke-width="22"/>'
        '<path d="M268 300 L330 338 M284 296 L342 332 M300 294 L352 326" stroke="{shade}" '
        'stroke-width="5" stroke-linecap="round"/>',
    ),
    "belt": Shape(
        body="M70 290 H530 V346 H70 Z",
        details='<g fill="{shade}" opacity=".55"><circle cx="420" cy="318" r="5"/>'
        '<circle cx="450" cy="318" r="5"/><circle cx="480" cy="318" r="5"/></g>'
        '<rect x="238" y="262" width="124" height="112" rx="14" fill="none" stroke="{trim}" '
        'stroke-width="14"/>'
        '<path d="M300 262 V374" stroke="{trim}" stroke-width="10"/>',
    ),
    "scarf": Shape(
        body="M300 128 L480 308 L300 488 L120 308 Z",
        details='<path d="M300 128 L480 308 L300 488 L120 308 Z" fill="none" stroke="{trim}" '
        'stroke-width="14"/>'
        '<path d="M300 172 L436 308 L300 444 L164 308 Z" fill="none" stroke="{trim}" '
        'stroke-width="3"/>'
        '<circle cx="300" cy="308" r="34" fill="none" stroke="{trim}" stroke-width="4"/>',
    ),
    "sunglasses": Shape(
        body="M88 262 H282 V342 Q282 398 226 398 H144 Q88 398 88 342 Z "
        "M318 262 H512 V342 Q512 398 456 398 H374 Q318 398 318 342 Z",
        details='<path d="M282 282 Q300 266 318 282" fill="none" stroke="{trim}" '
        'stroke-width="10"/>'
        '<path d="M88 268 L60 250 M512 268 L540 250" stroke="{trim}" stroke-width="10" '
        'stroke-linecap="round"/>'
        '<path d="M110 282 L150 282 M340 282 L380 282" stroke="#ffffff" stroke-width="6" '
        'opacity=".35" stroke-linecap="round"/>',
    ),
    "perfume": Shape(
        under='<rect x="252" y="132" width="96" height="70" rx="8" fill="{trim}"/>'
        '<rect x="270" y="198" width="60" height="30" fill="{shade}"/>',
        body="M172 228 H428 Q452 228 452 254 V462 Q452 488 428 488 H172 Q148 488 148 462 V254 "
        "Q148 228 172 228 Z",
        details='<rect x="212" y="310" width="176" height="96" rx="4" fill="#ffffff" '
        'opacity=".85"/>'
        '<path d="M232 346 H368 M252 370 H348" stroke="{trim}" stroke-width="5"/>'
        '<path d="M170 250 V466" stroke="#ffffff" stroke-width="10" opacity=".3"/>',
    ),
    "wallet": Shape(
        body="M124 232 Q124 212 144 212 H456 Q476 212 476 232 V408 Q476 428 456 428 H144 "
        "Q124 428 124 408 Z",
        details='<path d="M140 224 H460 V416 H140 Z" fill="none" stroke="{trim}" '
        'stroke-width="3" stroke-dasharray="8 5"/>'
        '<path d="M476 250 H506 V276 H476" fill="{trim}"/>'
        '<rect x="506" y="240" width="14" height="46" rx="4" fill="{trim}"/>',
    ),
    "watch": Shape(
        under='<rect x="250" y="96" width="100" height="120" rx="14" fill="{trim}"/>'
        '<rect x="250" y="400" width="100" height="120" rx="14" fill="{trim}"/>',
        body="M300 196 A112 112 0 1 1 299.9 196 Z",
        details='<circle cx="300" cy="308" r="92" fill="#fbfaf7"/>'
        '<circle cx="300" cy="308" r="92" fill="none" stroke="{shade}" stroke-width="3"/>'
        '<path d="M300 308 V246 M300 308 L344 330" stroke="{trim}" stroke-width="7" '
        'stroke-linecap="round"/>'
        '<rect x="410" y="296" width="20" height="26" rx="5" fill="{trim}"/>',
    ),
}

PATTERNS = ("plain", "canvas", "check", "stripe")


def _colour(value: str, fallback: str) -> str:
    return value if _HEX.fullmatch(value) else fallback


def _shade(hex_colour: str, factor: float) -> str:
    """``hex_colour`` darkened (factor < 1) or lightened towards white (factor > 1)."""
    channels = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor <= 1:
        mixed = [round(c * factor) for c in channels]
    else:
        mixed = [round(c + (255 - c) * (factor - 1)) for c in channels]
    return "#" + "".join(f"{max(0, min(255, c)):02x}" for c in mixed)


def _pattern(kind: str, trim: str, body: str) -> str:
    if kind == "canvas":
        # A small repeating quatrefoil and lozenge, in the manner of a printed canvas.
        return (
            '<pattern id="surface" width="56" height="56" patternUnits="userSpaceOnUse">'
            f'<g fill="{trim}" opacity=".55">'
            '<circle cx="14" cy="10" r="4"/><circle cx="14" cy="18" r="4"/>'
            '<circle cx="10" cy="14" r="4"/><circle cx="18" cy="14" r="4"/>'
            '<path d="M42 34 L48 42 L42 50 L36 42 Z"/></g></pattern>'
        )
    if kind == "check":
        return (
            '<pattern id="surface" width="48" height="48" patternUnits="userSpaceOnUse">'
            f'<rect width="24" height="24" fill="{_shade(body, 0.72)}"/>'
            f'<rect x="24" y="24" width="24" height="24" fill="{_shade(body, 0.72)}"/>'
            "</pattern>"
        )
    if kind == "stripe":
        # The green–red–green web stripe.
        return (
            '<pattern id="surface" width="600" height="600" patternUnits="userSpaceOnUse">'
            '<rect y="282" width="600" height="14" fill="#1f5c3a"/>'
            '<rect y="296" width="600" height="14" fill="#b3202a"/>'
            '<rect y="310" width="600" height="14" fill="#1f5c3a"/></pattern>'
        )
    return ""


def product_svg(*, shape: str, body: str, trim: str, pattern: str, backdrop: str) -> str:
    """A 600×600 picture of a product on a soft backdrop with a floor shadow."""
    drawn = SHAPES.get(shape, SHAPES["shoulder"])
    body = _colour(body, "#222222")
    trim = _colour(trim, "#b08d57")
    backdrop = _colour(backdrop, "#f4f1ea")
    shade = _shade(body, 0.6)
    kind = pattern if pattern in PATTERNS else "plain"
    colours = {"trim": trim, "body": body, "shade": shade}
    surface = _pattern(kind, trim, body)
    overlay = f'<path d="{drawn.body}" fill="url(#surface)"/>' if surface else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'width="{SIZE}" height="{SIZE}">'
        "<defs>"
        '<linearGradient id="backdrop" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{_shade(backdrop, 1.4)}"/>'
        f'<stop offset="1" stop-color="{backdrop}"/></linearGradient>'
        '<radialGradient id="floor"><stop offset="0" stop-color="#000" stop-opacity=".18"/>'
        '<stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>'
        f"{surface}</defs>"
        f'<rect width="{SIZE}" height="{SIZE}" fill="url(#backdrop)"/>'
        '<ellipse cx="300" cy="500" rx="230" ry="26" fill="url(#floor)"/>'
        f"{drawn.under.format(**colours)}"
        f'<path d="{drawn.body}" fill="{body}" fill-rule="evenodd"/>'
        f"{overlay}"
        f"{drawn.details.format(**colours)}"
        "</svg>"
    )


def wordmark_svg(*, wordmark: str, ink: str, paper: str, serif: bool) -> str:
    """The store's name set as a wordmark (type only: no brand logo is reproduced)."""
    ink, paper = _colour(ink, "#111111"), _colour(paper, "#ffffff")
    family = SERIF if serif else SANS
    spacing = 6 if serif else 9
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 120" width="600" height="120">'
        f'<rect width="600" height="120" fill="{paper}" fill-opacity="0"/>'
        f'<text x="300" y="78" text-anchor="middle" font-family="{family}" font-size="54" '
        f'letter-spacing="{spacing}" fill="{ink}">{escape(wordmark)}</text></svg>'
    )


def icon_svg(*, wordmark: str, ink: str, accent: str, serif: bool) -> str:
    """A round store icon: the wordmark's initials on the brand's ink, ringed in its accent."""
    ink, accent = _colour(ink, "#111111"), _colour(accent, "#b08d57")
    initials = "".join(word[0] for word in wordmark.split()[:2]).upper() or "M"
    family = SERIF if serif else SANS
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">'
        f'<circle cx="60" cy="60" r="60" fill="{ink}"/>'
        f'<circle cx="60" cy="60" r="52" fill="none" stroke="{accent}" stroke-width="2"/>'
        f'<text x="60" y="75" text-anchor="middle" font-family="{family}" font-size="40" '
        f'letter-spacing="2" fill="{accent}">{escape(initials)}</text></svg>'
    )


def banner_svg(
    *, wordmark: str, title: str, subtitle: str, ink: str, accent: str, tint: str, serif: bool
) -> str:
    """The home page's campaign banner: a tinted field, a rule, the season's line."""
    ink, accent, tint = (
        _colour(ink, "#111111"),
        _colour(accent, "#b08d57"),
        _colour(tint, "#f4f1ea"),
    )
    family = SERIF if serif else SANS
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 750 480" width="750" height="480">'
        '<defs><linearGradient id="field" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{ink}"/>'
        f'<stop offset="1" stop-color="{_shade(ink, 1.25)}"/></linearGradient></defs>'
        '<rect width="750" height="480" fill="url(#field)"/>'
        f'<circle cx="610" cy="120" r="220" fill="{accent}" opacity=".12"/>'
        f'<circle cx="640" cy="400" r="140" fill="{tint}" opacity=".08"/>'
        f'<text x="56" y="150" font-family="{family}" font-size="30" letter-spacing="8" '
        f'fill="{accent}">{escape(wordmark)}</text>'
        f'<rect x="56" y="178" width="64" height="2" fill="{accent}"/>'
        f'<text x="56" y="262" font-family={quoteattr(CJK)} font-size="46" fill="{tint}">'
        f"{escape(title)}</text>"
        f'<text x="56" y="316" font-family={quoteattr(CJK)} font-size="24" fill="{tint}" '
        f'opacity=".75">{escape(subtitle)}</text>'
        "</svg>"
    )
